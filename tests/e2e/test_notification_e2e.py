"""Emails over real processes: a submission over HTTP reaches the notification worker through
the relay and the broker, and the applicant's and the commune's emails land in the SMTP sink
(run as its own process), once each, sent by the sender process from its own queue."""

from __future__ import annotations

import email
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path

import pytest

from tests.e2e.stack import Stack, free_port
from tests.support import flows
from tests.support.environment import Environment

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(migrated: Environment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from services.registration.commands.seed import seed_demo
    from services.registration.runtime import Registration

    rt = Registration()
    seed_demo(rt)
    rt.close()
    smtp_port = free_port()
    s = Stack(
        migrated,
        tmp_path_factory.mktemp("logs"),
        OCOP_SMTP_PORT=str(smtp_port),
        OCOP_RELAY_POLL_SECONDS="5",
    )
    s.mail_dir = migrated.data_dir / "mail"  # type: ignore[attr-defined]
    try:
        s.start("mail-sink", "sink", "--port", str(smtp_port), "--http-port", str(free_port()))
        s.web("registration", workers=1)
        s.start("registration-relay", "relay", "registration")
        s.start("notification-worker", "worker", "notification")
        s.start("notification-sender", "worker", "notification", "--sender")
        yield s
    finally:
        s.stop()


def _messages_to(mail_dir: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(mail_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in str(message["To"]):
            found.append(message)
    return found


def _submitted(stack: Stack) -> tuple[flows.Actor, dict]:
    call = flows.http_transport(stack.urls["registration"])
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert flows.act(applicant, dossier, "submit").status == 200
    return applicant, dossier


def _about(mail_dir: Path, address: str, dossier_id: str) -> list[email.message.EmailMessage]:
    return [
        m
        for m in _messages_to(mail_dir, address)
        if dossier_id in m.get_body(("plain",)).get_content()
    ]


def _wait(predicate: Callable[[], bool], stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(
                stack.log("notification-worker") + stack.log("notification-sender")
            )
        time.sleep(0.5)


def _statuses(env: Environment, dossier_id: str) -> list[str]:
    from sqlalchemy import select

    from services.notification.models import Delivery
    from shared.db import make_engine

    engine = make_engine(env.database_urls["notification"])
    try:
        with engine.connect() as conn:
            query = select(Delivery.status).where(Delivery.dossier_id == uuid.UUID(dossier_id))
            return sorted(conn.execute(query).scalars())
    finally:
        engine.dispose()


def test_submission_emails_land_in_the_sink_once(stack: Stack) -> None:
    applicant, dossier = _submitted(stack)
    mail_dir: Path = stack.mail_dir  # type: ignore[attr-defined]

    def arrived() -> bool:
        mine = _messages_to(mail_dir, applicant.account["email"])
        return bool(mine and _messages_to(mail_dir, "xa.dongha@ocop.local"))

    _wait(arrived, stack)
    time.sleep(2)  # a duplicate would have arrived by now
    mine = _about(mail_dir, applicant.account["email"], dossier["id"])
    assert len(mine) == 1
    message = mine[0]
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"]


def test_events_are_consumed_while_the_sender_is_down(stack: Stack, migrated: Environment) -> None:
    """The event worker queues the emails without the sender; the sender sends them once back."""
    sender = stack.processes["notification-sender"]
    os.killpg(sender.pid, signal.SIGTERM)
    sender.wait(30)
    applicant, dossier = _submitted(stack)
    _wait(lambda: "queued" in _statuses(migrated, dossier["id"]), stack)
    time.sleep(2)  # nothing would send them
    mail_dir: Path = stack.mail_dir  # type: ignore[attr-defined]
    assert not _about(mail_dir, applicant.account["email"], dossier["id"])
    assert set(_statuses(migrated, dossier["id"])) == {"queued"}

    stack.start("notification-sender", "worker", "notification", "--sender")
    _wait(lambda: set(_statuses(migrated, dossier["id"])) == {"sent"}, stack)
    time.sleep(2)  # a duplicate would have arrived by now
    assert len(_about(mail_dir, applicant.account["email"], dossier["id"])) == 1
    assert len(_about(mail_dir, "xa.dongha@ocop.local", dossier["id"])) == 1
