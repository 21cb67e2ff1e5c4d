"""The dead-letter queue of a service, for operators: list what was parked and why, replay it.

Listing takes every message without acknowledging it and lets the channel close, which hands
them all back to the queue (RabbitMQ requeues unacknowledged deliveries; kombu's virtual
transports restore them), so a listing changes nothing.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from shared.messaging import topology
from shared.messaging.relay import EVENT_TASK


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


def replay(app: Celery, service: str, event_id: str | None = None) -> int:
    """Send parked events (all, or the one with ``event_id``) back to the service's own queue."""
    replayed = 0
    with app.connection_for_write() as conn:
        topology.declare(conn)
        channel = conn.channel()
        try:
            queue = topology.dead_queue(service)(channel)
            producer = app.amqp.Producer(conn, auto_declare=False)
            while (message := queue.get(no_ack=False)) is not None:
                body = message.decode()
                envelope = body["envelope"]
                if event_id is not None and str(envelope.get("event_id")) != event_id:
                    continue  # left unacknowledged: it returns to the queue
                app.send_task(
                    EVENT_TASK,
                    args=[envelope],
                    exchange="",
                    routing_key=topology.events_queue(service).name,
                    producer=producer,
                    retry=True,
                )
                message.ack()  # only once the replay is on the broker
                replayed += 1
        finally:
            channel.close()
    return replayed
