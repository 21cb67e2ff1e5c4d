"""Static checks of deploy/: the files parse and agree with the code they deploy.

Neither Docker nor a cluster is needed: the checks read the compose file, the Kubernetes
manifests, the Dockerfile and boot.sh beside deploy/Procfile, pyproject.toml and the source
tree. The two helper scripts the image runs (wait_for_deps.py, healthcheck.py) are run for real
against the embedded defaults.
"""

from __future__ import annotations

import contextlib
import fnmatch
import http.server
import importlib.util
import os
import re
import shlex
import sqlite3
import stat
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from shared import config
from tests.deploy import strict_yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
BOOT = DEPLOY / "boot.sh"
DATA_DIR = "/var/lib/ocop"  # OCOP_DATA_DIR in the image, compose and the ConfigMap

# The fixed ports of every part (README, "Quickstart").
FIXED_PORTS = {"portal": 8000, "registration": 8001, "evaluation": 8002, "notification": 8003}
SINK_PORTS = {8025, 8026}  # SMTP, and the page listing what it received

# Every part with a web process on a fixed port (shared.config.DEFAULT_PORTS) is either one of
# the three services (config.SERVICES: its own database, the broker, a migration) or a part
# without data that only calls their APIs over HTTP: the portal. The tests tell the two kinds
# apart through these names only.
WEB_PARTS = tuple(config.DEFAULT_PORTS)
DATALESS_PARTS = tuple(part for part in WEB_PARTS if part not in config.SERVICES)
LOCAL_ONLY = {"mail-sink"}  # the SMTP sink: for local use; production sends through a relay
API_PATHS = ("/api/v1", "/.well-known/jwks.json")  # what the ingress exposes of a service

# Settings the deployment names before the code reads them: the notification service's SMTP
# relay settings are announced but not implemented yet. Every other OCOP_* name in deploy/ must
# be read somewhere in the source, so a misspelt one fails.
ANNOUNCED_SETTINGS = {
    "OCOP_SMTP_HOST",
    "OCOP_SMTP_PORT",
    "OCOP_SMTP_USERNAME",
    "OCOP_SMTP_PASSWORD",
    "OCOP_SMTP_STARTTLS",
}

ENV_NAME = re.compile(r"\bOCOP_[A-Z0-9_]*[A-Z0-9]\b")
ENV_TEMPLATE = re.compile(r"OCOP_\{[^{}]*\}_([A-Z0-9_]+)")  # f"OCOP_{upper}_DATABASE_URL"
INTERPOLATION = re.compile(r"\$\{([A-Za-z0-9_]+)(?::?[-?]([^}]*))?\}")


# --- loading ---------------------------------------------------------------------------------


load_all = strict_yaml.load_all  # a repeated key fails, as in Compose and kubectl


def compose() -> dict[str, Any]:
    (doc,) = load_all(COMPOSE_FILE)
    return doc


def compose_services() -> dict[str, dict[str, Any]]:
    return compose()["services"]


def with_defaults(value: str) -> str:
    """``value`` as compose interpolates it when no variable is set (``${X:-default}``)."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (DEPLOY / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = shlex.split(command)
    return processes


def part_of(process: str) -> str:
    """The part of a process, Deployment or Job: ``evaluation`` for ``evaluation-beat``."""
    return process.split("-", 1)[0]


def service_processes() -> list[str]:
    """The Procfile's processes of the three services (each with a database and the broker)."""
    return sorted(name for name in procfile() if part_of(name) in config.SERVICES)


def dataless_processes() -> list[str]:
    """The Procfile's processes without data of their own (the portal's web process)."""
    return sorted(name for name in procfile() if part_of(name) in DATALESS_PARTS)


def kustomization() -> dict[str, Any]:
    (doc,) = load_all(K8S / "kustomization.yaml")
    return doc


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for name in kustomization()["resources"] for doc in load_all(K8S / name)]


