"""Every queue the product declares is a quorum queue, and a delayed message waits in a delay
queue that hands it back to its own queue (shared/messaging/topology.py)."""

from __future__ import annotations

from shared.config import load
from shared.messaging import topology
from shared.messaging.celery_app import make_celery


def test_every_queue_is_a_quorum_queue() -> None:
    queues = [*topology.all_queues(), *topology.delay_queues()]
    names = {q.name for q in queues}
    assert {"registration.dead", "evaluation.tasks", "notification.mail"} <= names
    assert all((q.queue_arguments or {}).get("x-queue-type") == "quorum" for q in queues)
    assert all(q.durable and not q.auto_delete and not q.exclusive for q in queues)


def test_a_delay_queue_moves_its_messages_into_its_target_after_its_wait() -> None:
    queue = topology.delay_queue("evaluation.events", 4)
    args = queue.queue_arguments or {}
    assert queue.name == "evaluation.events.delay.4s"
    assert args["x-message-ttl"] == 4000
    assert (args["x-dead-letter-exchange"], args["x-dead-letter-routing-key"]) == (
        "",
        "evaluation.events",
    )
    # Kept across the loss of a node; RabbitMQ requires reject-publish for it.
    assert args["x-dead-letter-strategy"] == "at-least-once"
    assert args["x-overflow"] == "reject-publish"


def test_a_wait_takes_the_shortest_delay_long_enough() -> None:
    assert [topology.delay_for(s) for s in (0.2, 1, 1.5, 8, 9, 60, 3600)] == [
        1,
        1,
        2,
        8,
        16,
        60,
        60,
    ]
    # Every retry's wait (consumer.backoff) is one of them exactly.
    from shared.messaging.consumer import backoff

    assert {backoff(r) for r in range(12)} <= set(topology.DELAYS)


def test_the_worker_leaves_out_celerys_native_delayed_delivery() -> None:
    app = make_celery(load("registration"))
    consumer = app.conf.worker_consumer
    assert consumer == "shared.messaging.celery_app:Consumer"
    from shared.messaging.celery_app import Consumer

    assert not any("DelayedDelivery" in s for s in Consumer.Blueprint.default_steps)
    assert any("Tasks" in s for s in Consumer.Blueprint.default_steps)
