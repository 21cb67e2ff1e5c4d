"""End-to-end fixtures: the services as separate processes on real ports.

A test module names the processes it needs in ``PROCESSES`` (``service-web``, ``service-worker``,
``service-relay``); the web processes start first, each once ready.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Stack
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
    from services.registration.runtime import Registration
    from services.registration.seed import seed_demo

    rt = Registration()
    seed_demo(rt)
    rt.close()
    processes = getattr(request.module, "PROCESSES", DEFAULT_PROCESSES)
    s = Stack(migrated, tmp_path_factory.mktemp("logs"), OCOP_RELAY_POLL_SECONDS="5")
    try:
        for name in processes:
            service, kind = name.rsplit("-", 1)
            if kind == "web":
                s.web(service, workers=2 if service == "registration" else 1)
            else:
                s.start(name, kind, service)
        yield s
    finally:
        s.stop()
