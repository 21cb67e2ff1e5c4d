"""``ocop web --reuse-port`` (docs/operations.md, Upgrades): a second web process binds the
port the first serves, both answer, and the port keeps answering once the first stops."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import requests

from tests.e2e.stack import Stack, free_port
from tests.support.environment import Environment
from tests.support.observe import wait_until

pytestmark = pytest.mark.e2e


def _ready(url: str) -> bool:
    try:
        return requests.get(f"{url}/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_two_web_processes_share_a_port_for_a_rolling_restart(
    migrated: Environment, tmp_path: Path
) -> None:
    stack = Stack(migrated, tmp_path)
    port = str(free_port())
    url = f"http://127.0.0.1:{port}"
    args = ("web", "evaluation", "--port", port, "--workers", "1", "--reuse-port")
    try:
        old = stack.start("old-web", *args)
        assert wait_until(lambda: _ready(url), 60), stack.log("old-web")
        new = stack.start("new-web", *args)
        # Bound beside the old one rather than refused with "address already in use".
        assert wait_until(lambda: "Listening at" in stack.log("new-web"), 60), stack.log("new-web")
        assert new.poll() is None, stack.log("new-web")
        os.killpg(old.pid, signal.SIGTERM)
        old.wait(30)
        assert all(_ready(url) for _ in range(5)), stack.log("new-web")
    finally:
        stack.stop()
