"""The dead-letter queue of a service, for operators: list what was parked and why, show one
whole, replay them, or drop a poison one.

Listing takes every message without acknowledging it and lets the channel close, which hands
them all back to the queue (RabbitMQ requeues unacknowledged deliveries; kombu's virtual
transports restore them), so a listing changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Celery

from shared.messaging import topology
from shared.messaging.relay import EVENT_TASK

log = logging.getLogger(__name__)


def list_dead(app: Celery, service: str) -> list[dict[str, Any]]:
    """The parked messages of ``service``: ``{service, reason, dead_at, envelope}`` each."""
    with app.connection_for_write() as conn:
        channel = conn.channel()
        try:
            queue = topology.dead_queue(service)(channel)
            queue.declare()
            found = []
            while (message := queue.get(no_ack=False)) is not None:
                found.append(message.decode())
            return found
        finally:
            channel.close()  # unacknowledged: all go back to the queue


def show(app: Celery, service: str, event_id: str) -> dict[str, Any] | None:
    """One parked message whole (its envelope with every field), or None; changes nothing."""
    return next(
        (d for d in list_dead(app, service) if str(d["envelope"].get("event_id")) == event_id),
        None,
    )


def replay(app: Celery, service: str, event_id: str | None = None) -> int:
    """Send parked events (all, or the one with ``event_id``) back to the service's own queue."""

    def send_back(app: Celery, envelope: dict[str, Any], producer: Any) -> None:
        app.send_task(
            EVENT_TASK,
            args=[envelope],
            exchange="",
            routing_key=topology.events_queue(service).name,
            producer=producer,
            retry=True,
        )

    return _take(app, service, event_id, send_back)


def drop(app: Celery, service: str, event_id: str) -> int:
    """Remove one parked event for good (a poison message nobody will ever handle): 1 if it
    was there. The case file keeps what the event said; only its delivery here is given up."""

    def forget(app: Celery, envelope: dict[str, Any], producer: Any) -> None:
        log.warning("dropped parked event %s (%s) of %s", event_id, envelope.get("type"), service)

    return _take(app, service, event_id, forget)


def _take(
    app: Celery,
    service: str,
    event_id: str | None,
    act: Callable[[Celery, dict[str, Any], Any], None],
) -> int:
    """``act`` on each parked event (or the one with ``event_id``), then acknowledge it; the
    others stay unacknowledged and return to the queue when the channel closes."""
    taken = 0
    with app.connection_for_write() as conn:
        topology.declare(conn)
        channel = conn.channel()
        try:
            queue = topology.dead_queue(service)(channel)
            producer = app.amqp.Producer(conn, auto_declare=False)
            while (message := queue.get(no_ack=False)) is not None:
                envelope = message.decode()["envelope"]
                if event_id is not None and str(envelope.get("event_id")) != event_id:
                    continue
                act(app, envelope, producer)
                message.ack()  # only once the action is done (a replay is on the broker)
                taken += 1
        finally:
            channel.close()
    return taken
