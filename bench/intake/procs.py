"""Processes of a benchmark run: the data dir and database, the ``ocop`` CLI, gunicorn process
groups (always killed on exit), and RSS sampling of every process of a gunicorn tree."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672//"


@dataclass
class RunEnv:
    mode: str
    data_dir: Path
    database_url: str
    broker_url: str
    pg_database: str | None = None  # the fresh PostgreSQL database to drop afterwards

    def variables(self) -> dict[str, str]:
        return {
            **os.environ,
            "OCOP_DATA_DIR": str(self.data_dir),
            "OCOP_REGISTRATION_DATABASE_URL": self.database_url,
            "OCOP_BROKER_URL": self.broker_url,
            # One login per client for the whole run (logins are rate limited).
            "OCOP_TOKEN_TTL_SECONDS": "7200",
            "BENCH_CEILING_DATABASE_URL": self.database_url,
            "PYTHONUNBUFFERED": "1",
        }


def _admin_dsn(pg_url: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(pg_url).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


@contextlib.contextmanager
def run_env(mode: str, *, pg_url: str, broker_url: str, keep: bool) -> Iterator[RunEnv]:
    """A fresh data dir and, in servers mode, a fresh database; removed afterwards."""
    import shutil

    data_dir = Path(tempfile.mkdtemp(prefix=f"ocop-bench-intake-{mode}-"))
    env = RunEnv(
        mode,
        data_dir,
        f"sqlite:///{data_dir / 'registration' / 'registration.sqlite'}",
        f"sqla+sqlite:///{data_dir / 'broker.sqlite'}",
    )
    if mode == "servers":
        import psycopg
        from sqlalchemy.engine import make_url

        env.pg_database = f"ocop_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_admin_dsn(pg_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{env.pg_database}"')
        env.database_url = (
            make_url(pg_url).set(database=env.pg_database).render_as_string(hide_password=False)
        )
        env.broker_url = broker_url
    try:
        yield env
    finally:
        if env.pg_database:
            import psycopg

            with psycopg.connect(_admin_dsn(pg_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{env.pg_database}" WITH (FORCE)')
        if keep:
            print(f"kept data dir {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def ocop(env: RunEnv, *args: str) -> None:
    """Run the ``ocop`` CLI in a subprocess with the run's environment."""
    subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=ROOT,
        env=env.variables(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Exec(Exception):
    pass


def web_argv(port: int, workers: int) -> list[str]:
    """The gunicorn command line ``ocop web registration`` execs, captured instead of run, so
    the ceiling is served with exactly the product's server settings."""
    from unittest import mock

    from services import cli

    captured: list[str] = []

    def fake_execv(_path: str, argv: list[str]) -> None:
        captured.extend(argv)
        raise _Exec

    with mock.patch.object(os, "execv", fake_execv), contextlib.suppress(_Exec):
        cli.main(["web", "registration", "--port", str(port), "--workers", str(workers)])
    if PRODUCT_APP not in captured:
        raise RuntimeError(f"unexpected `ocop web` command line: {captured}")
    return captured


PRODUCT_APP = "services.registration.wsgi:app"
CEILING_APP = "bench.intake.ceiling:app"


class Servers:
    """Gunicorn masters started in their own process groups; ``stop_all`` kills the groups."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str], env: RunEnv, port: int) -> Server:
        """Start a server (not yet ready: call ``wait_ready``, after starting a sampler)."""
        log = (env.data_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env.variables(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._procs.append(proc)
        return Server(name, proc, f"http://127.0.0.1:{port}", env.data_dir / f"{name}.log")

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        # Workers left behind by a master killed first die with their group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for proc in reversed(self._procs):
            self.stop(proc)
        self._procs.clear()


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}); see {self.log}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.log}")

    def pids(self) -> dict[int, str]:
        """The master and its worker processes (children found through /proc)."""
        found = {self.proc.pid: "master"}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...; comm may contain spaces, so split after the last ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                found[int(entry.name)] = "worker"
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its live workers."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
        return total


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class RssSampler:
    """Samples the RSS of every process of a server; keeps the maximum per process and phase."""

    server: Server
    interval: float = 0.1
    phase: str = "boot"
    peak: dict[int, dict[str, float]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    phases: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        if self.phase not in self.phases:
            self.phases.append(self.phase)
        for pid, role in self.server.pids().items():
            mb = rss_mb(pid)
            if mb is not None:
                per_phase = self.peak.setdefault(pid, {})
                per_phase[self.phase] = max(per_phase.get(self.phase, 0.0), mb)
                self.roles[pid] = role

    def enter(self, phase: str) -> None:
        self.sample()
        self.phase = phase
        self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()
