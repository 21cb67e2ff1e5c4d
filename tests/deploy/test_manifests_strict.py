"""deploy/ checked as the tools that read it would: every YAML file strictly (a repeated key
fails), the compose file against the Compose specification (check-jsonschema's copy), every
Kubernetes object of a built-in kind against the 1.31 schemas (kubernetes-validate, strict:
an unknown field fails), and what a production cluster needs besides: requests and limits on
every container, disruption budgets, network policies that let each service reach only its own
database and the broker, and workers scaled by KEDA on the depth of the queues they consume.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from shared import config
from shared.messaging import topology
from tests.deploy import strict_yaml
from tests.deploy.test_deploy_files import COMPOSE_FILE, K8S, ROOT, k8s, k8s_objects

KUBERNETES_VERSION = "1.31.0"
YAML_FILES = sorted(
    path
    for pattern in ("*.yaml", "*.yml")
    for path in ROOT.rglob(pattern)
    if not any(
        part.startswith(".") or part == "node_modules" for part in path.relative_to(ROOT).parts
    )
)
# Kinds the cluster knows only once their operator is installed: checked field by field below.
CUSTOM_KINDS = {"ScaledObject"}
DATABASE_PORT, BROKER_PORT = 5432, 5671


def test_there_are_yaml_files_to_check() -> None:
    assert COMPOSE_FILE in YAML_FILES and len(YAML_FILES) >= 10


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_yaml_has_no_repeated_key(path: Path) -> None:
    assert strict_yaml.load_all(path) is not None


def test_strict_loading_rejects_a_repeated_key(tmp_path: Path) -> None:
    # What docker-compose.yml once held: a service defined twice, the first silently lost.
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  web:\n    image: a\n  web:\n    image: b\n")
    with pytest.raises(strict_yaml.DuplicateKey, match="duplicate key 'web'"):
        strict_yaml.load_all(broken)


def test_anchors_merged_into_a_mapping_may_be_overridden(tmp_path: Path) -> None:
    merged = tmp_path / "merge.yml"
    merged.write_text("base: &b {a: 1, c: 2}\nthing:\n  <<: *b\n  a: 3\n")
    (doc,) = strict_yaml.load_all(merged)
    assert doc["thing"] == {"a": 3, "c": 2}


def _check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run([str(tool), *args], capture_output=True, text=True, timeout=120)


def test_compose_file_follows_the_compose_specification() -> None:
    result = _check_jsonschema("--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_check_catches_a_misspelt_field(tmp_path: Path) -> None:
    wrong = tmp_path / "compose.yml"
    wrong.write_text("services:\n  web:\n    image: a\n    restrat: always\n")
    assert _check_jsonschema("--builtin-schema", "vendor.compose-spec", str(wrong)).returncode


def _where(obj: dict[str, Any]) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


@pytest.mark.parametrize(
    "obj",
    [o for o in k8s_objects() if o["kind"] not in CUSTOM_KINDS],
    ids=_where,
)
def test_kubernetes_object_validates_strictly(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_strict_validation_catches_an_unknown_field() -> None:
    deployment = next(iter(k8s("Deployment").values()))
    wrong = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSION, strict=True)


def _workloads() -> dict[str, dict[str, Any]]:
    return {**k8s("Deployment"), **k8s("Job")}


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.mark.parametrize("name", sorted(_workloads()))
def test_every_container_requests_and_limits_cpu_and_memory(name: str) -> None:
    for container in _containers(_workloads()[name]):
        resources = container["resources"]
        for bound in ("requests", "limits"):
            assert set(resources[bound]) >= {"cpu", "memory"}, (name, container["name"], bound)


def _labels(workload: dict[str, Any]) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"]["labels"]


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    expressions = selector.get("matchExpressions", [])
    assert all(e["operator"] == "In" for e in expressions), "only In is read here"
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items()) and all(
        labels.get(e["key"]) in e["values"] for e in expressions
    )


@pytest.mark.parametrize("name", sorted(k8s("Deployment")))
def test_every_deployment_has_a_disruption_budget(name: str) -> None:
    labels = _labels(k8s("Deployment")[name])
    budgets = [
        b for b in k8s("PodDisruptionBudget").values() if _selects(b["spec"]["selector"], labels)
    ]
    if labels["app.kubernetes.io/component"] == "beat":
        assert not budgets, "one beat by design: a budget would block every drain"
        return
    assert len(budgets) == 1, name
    spec = budgets[0]["spec"]
    if labels["app.kubernetes.io/component"] in ("web", "relay"):
        assert spec.get("minAvailable") == 1, "a drain keeps one pod serving"
    else:
        assert spec.get("maxUnavailable") == 1, "workers go one at a time"


# --- network policies --------------------------------------------------------------------------


def _policies(labels: dict[str, str], direction: str) -> list[dict[str, Any]]:
    kind = direction.capitalize()
    return [
        p["spec"]
        for p in k8s("NetworkPolicy").values()
        if kind in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], labels)
    ]


def _egress_addresses(labels: dict[str, str]) -> set[tuple[str, int]]:
    """(ipBlock CIDR, port) pairs the policies let pods with these labels reach."""
    reach: set[tuple[str, int]] = set()
    for spec in _policies(labels, "egress"):
        for rule in spec.get("egress", []):
            cidrs = [peer["ipBlock"]["cidr"] for peer in rule.get("to", []) if "ipBlock" in peer]
            reach |= {(cidr, port["port"]) for cidr in cidrs for port in rule.get("ports", [])}
    return reach


def _egress_pods(labels: dict[str, str]) -> set[tuple[str, int]]:
    """(app name, port) of in-namespace pods these pods may reach."""
    reach: set[tuple[str, int]] = set()
    for spec in _policies(labels, "egress"):
        for rule in spec.get("egress", []):
            for peer in rule.get("to", []):
                name = (
                    peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                )
                if name and "namespaceSelector" not in peer:
                    reach |= {(name, port["port"]) for port in rule.get("ports", [])}
    return reach


def test_everything_is_denied_unless_a_policy_opens_it() -> None:
    deny = k8s("NetworkPolicy")["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny


def _service_pods() -> dict[str, list[dict[str, str]]]:
    pods: dict[str, list[dict[str, str]]] = {}
    for workload in _workloads().values():
        labels = _labels(workload)
        pods.setdefault(labels["app.kubernetes.io/name"], []).append(labels)
    return pods


def test_each_service_reaches_only_its_own_database_and_the_broker() -> None:
    databases: dict[str, set[str]] = {}
    for service in config.SERVICES:
        for labels in _service_pods()[service]:
            reach = _egress_addresses(labels)
            databases.setdefault(service, set()).update(c for c, p in reach if p == DATABASE_PORT)
            assert any(p == BROKER_PORT for _, p in reach), (service, labels)
            assert {p for _, p in reach} <= {DATABASE_PORT, BROKER_PORT, 587}, labels
    assert all(len(cidrs) == 1 for cidrs in databases.values()), databases
    owners = [next(iter(cidrs)) for cidrs in databases.values()]
    assert len(set(owners)) == len(owners), "two services share a database address"


def test_only_notification_reaches_the_smtp_relay() -> None:
    for name, pods in _service_pods().items():
        smtp = any(p == 587 for labels in pods for _, p in _egress_addresses(labels))
        assert smtp == (name == "notification"), name


def test_the_portal_reaches_the_apis_only() -> None:
    for labels in _service_pods()["portal"]:
        assert _egress_addresses(labels) == set()
        ports = {name: port for name, port in _egress_pods(labels)}
        assert ports == {s: config.DEFAULT_PORTS[s] for s in config.SERVICES}


def test_services_reach_the_registration_api_for_its_keys_and_nothing_else_in_cluster() -> None:
    for service in config.SERVICES:
        for labels in _service_pods()[service]:
            expected = set() if service == "registration" else {("registration", 8001)}
            assert _egress_pods(labels) == expected, (service, labels)


@pytest.mark.parametrize("part", sorted(config.DEFAULT_PORTS))
def test_web_pods_accept_their_port_from_the_ingress_controller(part: str) -> None:
    labels = {"app.kubernetes.io/name": part, "app.kubernetes.io/component": "web"}
    rules = [rule for spec in _policies(labels, "ingress") for rule in spec.get("ingress", [])]
    opened = {
        (port["port"], peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"])
        for rule in rules
        for port in rule.get("ports", [])
        for peer in rule["from"]
        if "namespaceSelector" in peer
    }
    web = config.DEFAULT_PORTS[part]
    expected = {(web, "ingress-nginx"), (web, "monitoring")}
    if part == "portal":
        expected.add((9100, "monitoring"))  # its figures, apart from its public paths
    assert opened == expected


def test_non_web_pods_accept_only_prometheus_on_their_metrics_port() -> None:
    for workload in _workloads().values():
        labels = _labels(workload)
        component = labels["app.kubernetes.io/component"]
        if component == "web":
            continue
        rules = [rule for spec in _policies(labels, "ingress") for rule in spec.get("ingress", [])]
        if component not in ("worker", "sender"):
            assert not rules, labels
            continue
        container = workload["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert [p["containerPort"] for p in container["ports"]] == [int(env["OCOP_METRICS_PORT"])]
        assert [
            (p["port"], [f["namespaceSelector"]["matchLabels"] for f in r["from"]])
            for r in rules
            for p in r["ports"]
        ] == [(int(env["OCOP_METRICS_PORT"]), [{"kubernetes.io/metadata.name": "monitoring"}])]


# --- autoscaling -------------------------------------------------------------------------------


def _consumed_queues(deployment: dict[str, Any]) -> set[str]:
    """The queues a worker process consumes, from the code's topology."""
    service = deployment["metadata"]["labels"]["app.kubernetes.io/name"]
    if deployment["metadata"]["labels"]["app.kubernetes.io/component"] == "sender":
        return {topology.mail_queue().name}
    return {topology.events_queue(service).name, topology.tasks_queue(service).name}


