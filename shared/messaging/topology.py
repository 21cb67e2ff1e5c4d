"""The whole broker topology, declared in one place and by every process at start.

Declaring everything everywhere is required, not cosmetic: kombu's virtual transports (the
SQLAlchemy transport of the embedded mode) keep exchange bindings in the memory of the process
that declared them, so a publisher that has not declared a queue's bindings routes a topic
message nowhere. On RabbitMQ re-declaring durable entities with the same arguments is a no-op.

On RabbitMQ every queue is a quorum queue: replicated on the cluster's nodes, it survives the loss
of a node, the one leading it included (docs/operations.md, "Broker"). kombu's SQLAlchemy
transport ignores queue arguments, so the embedded mode declares the same queues. A queue's type
cannot change: a broker holding classic queues of these names refuses the declaration
(PRECONDITION_FAILED); docs/operations.md says how to move over.
"""

from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

EVENTS = Exchange("ocop.events", type="topic", durable=True)
DEAD = Exchange("ocop.dead", type="direct", durable=True)

QUORUM: dict[str, object] = {"x-queue-type": "quorum"}

# The waits of a retry (consumer.backoff) and of a delayed wake-up, in seconds: one delay queue
# for each, per queue that takes delayed messages. See delay_queue.
DELAYS: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 60)

# What each service listens to. The registration service keeps every case's history, so it hears
# every event, its own included. The others hear exactly the types they have a handler for
# (tests/contract checks it): a message nobody reads still costs the broker and the worker.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "registration": ("#",),
    "evaluation": (
        "account.created",
        "account.signed_out",
        "account.updated",
        "calendar.notice_loaded",
        "certificate.imported",
        "dossier.accepted",
        "dossier.assigned",
        "dossier.document_added",
        "dossier.withdrawn",
        "units.map_loaded",
    ),
    "notification": (
        "account.created",
        "account.email_confirmation_issued",
        "account.password_link_issued",
        "account.signed_out",
        "account.updated",
        "certificate.expired",
        "certificate.expiring",
        "certificate.issued",
        "certificate.revoked",
        "consultant.access_changed",
        "council.member_added",
        "council.member_removed",
        "deadline.approaching",
        "deadline.breached",
        "dossier.accepted",
        "dossier.assigned",
        "dossier.resubmitted",
        "dossier.returned",
        "dossier.submitted",
        "dossier.withdrawn",
        "evaluation.awaiting_decision",
        "evaluation.conflict_declared",
        "evaluation.decided",
        "evaluation.forwarded",
        "evaluation.handed_back",
        "evaluation.opened",
        "evaluation.rescore_requested",
        "units.map_loaded",
    ),
}

# Bindings of earlier releases, removed at declaration: a durable queue on RabbitMQ keeps every
# binding it was ever given.
RETIRED_BINDINGS: dict[str, tuple[str, ...]] = {
    "evaluation": ("dossier.#", "account.#"),
    "notification": (
        "account.#",
        "consultant.#",
        "council.#",
        "dossier.#",
        "evaluation.#",
        "certificate.#",
        "deadline.#",
    ),
}


def events_queue(service: str) -> Queue:
    """The durable queue through which ``service`` receives the events it subscribes to."""
    return Queue(
        f"{service}.events",
        exchange=EVENTS,
        bindings=[binding(EVENTS, routing_key=key) for key in SUBSCRIPTIONS[service]],
        durable=True,
        queue_arguments=QUORUM,
    )


def dead_queue(service: str) -> Queue:
    """Where ``service`` parks a message it gave up on, for an operator to list and replay."""
    return Queue(
        f"{service}.dead",
        exchange=DEAD,
        routing_key=service,
        durable=True,
        queue_arguments=QUORUM,
    )


def tasks_queue(service: str) -> Queue:
    """The service's own background tasks (not events), on the default direct exchange."""
    return Queue(f"{service}.tasks", durable=True, queue_arguments=QUORUM)


def mail_queue() -> Queue:
    """The notification service's outgoing email, consumed by its sender processes only, so a
    slow SMTP server never holds up the consumption of events."""
    return Queue("notification.mail", durable=True, queue_arguments=QUORUM)


def delay_for(seconds: float) -> int:
    """The shortest of DELAYS that waits at least ``seconds`` (the longest if none does)."""
    return next((d for d in DELAYS if d >= seconds), DELAYS[-1])


def delay_queue(target: str, seconds: int) -> Queue:
    """Where a message waits ``seconds`` before RabbitMQ moves it into the queue ``target``.

    Celery's countdown holds a message unacknowledged in a worker until its time; Celery's own
    answer for quorum queues (native delayed delivery) re-routes it through the exchange the
    target queue is bound to, which for an event is the topic exchange: every subscriber would
    get a retry again, and the registration service (bound to "#") every delayed message of the
    broker. Here the message waits in a queue of its own, whose one TTL makes messages expire
    in the order they came (a quorum queue expires only at its head), and is dead-lettered
    through the default exchange straight into ``target``. "at-least-once" dead-lettering keeps
    it across the loss of a node; a copy twice delivered is an event the inbox already knows.
    """
    return Queue(
        f"{target}.delay.{seconds}s",
        durable=True,
        queue_arguments={
            **QUORUM,
            "x-message-ttl": seconds * 1000,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": target,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",  # required by at-least-once dead-lettering
        },
    )


def delayed_targets() -> list[str]:
    """The queues that take delayed messages: event retries, and the sender's wake-ups."""
    return [*(events_queue(service).name for service in SUBSCRIPTIONS), mail_queue().name]


def delay_queues() -> list[Queue]:
    return [delay_queue(target, seconds) for target in delayed_targets() for seconds in DELAYS]


def all_queues() -> list[Queue]:
    return [
        *(
            q
            for service in SUBSCRIPTIONS
            for q in (events_queue(service), dead_queue(service), tasks_queue(service))
        ),
        mail_queue(),
    ]


def declare(connection: Connection) -> None:
    """Declare exchanges, queues and bindings on ``connection``."""
    channel = connection.default_channel
    EVENTS(channel).declare()
    DEAD(channel).declare()
    # Only RabbitMQ expires and dead-letters messages; the embedded mode uses a countdown.
    delays = delay_queues() if connection.transport.driver_type == "amqp" else []
    for queue in [*all_queues(), *delays]:
        queue(channel).declare()
    for service, keys in RETIRED_BINDINGS.items():
        for key in keys:
            channel.queue_unbind(events_queue(service).name, EVENTS.name, routing_key=key)