def k8s(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == kind}


def pod_templates() -> dict[str, dict[str, Any]]:
    """The pod spec of every Deployment and Job, by ``Kind/name``."""
    return {
        f"{o['kind']}/{o['metadata']['name']}": o["spec"]["template"]["spec"]
        for o in k8s_objects()
        if o["kind"] in ("Deployment", "Job")
    }


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    lines = [
        line
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in text.splitlines():
        if line.strip():
            instruction, _, args = line.strip().partition(" ")
            result.append((instruction.upper(), args.strip()))
    return result


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ocop_deploy_{name}", DEPLOY / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def image_tag(image: str) -> str | None:
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else None


# --- everything parses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [COMPOSE_FILE, *sorted(K8S.glob("*.yaml"))],
    ids=lambda p: str(p.relative_to(DEPLOY)),
)
def test_yaml_file_parses(path: Path) -> None:
    docs = load_all(path)
    assert docs, f"{path} holds no document"
    assert all(isinstance(doc, dict) for doc in docs)
    if path.parent == K8S and path.name != "kustomization.yaml":
        for doc in docs:
            assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name")


def test_kustomization_lists_every_manifest() -> None:
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization()["resources"]) == sorted(manifests)
    assert kustomization()["namespace"] == k8s("Namespace")["ocop"]["metadata"]["name"]


# --- the same processes as deploy/Procfile ---------------------------------------------------


def test_procfile_has_every_process_kind() -> None:
    expected = {f"{s}-{kind}" for s in config.SERVICES for kind in ("web", "worker", "relay")}
    expected |= {f"{part}-web" for part in DATALESS_PARTS}
    assert expected <= set(procfile())


def test_dataless_parts_are_web_processes_without_data() -> None:
    assert DATALESS_PARTS == ("portal",)  # derived from shared.config; the portal today
    for part in DATALESS_PARTS:
        package = ROOT / "services" / part
        assert (package / "wsgi.py").is_file(), f"{part} serves pages"
        assert not (package / "migrations").exists(), f"{part} has a database after all"
        assert not (package / "models.py").exists(), f"{part} has tables after all"
    for name, argv in procfile().items():
        if name in LOCAL_ONLY:
            continue
        assert part_of(name) in WEB_PARTS, f"{name}: of no known part"
        if part_of(name) in DATALESS_PARTS:
            # A web process only: no worker, relay or beat without a database and a queue.
            assert argv == ["ocop", "web", part_of(name)], f"{name} runs {argv}"


@pytest.mark.parametrize("name", sorted(procfile()))
def test_compose_runs_procfile_process(name: str) -> None:
    argv = procfile()[name]
    assert argv[0] == "ocop"
    service = compose_services().get(name)
    assert service is not None, f"no compose service {name!r} for the Procfile's {name!r}"
    command = service["command"]
    assert command[: len(argv) - 1] == argv[1:], f"{name} runs {command}, Procfile says {argv}"
    assert "entrypoint" not in service, "through boot.sh, like the image and the cluster"
    assert with_defaults(service["image"]).startswith("ocop-platform:")
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}


@pytest.mark.parametrize("name", sorted(set(procfile()) - LOCAL_ONLY))
def test_k8s_runs_procfile_process(name: str) -> None:
    argv = procfile()[name]
    deployment = k8s("Deployment").get(name)
    assert deployment is not None, f"no Deployment {name!r} for the Procfile's {name!r}"
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"][: len(argv) - 1] == argv[1:]


