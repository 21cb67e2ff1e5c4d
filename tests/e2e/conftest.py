"""End-to-end fixtures: the services as separate processes on real ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Stack
from tests.support.environment import Environment


@pytest.fixture(scope="module")
def stack(migrated: Environment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from services.registration.runtime import Registration
    from services.registration.seed import seed_demo

    rt = Registration()
    seed_demo(rt)
    rt.close()
    s = Stack(migrated, tmp_path_factory.mktemp("logs"), OCOP_RELAY_POLL_SECONDS="5")
    try:
        s.web("registration", workers=2)
        s.web("evaluation", workers=1)
        s.web("notification", workers=1)
        s.start("registration-relay", "relay", "registration")
        s.start("notification-worker", "worker", "notification")
        yield s
    finally:
        s.stop()
