"""Fault runs over real processes (tests/e2e/stack.py): registration's web, relay and worker
(which files the case-file ledger), notification's worker, sender and relay, and an SMTP sink
of the module's own that a test can script faults into. A module may name other processes in
``PROCESSES``, as the e2e modules do.

The fault runs share a system of their own, apart from the session's: a sender started on the
session's databases would first send the thousands of emails the in-process suites queued and
never sent, and a run's own emails would wait behind them past its settling."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.notification.sink import SmtpSink
from tests.e2e.stack import Stack, free_port, running
from tests.reliability.effects import Scope
from tests.support.environment import Environment, environment, exported, migrate

PROCESSES = (
    "registration-web",
    "registration-relay",
    "registration-worker",
    "notification-worker",
    "notification-sender",
    "notification-relay",
)


@pytest.fixture(scope="package")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    """The fault runs' own databases and broker, migrated (overrides the session's)."""
    with environment(tmp_path_factory.mktemp("ocop-faults")) as e, exported(e):
        yield migrate(e)


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
    return Scope(databases, sink.store.directory)