@pytest.mark.parametrize("service", config.SERVICES)
def test_k8s_migration_job_per_service(service: str) -> None:
    job = k8s("Job")[f"{service}-migrate"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["migrate", service]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")


def test_k8s_migration_jobs_only_for_services() -> None:
    assert {part_of(name) for name in k8s("Job")} == set(config.SERVICES)


# --- ports -----------------------------------------------------------------------------------


def published(ports: list[str]) -> set[tuple[int, int]]:
    """(host, container) pairs of compose's short port syntax, "[ip:]host:container"."""
    pairs = set()
    for spec in ports:
        *_, host, container = str(spec).split(":")
        pairs.add((int(host), int(container)))
    return pairs


def test_code_uses_the_fixed_ports() -> None:
    assert config.DEFAULT_PORTS == FIXED_PORTS


@pytest.mark.parametrize("part", WEB_PARTS)
def test_compose_web_publishes_its_fixed_port(part: str) -> None:
    web = compose_services()[f"{part}-web"]
    port = FIXED_PORTS[part]
    assert published(web["ports"]) == {(port, port)}
    command = web["command"]
    if "--port" in command:
        assert int(command[command.index("--port") + 1]) == port
    assert command[command.index("--host") + 1] == "0.0.0.0", "must listen beyond localhost"


def test_compose_sink_publishes_its_ports_in_the_dev_profile() -> None:
    sink = compose_services()["mail-sink"]
    assert published(sink["ports"]) == {(p, p) for p in SINK_PORTS}
    assert sink["profiles"] == ["dev"]


@pytest.mark.parametrize("part", WEB_PARTS)
def test_k8s_web_ports(part: str) -> None:
    port = FIXED_PORTS[part]
    deployment = k8s("Deployment")[f"{part}-web"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["ports"][0] == {"name": "http", "containerPort": port}
    # Besides it, only the portal's figures (shared/gunicorn_conf.py), never behind the Service.
    extra = [{"name": "metrics", "containerPort": 9100}] if part == "portal" else []
    assert container["ports"][1:] == extra
    svc = k8s("Service")[f"{part}-web"]
    assert svc["spec"]["ports"] == [{"name": "http", "port": port, "targetPort": "http"}]
    assert svc["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def ingress_routes() -> list[tuple[str, str, str, str]]:
    """(host, path, pathType, Service) of every ingress rule."""
    return [
        (rule["host"], path["path"], path["pathType"], path["backend"]["service"]["name"])
        for ingress in k8s("Ingress").values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]


def test_ingress_routes_every_web_part_to_an_existing_port() -> None:
    services = k8s("Service")
    routed = set()
    for ingress in k8s("Ingress").values():
        tls_hosts = {host for tls in ingress["spec"]["tls"] for host in tls["hosts"]}
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in tls_hosts, f"{rule['host']} is served without TLS"
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                ports = {p["name"] for p in services[backend["name"]]["spec"]["ports"]}
                assert backend["port"]["name"] in ports
                routed.add(backend["name"])
    assert routed == {f"{part}-web" for part in WEB_PARTS}


def test_ingress_exposes_only_the_api_paths_of_the_services() -> None:
    for host, path, _, backend in ingress_routes():
        if part_of(backend) in config.SERVICES:
            assert path in API_PATHS, f"{host}{path}: keep probes and metrics private"


@pytest.mark.parametrize("part", DATALESS_PARTS)
def test_ingress_sends_everything_else_to_the_portal(part: str) -> None:
    routes = [r for r in ingress_routes() if r[3] == f"{part}-web"]
    assert [(path, kind) for _, path, kind, _ in routes] == [("/", "Prefix")]
    (host,) = {host for host, *_ in routes}
    # A host of its own: the API hosts keep routing only their API paths.
    assert all(h != host for h, *_, backend in ingress_routes() if backend != f"{part}-web")
    # The links in the emails (OCOP_PORTAL_URL, read by notification) point at that host.
    assert k8s("ConfigMap")["ocop-config"]["data"][f"OCOP_{part.upper()}_URL"] == f"https://{host}"


# --- environment variables -------------------------------------------------------------------


def settings_read_by_code() -> set[str]:
    """Every OCOP_* name in the source tree, with f"OCOP_{upper}_..." expanded per service."""
    sources = [
        *ROOT.joinpath("services").rglob("*.py"),
        *ROOT.joinpath("shared").rglob("*.py"),
        *DEPLOY.glob("*.py"),
        BOOT,
    ]
    names: set[str] = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        names |= set(ENV_NAME.findall(text))
        for suffix in ENV_TEMPLATE.findall(text):
            names |= {f"OCOP_{s.upper()}_{suffix}" for s in config.SERVICES}
    return names


def settings_named_by_deployment() -> dict[str, set[str]]:
    files = [COMPOSE_FILE, DEPLOY / ".env.example", DOCKERFILE, *sorted(K8S.glob("*.yaml"))]
    return {
        str(path.relative_to(DEPLOY)): set(ENV_NAME.findall(path.read_text(encoding="utf-8")))
        for path in files
    }


def test_every_setting_in_deploy_is_read_by_the_code() -> None:
    known = settings_read_by_code()
    # The scan itself works: templated and literal names are both found.
    assert {"OCOP_REGISTRATION_DATABASE_URL", "OCOP_BROKER_URL", "OCOP_WORKER_POOL"} <= known
    assert {"OCOP_SIGNING_KEY_PASSPHRASE", "OCOP_MIGRATE", "OCOP_WAIT_TIMEOUT"} <= known
    unknown = {
        f"{file}: {name}"
        for file, names in settings_named_by_deployment().items()
        for name in names - known - ANNOUNCED_SETTINGS
    }
    assert not unknown, f"not read anywhere in the code (typo?): {sorted(unknown)}"


def test_compose_variables_named_like_settings_set_those_settings() -> None:
    # An OCOP_* variable of .env is passed on as the setting of the same name; compose's own
    # knobs (IMAGE_TAG, WORKER_REPLICAS, POSTGRES_PASSWORD, ...) are named otherwise.
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    interpolated = {name for name, _ in INTERPOLATION.findall(text)}
    passed_on = set()
    for service in compose_services().values():
        for key, value in (service.get("environment") or {}).items():
            for name, _ in INTERPOLATION.findall(str(value)):
                if name.startswith("OCOP_"):
                    assert name == key, f"{key} is set from ${{{name}}}"
                    passed_on.add(name)
    assert {n for n in interpolated if n.startswith("OCOP_")} == passed_on
    env_example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    defined = {
        line.split("=", 1)[0]
        for line in env_example.splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert defined <= interpolated, (
        f".env.example sets what compose never reads: {defined - interpolated}"
    )


@pytest.mark.parametrize("name", service_processes())
def test_compose_processes_reach_postgres_and_rabbitmq(name: str) -> None:
    service = name.split("-", 1)[0]
    env = compose_services()[name]["environment"]
    assert env["OCOP_DATA_DIR"] == DATA_DIR
    assert with_defaults(env["OCOP_BROKER_URL"]).startswith("amqp://")
    url = with_defaults(env[f"OCOP_{service.upper()}_DATABASE_URL"])
    # psycopg 3 is the driver the project installs; a bare postgresql:// would want psycopg2.
    assert url.startswith("postgresql+psycopg://")
    assert url.endswith(f"/ocop_{service}")


def api_urls() -> dict[str, str]:
    """What a data-less part is given for each API: its in-cluster / compose-network address."""
    return {f"OCOP_{s.upper()}_URL": f"http://{s}-web:{FIXED_PORTS[s]}" for s in config.SERVICES}


def is_data_setting(name: str) -> bool:
    return name.endswith("_DATABASE_URL") or name == "OCOP_BROKER_URL"


@pytest.mark.parametrize("name", dataless_processes())
def test_compose_dataless_process_calls_the_apis_only(name: str) -> None:
    service = compose_services()[name]
    env = service["environment"]
    assert env["OCOP_DATA_DIR"] == DATA_DIR
    for setting, url in api_urls().items():
        assert env[setting] == url
        host, port = url.removeprefix("http://").split(":")
        assert (int(port), int(port)) in published(compose_services()[host]["ports"])
    assert "OCOP_PORTAL_SECRET_KEY" in env
    assert not {s for s in env if is_data_setting(s)}, f"{name} owns no database or queue"
    # Started once the three APIs answer; never waits on PostgreSQL or RabbitMQ itself.
    assert set(service["depends_on"]) == {f"{s}-web" for s in config.SERVICES}


def test_postgres_init_creates_one_database_per_service() -> None:
    postgres = compose_services()["postgres"]
    mounts = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    (mount,) = mounts
    script = (DEPLOY / mount.split(":", 1)[0]).resolve()
    created = re.findall(r"CREATE DATABASE (\w+)", script.read_text(encoding="utf-8"))
    assert sorted(created) == sorted(f"ocop_{s}" for s in config.SERVICES)


def test_k8s_env_references_resolve() -> None:
    stores = {
        "configMap": {n: set(o.get("data", {})) for n, o in k8s("ConfigMap").items()},
        "secret": {
            n: set(o.get("stringData", {})) | set(o.get("data", {}))
            for n, o in k8s("Secret").items()
        },
    }
    for where, pod in pod_templates().items():
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                for kind in ("configMap", "secret"):
                    if f"{kind}Ref" in source:
                        assert source[f"{kind}Ref"]["name"] in stores[kind], where
            for var in container.get("env", []):
                for kind in ("configMap", "secret"):
                    ref = var.get("valueFrom", {}).get(f"{kind}KeyRef")
                    if ref:
                        assert ref["key"] in stores[kind][ref["name"]], f"{where}: {ref}"


@pytest.mark.parametrize("where", sorted(pod_templates()))
def test_k8s_process_gets_only_its_own_database(where: str) -> None:
    part = part_of(where.split("/", 1)[1])
    (container,) = pod_templates()[where]["containers"]
    databases = {v["name"] for v in container.get("env", []) if v["name"].endswith("_DATABASE_URL")}
    assert databases == (
        {f"OCOP_{part.upper()}_DATABASE_URL"} if part in config.SERVICES else set()
    )


def k8s_dataless_deployments() -> list[str]:
    return sorted(n for n in k8s("Deployment") if part_of(n) in DATALESS_PARTS)


def test_k8s_dataless_deployments_are_the_procfiles() -> None:
    assert k8s_dataless_deployments() == dataless_processes()


@pytest.mark.parametrize("name", k8s_dataless_deployments())
def test_k8s_dataless_pod_calls_the_apis_only(name: str) -> None:
    (container,) = k8s("Deployment")[name]["spec"]["template"]["spec"]["containers"]
    env = {v["name"]: v for v in container.get("env", [])}
    for setting, url in api_urls().items():
        assert env[setting].get("value") == url, f"{setting}: the API's Service, in the cluster"
        host, port = url.removeprefix("http://").split(":")
        assert [p["port"] for p in k8s("Service")[host]["spec"]["ports"]] == [int(port)]
    secret = env["OCOP_PORTAL_SECRET_KEY"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "ocop-secrets", "key": "OCOP_PORTAL_SECRET_KEY"}
    assert not {s for s in env if is_data_setting(s)}, f"{name} owns no database or queue"
    # Nor through envFrom: not the whole Secret, and no ConfigMap holding connection URLs.
    configmaps = k8s("ConfigMap")
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, f"{name} would get every connection URL"
        keys = configmaps[source["configMapRef"]["name"]].get("data", {})
        assert not {k for k in keys if is_data_setting(k)}
        # env would override the ConfigMap's public API addresses; say it once, in env.
        assert not set(api_urls()) & set(keys), "the ConfigMap's OCOP_*_URL are the public ones"


# --- Kubernetes pods -------------------------------------------------------------------------


@pytest.mark.parametrize("where", sorted(pod_templates()))
def test_k8s_pod_is_hardened_and_bounded(where: str) -> None:
    pod = pod_templates()[where]
    tmp_volumes = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    for container in pod["containers"]:
        security = container.get("securityContext", {})
        non_root = security.get("runAsNonRoot", pod.get("securityContext", {}).get("runAsNonRoot"))
        assert non_root is True, f"{where}: runAsNonRoot"
        assert security.get("readOnlyRootFilesystem") is True, where
        assert security.get("allowPrivilegeEscalation") is False, where
        assert security.get("capabilities", {}).get("drop") == ["ALL"], where
        resources = container["resources"]
        assert resources["limits"].get("memory") and resources["requests"].get("memory"), where
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert mounts.get("/tmp") in tmp_volumes, f"{where}: /tmp must be a writable emptyDir"
        assert DATA_DIR in mounts, f"{where}: OCOP_DATA_DIR must be writable"


@pytest.mark.parametrize("part", WEB_PARTS)
def test_k8s_web_probes_and_replicas(part: str) -> None:
    deployment = k8s("Deployment")[f"{part}-web"]
    assert deployment["spec"]["replicas"] == 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    for probe, path in (
        ("startupProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/healthz"),
    ):
        assert container[probe]["httpGet"] == {"path": path, "port": "http"}
    limits, requests = container["resources"]["limits"], container["resources"]["requests"]
    assert (requests["memory"], limits["memory"]) == ("150Mi", "300Mi")


@pytest.mark.parametrize("service", config.SERVICES)
def test_relays_run_two_replicas(service: str) -> None:
    assert k8s("Deployment")[f"{service}-relay"]["spec"]["replicas"] == 2
    assert compose_services()[f"{service}-relay"]["deploy"]["replicas"] == 2


def test_compose_worker_replicas_are_configurable() -> None:
    for service in config.SERVICES:
        replicas = compose_services()[f"{service}-worker"]["deploy"]["replicas"]
        assert INTERPOLATION.fullmatch(str(replicas)), "set through a variable"
        assert int(with_defaults(str(replicas))) >= 1


def test_registration_documents_are_on_a_volume() -> None:
    target = f"{DATA_DIR}/registration"
    web = compose_services()["registration-web"]
    named = {v.split(":")[0] for v in web["volumes"] if v.split(":")[1] == target}
    assert named and named <= set(compose()["volumes"])
    pod = k8s("Deployment")["registration-web"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == target]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    claim = volume["persistentVolumeClaim"]["claimName"]
    pvc = k8s("PersistentVolumeClaim")[claim]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"], "two web replicas share it"


# --- compose ordering ------------------------------------------------------------------------


def test_compose_waits_for_healthy_dependencies() -> None:
    services = compose_services()
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, f"{name} -> {dependency}"
            assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
    for part in WEB_PARTS:
        check = services[f"{part}-web"]["healthcheck"]["test"]
        assert "/readyz" in check


# --- images ----------------------------------------------------------------------------------


def all_images() -> dict[str, str]:
    images = {f"compose {n}": with_defaults(s["image"]) for n, s in compose_services().items()}
    for where, pod in pod_templates().items():
        for container in pod["containers"]:
            images[f"k8s {where}"] = container["image"]
    for instruction, args in dockerfile_instructions():
        if instruction == "FROM":
            images[f"Dockerfile FROM {args}"] = args.split()[0]
    return images


@pytest.mark.parametrize("where", sorted(all_images()))
def test_image_is_pinned(where: str) -> None:
    tag = image_tag(all_images()[where])
    assert tag and tag != "latest", f"{where}: {all_images()[where]}"


def test_kustomization_pins_the_image() -> None:
    for image in kustomization()["images"]:
        assert image["newTag"] and image["newTag"] != "latest"


# --- Dockerfile and boot.sh ------------------------------------------------------------------


def test_dockerfile_builds_on_python_311_slim_and_runs_as_non_root() -> None:
    instructions = dockerfile_instructions()
    bases = [args.split()[0] for ins, args in instructions if ins == "FROM"]
    assert bases and set(bases) == {"python:3.11-slim"}
    final_stage = instructions[max(i for i, (ins, _) in enumerate(instructions) if ins == "FROM") :]
    users = [args for ins, args in final_stage if ins == "USER"]
    assert users, "the runtime stage must switch to a non-root user"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "numeric, so runAsNonRoot can verify it"
    entrypoint = [args for ins, args in instructions if ins == "ENTRYPOINT"]
    assert entrypoint and "boot.sh" in entrypoint[-1]
    healthcheck = [args for ins, args in instructions if ins == "HEALTHCHECK"]
    assert healthcheck and "healthcheck.py" in healthcheck[-1] and "/healthz" in healthcheck[-1]


def test_dockerfile_exposes_every_fixed_port() -> None:
    exposed = {
        int(p) for ins, args in dockerfile_instructions() if ins == "EXPOSE" for p in args.split()
    }
    assert exposed == set(FIXED_PORTS.values()) | SINK_PORTS


def copy_sources() -> list[str]:
    sources = []
    for instruction, args in dockerfile_instructions():
        if instruction == "COPY" and "--from=" not in args:
            words = [w for w in args.split() if not w.startswith("--")]
            sources += words[:-1]
    return sources


def test_dockerfile_copies_what_pyproject_packages() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    top_level = {  # the top-level packages setuptools' find would include
        path.name
        for path in ROOT.iterdir()
        if (path / "__init__.py").is_file() and any(fnmatch.fnmatch(path.name, p) for p in include)
    }
    assert top_level == {"services", "shared"}
    copied = {source.rstrip("/") for source in copy_sources()}
    assert "pyproject.toml" in copied
    assert top_level <= copied
    for key in ("readme", "license"):  # files the build would read, if pyproject names them
        value = pyproject["project"].get(key)
        if isinstance(value, str):
            assert value in copied
    runs = " ".join(args for ins, args in dockerfile_instructions() if ins == "RUN")
    assert not re.search(r"\[(test|dev)", runs), "no development extras in the image"


def test_dockerfile_sources_exist_and_reach_the_build_context() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in ignore if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", "allow-list: everything else stays out of the context"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    for source in copy_sources():
        assert (ROOT / source).exists(), source
        assert source.rstrip("/") in allowed, f"{source} is excluded from the build context"


def test_boot_script_is_executable_and_parses() -> None:
    assert BOOT.stat().st_mode & stat.S_IXUSR, "boot.sh must be executable"
    assert BOOT.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    result = subprocess.run(["bash", "-n", str(BOOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    text = BOOT.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    assert text.rstrip().endswith('exec ocop "$@"')
    assert 'ocop migrate "$service"' in text and "OCOP_MIGRATE" in text


def run_boot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """boot.sh with stand-ins: `ocop` prints its arguments, `python` (the wait) fails loudly."""
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    for name, body in (("ocop", 'echo "ocop $*"'), ("python", 'echo "waited: $*" >&2; exit 97')):
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (stubs / name).chmod(0o755)
    env = {"PATH": f"{stubs}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    return subprocess.run(
        ["bash", str(BOOT), *args], capture_output=True, text=True, env=env, timeout=30
    )


@pytest.mark.parametrize("part", DATALESS_PARTS)
def test_boot_starts_a_dataless_web_at_once(tmp_path: Path, part: str) -> None:
    result = run_boot(tmp_path, "web", part, "--host", "0.0.0.0")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ocop web {part} --host 0.0.0.0\n"
    # The stand-ins work: a service's web waits for its database first.
    waiting = run_boot(tmp_path, "web", config.SERVICES[0], "--host", "0.0.0.0")
    assert waiting.returncode == 97 and "waited:" in waiting.stderr


# --- the scripts the image runs --------------------------------------------------------------


def run_wait(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    variables = {k: v for k, v in os.environ.items() if not k.startswith("OCOP_")}
    variables.update(OCOP_DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, str(DEPLOY / "wait_for_deps.py"), *args],
        capture_output=True,
        text=True,
        env=variables,
        cwd=ROOT,
        timeout=120,
    )


def test_wait_for_deps_passes_when_everything_answers(tmp_path: Path) -> None:
    result = run_wait(tmp_path, "--timeout", "20")
    assert result.returncode == 0, result.stderr
    assert "broker: ready" in result.stdout


def test_wait_for_deps_gives_up_naming_the_dependency_not_the_password(tmp_path: Path) -> None:
    result = run_wait(
        tmp_path,
        "--timeout",
        "1",
        "--no-broker",
        "evaluation",
        OCOP_EVALUATION_DATABASE_URL="postgresql+psycopg://ocop:s3cret@127.0.0.1:9/ocop_evaluation",
    )
    assert result.returncode == 1
    assert "gave up after 1s waiting for evaluation database" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout


def test_wait_for_deps_schema_waits_for_the_migration(tmp_path: Path) -> None:
    before = run_wait(tmp_path, "--schema", "--timeout", "1", "notification")
    assert before.returncode == 1 and "not migrated yet" in before.stderr

    variables = {k: v for k, v in os.environ.items() if not k.startswith("OCOP_")}
    migrate = subprocess.run(
        [sys.executable, "-m", "services.cli", "migrate", "notification"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**variables, "OCOP_DATA_DIR": str(tmp_path)},
    )
    assert migrate.returncode == 0, migrate.stderr
    after = run_wait(tmp_path, "--schema", "--timeout", "5", "notification")
    assert after.returncode == 0, after.stderr

    # A newer release migrated past this code's head: old pods still start (rolling back).
    database = tmp_path / "notification" / "notification.sqlite"
    with contextlib.closing(sqlite3.connect(database)) as conn, conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeedbeef'")
    newer = run_wait(tmp_path, "--schema", "--timeout", "5", "notification")
    assert newer.returncode == 0, newer.stderr


def test_wait_for_deps_rejects_an_unknown_service(tmp_path: Path) -> None:
    result = run_wait(tmp_path, "registation")
    assert result.returncode == 2 and "unknown service" in result.stderr


GUNICORN = [
    "/usr/local/bin/python",
    "-m",
    "gunicorn",
    "services.evaluation.wsgi:app",
    "--bind",
    "0.0.0.0:8002",
    "--workers",
    "2",
]


def test_healthcheck_tells_the_roles_apart() -> None:
    check = load_script("healthcheck")
    shell = ["/bin/sh"]
    assert check.classify([shell, GUNICORN]) == (check.SERVING, 8002)
    booting = ["bash", "/opt/ocop/boot.sh", "web", "evaluation", "--host", "0.0.0.0"]
    assert check.classify([booting]) == (check.STARTING, None)
    worker = ["python", "/usr/local/bin/ocop", "worker", "evaluation"]
    assert check.classify([worker]) == (check.OTHER, None)
    assert check.main(["/healthz"], lines=[worker]) == 0
    assert check.main(["/healthz"], lines=[booting]) == 1


@contextlib.contextmanager
def http_server(statuses: dict[str, int]) -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(statuses.get(self.path, 404))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_healthcheck_probes_the_port_gunicorn_binds() -> None:
    check = load_script("healthcheck")
    with http_server({"/healthz": 200, "/readyz": 503}) as port:
        lines = [[*GUNICORN[:5], f"0.0.0.0:{port}"]]
        assert check.main([], lines=lines) == 0  # /healthz by default
        assert check.main(["/readyz"], lines=lines) == 1
    assert check.main([], lines=lines) == 1  # nobody listening any more
