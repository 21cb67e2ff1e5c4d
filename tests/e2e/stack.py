"""Start services as separate processes (gunicorn web, relay, Celery worker) on real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.environment import Environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What a case needs from filing to certificate: both services' web, relay and worker processes
# (no email is sent).
CASE_PROCESSES = (
    "registration-web",
    "evaluation-web",
    "registration-relay",
    "registration-worker",
    "evaluation-relay",
    "evaluation-worker",
)


class Stack:
    """A set of ``ocop`` processes sharing one run-mode environment; stopped together."""

    def __init__(self, env: Environment, log_dir: Path, **extra_env: str) -> None:
        self.env = {**os.environ, **env.variables(), **extra_env, "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn workers die with it
        )
        log.close()
        self.processes[name] = proc
        return proc

    def ocop(self, *args: str) -> str:
        """Run an ``ocop`` command as an operator would, with the stack's settings; its output."""
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def web(self, service: str, workers: int = 2) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        self.urls[service] = url
        if service == "registration":
            self.env["OCOP_REGISTRATION_URL"] = url
            self.env["OCOP_JWKS_URL"] = f"{url}/.well-known/jwks.json"
        self.start(f"{service}-web", "web", service, "--port", str(port), "--workers", str(workers))
        self.wait_ready(url, service)
        return url

    def wait_ready(self, url: str, name: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.processes[f"{name}-web"]
            if proc.poll() is not None:
                raise RuntimeError(f"{name} web exited: {self.log(f'{name}-web')}")
            try:
                if requests.get(f"{url}/readyz", timeout=10).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{name} not ready: {self.log(f'{name}-web')}")

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.processes.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextmanager
def running(
    env: Environment, log_dir: Path, processes: Iterable[str], **extra_env: str
) -> Iterator[Stack]:
    """The demo accounts seeded, then each ``service-kind`` of ``processes`` started (a web one
    once it is ready, ``notification-sender`` as the sending worker); all stopped at the end."""
    from services.registration.commands.seed import seed_demo
    from services.registration.runtime import Registration

    rt = Registration()
    seed_demo(rt)
    rt.close()
    stack = Stack(env, log_dir, **extra_env)
    try:
        for name in processes:
            service, kind = name.rsplit("-", 1)
            if kind == "web":
                stack.web(service, workers=2 if service == "registration" else 1)
            elif kind == "sender":
                stack.start(name, "worker", service, "--sender")
            else:
                stack.start(name, kind, service)
        yield stack
    finally:
        stack.stop()
