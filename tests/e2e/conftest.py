"""End-to-end fixtures: the services as separate processes on real ports.

A test module names the processes it needs in ``PROCESSES`` (``service-web``, ``service-worker``,
``service-relay``); the web processes start first, each once ready.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Stack, running
from tests.support.environment import Environment

DEFAULT_PROCESSES = (
    "registration-web",
    "evaluation-web",
    "notification-web",
    "registration-relay",
    "notification-worker",
)


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest,
    migrated: Environment,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    processes = getattr(request.module, "PROCESSES", DEFAULT_PROCESSES)
    env = {"OCOP_RELAY_POLL_SECONDS": "5", **getattr(request.module, "ENV", {})}
    with running(migrated, tmp_path_factory.mktemp("logs"), processes, **env) as s:
        yield s


# --- the portal in a browser (tests/e2e/browser.py) --------------------------------------


@pytest.fixture(scope="module")
def portal(stack: Stack) -> str:
    """The portal's web process, on the stack's APIs."""
    stack.env["OCOP_EVALUATION_URL"] = stack.urls["evaluation"]
    stack.env["OCOP_NOTIFICATION_URL"] = stack.urls["evaluation"]  # not called by the pages
    return stack.web("portal", workers=2)


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: ``$OCOP_E2E_ARTIFACTS``, else a temporary directory (printed)."""
    where = os.environ.get("OCOP_E2E_ARTIFACTS")
    path = Path(where) if where else tmp_path_factory.mktemp("portal-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nportal screenshots: {path}")
    return path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the module; each person gets a context of their own."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), "install Debian's chromium (.ci/run does)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
