"""Fixtures for the notification service: its runtime (the sender driven by the test), its app
with in-process token verification, a real SMTP sink on a free port, and helpers to feed events
and read what arrived."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.notification.sink import SmtpSink
from services.notification.sink.store import parse_message

PORTAL = "http://portal.test"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    """A real SMTP sink on a free port, and the mail settings pointing at it."""
    with SmtpSink("127.0.0.1", _free_port(), tmp_path / "mail") as running:
        monkeypatch.setenv("OCOP_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("OCOP_SMTP_PORT", str(running.port))
        monkeypatch.setenv("OCOP_PORTAL_URL", PORTAL)
        monkeypatch.setenv("OCOP_MAIL_FROM", "no-reply@ocop.test")
        monkeypatch.setenv("OCOP_SMTP_TIMEOUT", "5")
        yield running


class Mailbox:
    """What the sink received, by recipient address."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    def messages(self) -> list[tuple[tuple[str, ...], EmailMessage, bytes]]:
        out = []
        for stored in self.sink.store.list():
            raw = self.sink.store.get(stored.name)
            out.append((stored.rcpt_tos, parse_message(raw), raw))
        return out

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m, _raw in self.messages() if address in rcpts]

    def raw_to(self, address: str) -> list[bytes]:
        return [raw for rcpts, _m, raw in self.messages() if address in rcpts]

    def addresses(self) -> list[str]:
        return sorted(a for rcpts, _m, _raw in self.messages() for a in rcpts)


@pytest.fixture
def mailbox(sink: SmtpSink) -> Mailbox:
    return Mailbox(sink)


def send(notification: Any, **kw: Any) -> Any:
    """Run the sender once, as the worker's task does."""
    from services.notification.adapters import mail_settings
    from services.notification.service import deliveries

    return deliveries.send_pending(db=notification.db, mail=mail_settings.load(), **kw)


def add_contact(
    notification: Any,
    *,
    roles: list[str],
    unit: str | None = None,
    language: str = "vi",
    name: str = "Nguyễn Thị Hoa",
    councils: list[str] | None = None,
) -> dict[str, Any]:
    """An account known to the notification service, as ``account.created`` makes it."""
    from shared.events import new_event
    from shared.events.envelope import SYSTEM

    account_id = uuid.uuid4()
    payload = {
        "account_id": account_id,
        "email": f"{roles[0]}-{account_id.hex[:10]}@example.vn",
        "display_name": name,
        "language": language,
        "roles": roles,
        "unit": unit,
        "councils": councils or [],
    }
    event = new_event("account.created", payload, producer="registration", actor=SYSTEM)
    assert notification.inbox().consume(event.to_dict()) == "handled"
    return {**payload, "account_id": str(account_id)}


def deliveries_of(notification: Any, event_id: Any) -> list[Any]:
    from services.notification.models import Delivery

    with notification.db.reader() as session:
        return list(
            session.execute(
                select(Delivery).where(Delivery.event_id == uuid.UUID(str(event_id)))
            ).scalars()
        )


def outbox_events(notification: Any, type: str, delivery_id: Any) -> list[dict[str, Any]]:
    o = notification.outbox.c
    with notification.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).where(o.type == type)).scalars().all()
    return [e for e in rows if e["payload"]["delivery_id"] == str(delivery_id)]


def contacts_with(notification: Any, role: str, unit: str) -> set[str]:
    from services.notification.service.contacts import SqlContacts

    with notification.db.reader() as session:
        return {c.email for c in SqlContacts(session).with_role_in_unit(role, unit)}
