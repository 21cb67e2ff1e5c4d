"""The whole broker topology, declared in one place and by every process at start.

Declaring everything everywhere is required, not cosmetic: kombu's virtual transports (the
SQLAlchemy transport of the embedded mode) keep exchange bindings in the memory of the process
that declared them, so a publisher that has not declared a queue's bindings routes a topic
message nowhere. On RabbitMQ re-declaring durable entities with the same arguments is a no-op.
"""

from __future__ import annotations

from kombu import Connection, Exchange, Queue, binding

EVENTS = Exchange("ocop.events", type="topic", durable=True)
DEAD = Exchange("ocop.dead", type="direct", durable=True)

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
    )


def dead_queue(service: str) -> Queue:
    """Where ``service`` parks a message it gave up on, for an operator to list and replay."""
    return Queue(f"{service}.dead", exchange=DEAD, routing_key=service, durable=True)


def tasks_queue(service: str) -> Queue:
    """The service's own background tasks (not events), on the default direct exchange."""
    return Queue(f"{service}.tasks", durable=True)


def mail_queue() -> Queue:
    """The notification service's outgoing email, consumed by its sender processes only, so a
    slow SMTP server never holds up the consumption of events."""
    return Queue("notification.mail", durable=True)


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
    for queue in all_queues():
        queue(channel).declare()
    for service, keys in RETIRED_BINDINGS.items():
        for key in keys:
            channel.queue_unbind(events_queue(service).name, EVENTS.name, routing_key=key)
