"""One Celery application per service, configured for at-least-once delivery."""

from __future__ import annotations

from typing import Any, ClassVar

from celery import Celery, signals
from celery.worker.consumer import Consumer as CeleryConsumer

from shared.config import Settings, is_embedded_broker
from shared.messaging import topology


class Consumer(CeleryConsumer):
    """Celery's worker consumer without its native delayed delivery, which it turns on when the
    queues are quorum queues: it binds every queue to its delay exchanges through the queue's
    own bindings, so the registration queue (bound to "#") would receive every delayed message
    of the broker. Delays are ours instead (topology.delay_queue, later.send_later)."""

    class Blueprint(CeleryConsumer.Blueprint):
        default_steps: ClassVar[list[str]] = [
            step for step in CeleryConsumer.Blueprint.default_steps if "DelayedDelivery" not in step
        ]


def make_celery(settings: Settings) -> Celery:
    """The Celery app of ``settings.service``: its event queue and its own task queue."""
    embedded = is_embedded_broker(settings.broker_url)
    transport_options: dict[str, Any] = {}
    if embedded:
        transport_options["visibility_timeout"] = settings.broker_visibility_seconds
    else:
        # Publisher confirms: a publish returns only once RabbitMQ has taken the message (on a
        # quorum queue, once a majority of its nodes has it). The broker URL may list several
        # nodes separated by ";": kombu then fails over to the next one.
        transport_options["confirm_publish"] = True
    # AMQP heartbeats every few seconds: a dead broker connection is noticed quickly, and the
    # worker's event loop wakes often enough to stop promptly on shutdown.
    heartbeat = 0 if embedded else 4
    app = Celery(f"ocop.{settings.service}", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # Acks are late, so a prefetched message is never lost. Events are applied in batches
        # (consumer.EventBatches): the worker must hold two batches' worth, one being applied
        # and the next arriving, or it would wait for the batch timer instead.
        worker_prefetch_multiplier=2 * settings.consumer_batch_size,
        task_default_delivery_mode="persistent",
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_queues=[
            topology.events_queue(settings.service),
            topology.tasks_queue(settings.service),
        ],
        task_default_queue=topology.tasks_queue(settings.service).name,
        task_create_missing_queues=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options,
        broker_heartbeat=heartbeat,
        worker_hijack_root_logger=False,
        # Remote control and events use fanout exchanges, which the virtual transport keeps per
        # process; they are an operator convenience we do not rely on.
        worker_enable_remote_control=not embedded,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_consumer=f"{Consumer.__module__}:{Consumer.__qualname__}",
        # Quorum queues know no global QoS: Celery sees them (the default) and sets the
        # prefetch per consumer.
        worker_detect_quorum_queues=True,
    )

    def _declare(sender: Any = None, **_: Any) -> None:
        if sender is not None and getattr(sender, "app", app) is not app:
            return  # another app's worker in the same process (tests)
        with app.connection_for_write() as conn:
            topology.declare(conn)

    # Every process declares the whole topology (see topology.py); prefork children too.
    signals.worker_init.connect(_declare, weak=False)
    signals.worker_process_init.connect(_declare, weak=False)
    return app