def _workers() -> dict[str, dict[str, Any]]:
    return {
        name: d
        for name, d in k8s("Deployment").items()
        if d["metadata"]["labels"]["app.kubernetes.io/component"] in ("worker", "sender")
    }


@pytest.mark.parametrize("name", sorted(_workers()))
def test_workers_scale_on_the_depth_of_the_queues_they_consume(name: str) -> None:
    deployment = _workers()[name]
    scaled = k8s("ScaledObject")[name]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"] == {"name": name}
    assert 1 <= scaled["spec"]["minReplicaCount"] < scaled["spec"]["maxReplicaCount"]
    assert "replicas" not in deployment["spec"], "the autoscaler owns the count"
    env = {
        e["name"] for c in deployment["spec"]["template"]["spec"]["containers"] for e in c["env"]
    }
    triggers = scaled["spec"]["triggers"]
    assert {t["type"] for t in triggers} == {"rabbitmq"}
    assert {t["metadata"]["queueName"] for t in triggers} == _consumed_queues(deployment)
    for trigger in triggers:
        assert (
            trigger["metadata"]["mode"] == "QueueLength" and int(trigger["metadata"]["value"]) > 0
        )
        assert trigger["metadata"]["hostFromEnv"] in env


def test_nothing_but_workers_is_autoscaled() -> None:
    assert set(k8s("ScaledObject")) == set(_workers())


def test_kustomization_applies_the_policies_budgets_and_scalers() -> None:
    (kustomization,) = strict_yaml.load_all(K8S / "kustomization.yaml")
    assert {"network-policies.yaml", "disruption-budgets.yaml", "autoscaling.yaml"} <= set(
        kustomization["resources"]
    )
