"""Readiness is the database's: with the broker away, requests still succeed (the outbox holds
their events), so /readyz stays 200 and reports the broker beside it; without the database it
is 503 (issue 19)."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.auth import TokenVerifier


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


@contextmanager
def _app(notification: Any, registration: Any, **settings: str) -> Iterator[Any]:
    """The notification app on other settings, its connections closed afterwards."""
    from services.notification.app import create_app
    from services.notification.runtime import Notification

    rt = Notification(dataclasses.replace(notification.settings, **settings), wake_sender=False)
    verifier = TokenVerifier(
        issuer=rt.settings.jwt_issuer,
        audience=rt.settings.jwt_audience,
        resolve_key=registration.keyring.public_key,
    )
    try:
        yield create_app(rt, verifier=verifier)
    finally:
        rt.close()


def test_without_the_broker_the_service_stays_ready_and_says_so(notification, registration) -> None:
    broker = f"amqp://guest:guest@127.0.0.1:{_closed_port()}//"
    with _app(notification, registration, broker_url=broker) as app:
        reply = app.test_client().get("/readyz")
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["status"] == "ready" and body["checks"] == {"database": "ok"}
    assert body["broker"].startswith("error")


def test_without_the_database_the_service_is_not_ready(notification, registration) -> None:
    nowhere = "postgresql+psycopg://nobody@127.0.0.1:1/x"
    with _app(notification, registration, database_url=nowhere) as app:
        reply = app.test_client().get("/readyz")
    assert reply.status_code == 503
    assert reply.get_json()["checks"]["database"].startswith("error")
