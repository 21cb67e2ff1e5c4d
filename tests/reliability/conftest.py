"""Fault runs over real processes (tests/e2e/stack.py): registration's web, relay and worker
(which files the case-file ledger), notification's worker, sender and relay, and an SMTP sink
of the module's own that a test can script faults into. A module may name other processes in
``PROCESSES``, as the e2e modules do."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from services.notification.sink import SmtpSink
from tests.e2e.stack import Stack, free_port, running
from tests.reliability.effects import Scope
from tests.support.environment import Environment
from tests.support.observe import scalar, wait_until

PROCESSES = (
    "registration-web",
    "registration-relay",
    "registration-worker",
    "notification-worker",
    "notification-sender",
    "notification-relay",
)


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    with SmtpSink("127.0.0.1", free_port(), tmp_path_factory.mktemp("mail")) as running:
        yield running


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest,
    migrated: Environment,
    tmp_path_factory: pytest.TempPathFactory,
    sink: SmtpSink,
) -> Iterator[Stack]:
    with running(
        migrated,
        tmp_path_factory.mktemp("logs"),
        getattr(request.module, "PROCESSES", PROCESSES),
        OCOP_SMTP_PORT=str(sink.port),
        **getattr(request.module, "ENV", {}),
    ) as s:
        yield s


@pytest.fixture(scope="module")
def scope(stack: Stack, sink: SmtpSink) -> Scope:
    databases = {
        s: stack.env[f"OCOP_{s.upper()}_DATABASE_URL"]
        for s in ("registration", "evaluation", "notification")
    }
    _quiet(databases["notification"])
    return Scope(databases, sink.store.directory)


def _quiet(notification_url: str, timeout: float = 300) -> None:
    """The session's backlog first. The suites before ran the services in-process, with no
    sender: the first fault run's stack sends thousands of emails they queued (and applies the
    events left in the broker) before any of its own, and on a loaded machine that took longer
    than a run's settling allows. Its own effects are counted from a quiet start."""
    from datetime import UTC, datetime

    from sqlalchemy import func, or_, select

    from services.notification.models import Delivery

    quiet_since: list[float] = []

    def settled() -> bool:
        # What a sender may take now: a row an earlier test leased and left (its sender
        # stopped mid-send, on purpose) waits out its lease, which is not this run's business.
        free = or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < datetime.now(UTC))
        waiting = select(func.count()).where(Delivery.status == "queued", free)
        if scalar(notification_url, waiting):
            quiet_since.clear()
            return False
        quiet_since.append(time.monotonic())
        return quiet_since[-1] - quiet_since[0] >= 3  # none queued for 3 s: events applied too

    assert wait_until(settled, timeout, every=0.5), "the session's queued emails never went out"
