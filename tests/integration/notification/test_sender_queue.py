"""Sending has a queue of its own: the consumer of an event that queues emails wakes the sender
on ``notification.mail`` (which only ``ocop worker notification --sender`` consumes), never on
the event worker's queues."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kombu import Connection

from services.notification.tasks import SEND_PENDING
from shared.messaging import topology
from tests.integration.notification.conftest import add_contact
from tests.integration.notification.test_delivery import decided_event


def task_names(broker_url: str, queue_name: str, *, wait: float) -> list[str]:
    """Take every message off ``queue_name`` (waiting up to ``wait`` s for a first one)."""
    queue = next(q for q in topology.all_queues() if q.name == queue_name)
    names: list[str] = []
    deadline = time.monotonic() + wait
    with Connection(broker_url) as conn:
        simple = conn.SimpleQueue(queue)
        try:
            while True:
                try:
                    message = simple.get(block=True, timeout=0.2)
                except simple.Empty:
                    if names or time.monotonic() > deadline:
                        return names
                    continue
                names.append(message.headers["task"])
                message.ack()
        finally:
            simple.close()


def test_queued_emails_wake_the_sender_on_its_own_queue(env, notification: Any) -> None:
    from services.notification.runtime import Notification

    waking = Notification(wake_sender=True)  # as the event worker runs
    try:
        for name in ("notification.mail", "notification.tasks"):
            task_names(env.broker_url, name, wait=0)  # start from empty queues
        applicant = add_contact(notification, roles=["applicant"])
        event = decided_event(applicant["account_id"], [], None)
        assert waking.inbox().consume(event.to_dict()) == "handled"
        assert task_names(env.broker_url, "notification.mail", wait=10) == [SEND_PENDING]
        assert task_names(env.broker_url, "notification.tasks", wait=0.5) == []

        # A redelivery queues nothing, so it wakes no one.
        assert waking.inbox().consume(event.to_dict()) == "duplicate"
        assert task_names(env.broker_url, "notification.mail", wait=0.5) == []
    finally:
        waking.close()


def test_a_delayed_wake_up_reaches_the_sender_after_its_delay(env, notification: Any) -> None:
    """After a transient failure the sender wakes itself at the next retry time: on RabbitMQ
    through a delay queue that hands the message on to ``notification.mail``, on the embedded
    broker as a countdown (which the worker holds: nothing to see on the queue here)."""
    from services.notification.runtime import Notification
    from shared.messaging.later import on_rabbitmq, send_later

    waking = Notification(wake_sender=True)
    try:
        if not on_rabbitmq(waking.celery):
            pytest.skip("the embedded broker delays with a countdown held by the worker")
        with waking.celery.connection_for_write() as conn:
            topology.declare(conn)
        task_names(env.broker_url, "notification.mail", wait=0)
        send_later(waking.celery, SEND_PENDING, queue="notification.mail", seconds=1)
        assert task_names(env.broker_url, "notification.mail", wait=0.5) == []  # not yet
        assert task_names(env.broker_url, "notification.mail", wait=10) == [SEND_PENDING]
    finally:
        waking.close()
