"""The processes of a B2 run: a fresh data dir, one fresh PostgreSQL database per service, the
broker's queues purged, and every ``ocop`` process of the pipeline started in its own process
group with an RSS sampler (helpers from ``bench.intake.procs``)."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.intake.procs import RssSampler, RunEnv, Server, Servers, _admin_dsn, free_port
from bench.pipeline import noop
from shared import config
from shared.messaging import topology, vhosts

# Raised so that the bench's setup (a dozen officials signing in from 127.0.0.1) and one upload
# per dossier by a handful of applicants are not refused; the product's defaults are 10, 60
# and 60 a minute.
LIMITS = {
    "OCOP_LOGIN_ATTEMPTS_PER_MINUTE": "1000",
    "OCOP_LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE": "100000",
    "OCOP_UPLOADS_PER_MINUTE": "100000",
}


@dataclass
class PipelineEnv(RunEnv):
    """A run environment with a database per service and the services' URLs."""

    database_urls: dict[str, str] = field(default_factory=dict)
    pg_databases: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    def variables(self) -> dict[str, str]:
        env = super().variables()
        env.pop("BENCH_CEILING_DATABASE_URL", None)
        for service, url in self.database_urls.items():
            env[f"OCOP_{service.upper()}_DATABASE_URL"] = url
        env.update(LIMITS)
        env.update(self.extra)
        return env


@contextlib.contextmanager
def pipeline_env(mode: str, *, pg_url: str, broker_url: str, keep: bool) -> Iterator[PipelineEnv]:
    """A fresh data dir and, in servers mode, a fresh database per service (dropped afterwards)
    and the broker's queues purged (before and after)."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"ocop-bench-pipeline-{mode}-"))
    urls = {s: f"sqlite:///{data_dir / s / f'{s}.sqlite'}" for s in config.SERVICES}
    env = PipelineEnv(
        mode,
        data_dir,
        urls["registration"],
        f"sqla+sqlite:///{data_dir / 'broker.sqlite'}",
        database_urls=urls,
    )
    vhost = None
    try:
        if mode == "servers":
            _create_databases(env, pg_url)
            vhost = vhosts.create(broker_url, "ocop_bench")
            env.broker_url = vhosts.with_vhost(broker_url, vhost) if vhost else broker_url
            purge_broker(env.broker_url)
        yield env
    finally:
        if env.pg_databases:
            import psycopg

            with psycopg.connect(_admin_dsn(pg_url), autocommit=True) as conn:
                for name in env.pg_databases:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if vhost:
            vhosts.delete(vhost)
        elif mode == "servers":
            with contextlib.suppress(Exception):
                purge_broker(broker_url, delete_noop=True)
        if keep:
            print(f"kept data dir {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def _create_databases(env: PipelineEnv, pg_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    suffix = uuid.uuid4().hex[:8]
    with psycopg.connect(_admin_dsn(pg_url), autocommit=True) as conn:
        for service in config.SERVICES:
            name = f"ocop_bench_{suffix}_{service}"
            conn.execute(f'CREATE DATABASE "{name}"')
            env.pg_databases.append(name)
            env.database_urls[service] = (
                make_url(pg_url).set(database=name).render_as_string(hide_password=False)
            )
    env.database_url = env.database_urls["registration"]
    env.pg_database = None  # dropped by pipeline_env, all three


def purge_broker(broker_url: str, *, delete_noop: bool = False) -> None:
    """Empty the product's queues (and the no-op queue) on RabbitMQ; refuse to run when another
    process consumes from them, since it would take the run's messages."""
    from kombu import Connection

    with Connection(broker_url) as conn:
        topology.declare(conn)
        channel = conn.default_channel
        noop.QUEUE(channel).declare()
        for queue in [*topology.all_queues(), noop.QUEUE]:
            _, messages, consumers = channel.queue_declare(queue=queue.name, passive=True)
            if consumers:
                raise RuntimeError(
                    f"{consumers} consumer(s) already on {queue.name} at {broker_url}: another "
                    "run is using this broker; stop it or point --broker-url elsewhere"
                )
            if messages:
                channel.queue_purge(queue.name)
        if delete_noop:
            channel.queue_delete(noop.QUEUE.name)


def ocop_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", *args]


@dataclass
class Stack:
    """The pipeline's processes, each with an RSS sampler; stopped together."""

    env: PipelineEnv
    servers: Servers = field(default_factory=Servers)
    procs: dict[str, Server] = field(default_factory=dict)
    samplers: dict[str, RssSampler] = field(default_factory=dict)
    phase: str = "boot"
    stopped: set[str] = field(default_factory=set)

    def start(self, name: str, argv: list[str], port: int = 0) -> Server:
        server = self.servers.start(name, argv, self.env, port)
        # Every 0.5 s: nine samplers each scan /proc for a process's children, and a Python
        # process's RSS does not spike faster than that.
        sampler = RssSampler(server, interval=0.5, phase=self.phase).__enter__()
        self.procs[name] = server
        self.samplers[name] = sampler
        return server

    def web(self, service: str, port: int, workers: int) -> Server:
        argv = ocop_argv("web", service, "--port", str(port), "--workers", str(workers))
        return self.start(f"{service}-web", argv, port)

    def worker(self, service: str, name: str | None = None) -> Server:
        return self.start(name or f"{service}-worker", ocop_argv("worker", service))

    def relay(self, service: str, name: str | None = None) -> Server:
        return self.start(name or f"{service}-relay", ocop_argv("relay", service))

    def sink(self, smtp_port: int, http_port: int) -> Server:
        argv = ocop_argv("sink", "--port", str(smtp_port), "--http-port", str(http_port))
        return self.start("mail-sink", argv, http_port)

    def stop(self, name: str) -> None:
        """Stop one process (its sampler keeps the peaks it saw, under the same name)."""
        server = self.procs[name]
        self.samplers[name].__exit__()
        self.stopped.add(name)
        self.servers.stop(server.proc)

    def enter(self, phase: str) -> None:
        self.phase = phase
        for name, sampler in self.samplers.items():
            if name not in self.stopped:
                sampler.enter(phase)

    def check_alive(self) -> None:
        for name, server in self.procs.items():
            if name not in self.stopped and server.proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited ({server.proc.returncode}); see {server.log}:\n"
                    + server.log.read_text(errors="replace")[-2000:]
                )

    def stop_all(self) -> None:
        for name, sampler in self.samplers.items():
            if name not in self.stopped:
                sampler.__exit__()
        self.servers.stop_all()


def wait_log(server: Server, text: str, timeout: float = 60) -> None:
    """Until ``text`` appears in the process's log (a Celery worker prints "ready.")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        with contextlib.suppress(OSError):
            if text in server.log.read_text(errors="replace"):
                return
        time.sleep(0.1)
    raise RuntimeError(f"{server.name}: no {text!r} in its log after {timeout} s; see {server.log}")


def wait_port(server: Server, port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} not listening on {port} after {timeout} s")


def ports() -> dict[str, int]:
    names = ("registration", "evaluation", "smtp", "sink-http")
    return {name: free_port() for name in names}
