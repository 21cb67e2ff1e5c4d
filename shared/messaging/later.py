"""Sending a task to a queue to run some seconds from now, on either broker."""

from __future__ import annotations

from typing import Any

from celery import Celery

from shared.messaging import topology


def on_rabbitmq(app: Celery) -> bool:
    return bool(app.connection_for_write().transport.driver_type == "amqp")


def send_later(app: Celery, name: str, *, queue: str, seconds: float, **options: Any) -> None:
    """Send task ``name`` into ``queue`` (one of topology.delayed_targets) to run in ``seconds``.

    On RabbitMQ the message waits in a delay queue (topology.delay_queue) for the shortest of
    topology.DELAYS that is long enough, so nothing waits in a worker's memory and it survives
    the loss of a broker node. The embedded transport has no message TTL: there it is a Celery
    countdown, the worker holding the message until its time.
    """
    if on_rabbitmq(app):
        delay = topology.delay_queue(queue, topology.delay_for(seconds))
        # The queue itself, not a routing key: Celery sends a task routed to a direct queue
        # (the sender's, by task_routes) through the default exchange under that queue's name
        # whatever routing key is given, which skipped the delay.
        app.send_task(name, queue=delay, **options)
    else:
        app.send_task(name, countdown=seconds, exchange="", routing_key=queue, **options)
