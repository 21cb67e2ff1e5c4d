"""Idempotent consumption of events: the inbox, the retry policy and the dead-letter path."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from celery import Celery, Task
from sqlalchemy import Table
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared import context
from shared.db import Database, UnitOfWork
from shared.events import EVENT_TYPES, Event, EventError, load_event
from shared.messaging import topology

log = logging.getLogger(__name__)


class Handler(Protocol):
    def __call__(self, *, uow: UnitOfWork, event: Event) -> None: ...


@dataclass(frozen=True, slots=True)
class Inbox:
    """A service's handlers and the table that remembers what it has handled."""

    db: Database
    table: Table
    handlers: Mapping[str, Handler]

    def consume(self, envelope: dict[str, Any]) -> str:
        """Apply one event at most once; returns "handled", "duplicate" or "ignored".

        Raises EventError for a message that can never be handled (poison) and lets database
        errors propagate for the caller to retry.
        """
        kind = envelope.get("type") if isinstance(envelope, dict) else None
        if kind in EVENT_TYPES and kind not in self.handlers:
            return "ignored"  # a known type this service does not read: no need to validate it
        event = load_event(envelope)
        handler = self.handlers.get(event.type)
        if handler is None:
            return "ignored"
        context.event_id.set(str(event.event_id))
        context.dossier_id.set(str(event.dossier_id) if event.dossier_id else None)
        with self.db.unit_of_work() as uow:
            try:
                uow.session.execute(
                    self.table.insert().values(
                        event_id=event.event_id, type=event.type, handled_at=datetime.now(UTC)
                    )
                )
                uow.session.flush()
            except IntegrityError:
                return "duplicate"
            handler(uow=uow, event=event)
            uow.commit()
        return "handled"


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying without counting against the poison budget: the database is away."""
    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def backoff(retries: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    return min(cap, base * (2**retries))


def register_event_task(
    app: Celery, *, service: str, inbox: Inbox, max_retries: int
) -> Callable[..., Any]:
    """Register the ``ocop.event`` task every event message names, for this service's worker."""
    own_queue = topology.events_queue(service).name

    # shared=False: each service app has its own handler under the one task name.
    @app.task(name="ocop.event", bind=True, max_retries=None, acks_late=True, shared=False)
    def handle_event(self: Task, envelope: dict[str, Any]) -> str:
        try:
            return inbox.consume(envelope)
        except EventError as exc:
            dead_letter(app, service=service, envelope=envelope, reason=f"invalid: {exc}")
            return "dead"
        except Exception as exc:
            retries = self.request.retries
            if not is_transient(exc) and retries >= max_retries:
                log.exception("giving up on event after %d tries", retries + 1)
                dead_letter(app, service=service, envelope=envelope, reason=repr(exc))
                return "dead"
            log.warning("event handling failed (try %d), retrying: %r", retries + 1, exc)
            # Retry into this service's own queue only: the default would republish to the
            # topic exchange and hand the event to every subscriber again.
            raise self.retry(
                exc=exc, countdown=backoff(retries), exchange="", routing_key=own_queue
            ) from exc

    return handle_event


def dead_letter(app: Celery, *, service: str, envelope: dict[str, Any], reason: str) -> None:
    """Park a message in the service's dead-letter queue, with why, for an operator."""
    with app.producer_or_acquire() as producer:
        producer.publish(
            {
                "service": service,
                "reason": reason,
                "envelope": envelope,
                "dead_at": datetime.now(UTC).isoformat(),
            },
            exchange=topology.DEAD,
            routing_key=service,
            declare=[topology.dead_queue(service)],
            serializer="json",
            delivery_mode=2,
            retry=True,
        )
