"""Emails over real processes: a submission over HTTP reaches the notification worker through
the relay and the broker, and the applicant's and the commune's emails land in the SMTP sink
(run as its own process), once each."""

from __future__ import annotations

import email
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest

from tests.e2e.stack import Stack, free_port
from tests.support import flows
from tests.support.environment import Environment

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(migrated: Environment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from services.registration.runtime import Registration
    from services.registration.seed import seed_demo

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


def test_submission_emails_land_in_the_sink_once(stack: Stack) -> None:
    call = flows.http_transport(stack.urls["registration"])
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert flows.act(applicant, dossier, "submit").status == 200
    mail_dir: Path = stack.mail_dir  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        mine = _messages_to(mail_dir, applicant.account["email"])
        commune = _messages_to(mail_dir, "xa.dongha@ocop.local")
        if mine and commune:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(stack.log("notification-worker"))
    time.sleep(2)  # a duplicate would have arrived by now
    mine = [
        m
        for m in _messages_to(mail_dir, applicant.account["email"])
        if dossier["id"] in m.get_body(("plain",)).get_content()
    ]
    assert len(mine) == 1
    message = mine[0]
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"]
