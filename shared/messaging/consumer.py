"""Idempotent consumption of events: the inbox, the retry policy and the dead-letter path."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from time import monotonic
from typing import Any, Protocol

from celery import Celery, Task
from celery.worker.request import Request
from celery_batches import Batches, SimpleRequest, consume_queue
from sqlalchemy import Table, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared import context
from shared.db import Database, UnitOfWork
from shared.events import EVENT_TYPES, Event, EventError, load_event
from shared.messaging import topology
from shared.messaging.later import send_later
from shared.metrics import EVENT_BATCHES, EVENTS_HANDLED

log = logging.getLogger(__name__)
received_log = logging.getLogger("celery.worker.strategy")


class Handler(Protocol):
    def __call__(self, *, uow: UnitOfWork, event: Event) -> None: ...


@dataclass(frozen=True, slots=True)
class Bulk:
    """A handler that records the facts of many events of its type at once (a statement or two
    for all of them, not for each), for the event types a backlog is made of (ADR 0008).

    Within a batch, the inbox gathers the events of bulk handlers until an event of an ordinary
    handler comes, and applies what it gathered first: an ordinary handler sees everything that
    came before it. Bulk handlers of different types may run in another order than their events
    came, so each must write only what no other bulk handler reads.

    ``reads`` names the payload fields ``apply`` reads: only they are validated and handed
    over, a tolerant reader's way (the producer checked the whole payload when it wrote it).
    """

    apply: Callable[[UnitOfWork, list[Event]], None]
    reads: frozenset[str]


#: What became of one event of a batch: "handled", "duplicate", "ignored", or why it failed (an
#: EventError for a message that can never be handled, any other exception for a failed handler).
Outcome = str | Exception


class _Duplicate(Exception):
    """The inbox already holds this event."""


@dataclass(frozen=True, slots=True)
class Inbox:
    """A service's handlers and the table that remembers what it has handled."""

    db: Database
    table: Table
    handlers: Mapping[str, Handler | Bulk]

    def consume(self, envelope: dict[str, Any]) -> str:
        """Apply one event at most once; returns "handled", "duplicate" or "ignored".

        Raises EventError for a message that can never be handled (poison) and the handler's
        exception when it failed (nothing of it is kept).
        """
        (outcome,) = self.consume_batch([envelope])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def consume_batch(self, envelopes: Sequence[Any]) -> list[Outcome]:
        """Apply events in order, each at most once, in one transaction; one outcome each.

        A failing handler loses only its own changes and the others commit. An error of the
        transaction itself (the database went away, the commit failed) propagates: then nothing
        of the batch is kept and all of it is to be retried.
        """
        outcomes: list[Outcome] = []
        todo: list[tuple[int, Event]] = []
        for envelope in envelopes:
            kind = envelope.get("type") if isinstance(envelope, dict) else None
            if kind in EVENT_TYPES and kind not in self.handlers:
                outcomes.append("ignored")  # a known type this service does not read: unread
                continue
            handler = self.handlers.get(kind) if isinstance(kind, str) else None
            try:
                event = load_event(
                    envelope, only=handler.reads if isinstance(handler, Bulk) else None
                )
            except EventError as exc:
                outcomes.append(exc)
                continue
            outcomes.append("handled" if event.type in self.handlers else "ignored")
            if event.type in self.handlers:
                todo.append((len(outcomes) - 1, event))
        if todo:
            try:
                self._apply_together(todo, outcomes)
            except Exception as exc:
                # Rare (a failing handler, a redelivery racing its original): start over, each
                # event on its own savepoint, to find out which.
                log.info(
                    "a batch of %d events failed as one (%r); applying them one by one",
                    len(todo),
                    exc,
                )
                self._apply_one_by_one(todo, outcomes)
        return outcomes

    def _apply_together(self, todo: list[tuple[int, Event]], outcomes: list[Outcome]) -> None:
        """The usual case, at the least cost: one query for what was handled before, the
        handlers one after the other (bulk ones on all their events at once), one insert of the
        inbox rows, one commit."""
        with self.db.unit_of_work() as uow:
            column = self.table.c.event_id
            wanted = [event.event_id for _, event in todo]
            seen = set(uow.session.execute(select(column).where(column.in_(wanted))).scalars())
            rows = []
            gathered: dict[str, list[Event]] = {}
            for index, event in todo:
                if event.event_id in seen:
                    outcomes[index] = "duplicate"
                    continue
                seen.add(event.event_id)
                if isinstance(self.handlers[event.type], Bulk):
                    gathered.setdefault(event.type, []).append(event)
                else:
                    self._apply_gathered(uow, gathered)
                    self._handle(uow, event)
                rows.append({"event_id": event.event_id, "type": event.type, "handled_at": _now()})
            self._apply_gathered(uow, gathered)
            if rows:
                uow.session.execute(self.table.insert(), rows)
            uow.commit()

    def _apply_one_by_one(self, todo: list[tuple[int, Event]], outcomes: list[Outcome]) -> None:
        with self.db.unit_of_work() as uow:
            for index, event in todo:
                try:
                    with uow.savepoint():
                        try:
                            uow.session.execute(
                                self.table.insert().values(
                                    event_id=event.event_id, type=event.type, handled_at=_now()
                                )
                            )
                        except IntegrityError:
                            raise _Duplicate from None
                        self._handle(uow, event)
                        uow.session.flush()  # the handler's constraint errors are its own
                except _Duplicate:
                    outcomes[index] = "duplicate"
                except Exception as exc:
                    outcomes[index] = exc
                else:
                    outcomes[index] = "handled"
            uow.commit()

    def _handle(self, uow: UnitOfWork, event: Event) -> None:
        context.event_id.set(str(event.event_id))
        context.dossier_id.set(str(event.dossier_id) if event.dossier_id else None)
        handler = self.handlers[event.type]
        if isinstance(handler, Bulk):
            handler.apply(uow, [event])
        else:
            handler(uow=uow, event=event)

    def _apply_gathered(self, uow: UnitOfWork, gathered: dict[str, list[Event]]) -> None:
        """Apply what bulk handlers gathered, and forget it."""
        if not gathered:
            return
        context.event_id.set(None)  # many events at once: the log lines name none of them
        context.dossier_id.set(None)
        for type_, events in gathered.items():
            handler = self.handlers[type_]
            assert isinstance(handler, Bulk)
            handler.apply(uow, events)
        gathered.clear()


def _now() -> datetime:
    return datetime.now(UTC)


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying without counting against the poison budget: the database is away."""
    return isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def backoff(retries: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    return min(cap, base * (2**retries))


class EventBatches(Batches):
    """Celery task base that hands the events a worker received to its handler as batches.

    celery-batches buffers the messages and flushes the buffer when it holds ``flush_every``
    messages, or every ``flush_interval`` seconds. Our changes: a flush runs where it is
    triggered, not in the pool, and flushes are serialised (without an event loop, as on the
    embedded broker, the timer fires in a thread of its own, and events must be applied in the
    order they came); each message is acknowledged or put back as the batch says, where
    celery-batches acknowledges all of them whatever happened; a timer tick leaves a partial
    batch to fill until its first message is ``batch_seconds`` old; and a batch gets a
    "received" log line naming its messages.
    """

    #: A partial batch is applied once its first message has waited this long. The timer
    #: fires twice as often (``flush_interval``), so a message waits at most 1.5 times it.
    batch_seconds: float = 0.02

    #: celery-batches' flush timer (kombu's Timer entry), set by its Batches, which has no types.
    _tref: Any

    def __init__(self) -> None:
        super().__init__()
        self._flushing = threading.Lock()
        self._first_at: float | None = None  # when the buffer's first message came

    def Strategy(self, task: Task, app: Celery, consumer: Any) -> Callable[..., None]:
        # Built each time the consumer (re)connects. What the buffer holds came over the old
        # connection, unacknowledged, so the broker delivers it again; and the flush timer
        # went with the old event loop: without a new one a partial batch would wait forever.
        self._start_afresh()
        buffer = super().Strategy(task, app, consumer)

        def on_message(*args: Any, **kwargs: Any) -> None:
            if self._first_at is None:
                self._first_at = monotonic()
            buffer(*args, **kwargs)

        return on_message

    def _start_afresh(self) -> None:
        with self._flushing:
            dropped = sum(1 for q in (self._buffer, self._pending) for _ in consume_queue(q))
            if self._tref is not None:
                self._tref.cancel()
                self._tref = None
            self._count = count(1)
            self._first_at = None
        if dropped:
            log.info("reconnected: %d buffered events will come again", dropped)

    def _do_flush(self) -> None:
        with self._flushing:
            # The timer fires at fixed times: on a backlog it would cut batches short anywhere
            # (measured: half of them, 22 events on average). A partial batch waits until its
            # first message is batch_seconds old; a full one (the count) goes at once.
            first = self._first_at
            if (
                first is not None
                and self._buffer.qsize() < self.flush_every
                and monotonic() - first < self.batch_seconds
            ):
                return
            self._first_at = None
            super()._do_flush()

    def flush(self, requests: Collection[Request]) -> None:
        # What Celery's own strategy logs for each message, as one line per batch (a line per
        # message cost about a fourteenth of the worker's time): operators and bench/pipeline's
        # stall finder read which events came, and when.
        received_log.info("Tasks %s received: %s", self.name, " ".join(r.id for r in requests))
        settled = self.run([SimpleRequest.from_request(r) for r in requests])
        for request, done in zip(requests, settled, strict=True):
            try:
                if done:
                    request.acknowledge()
                else:
                    request.reject(requeue=True)
            except Exception:
                # The connection went while the batch was applied: the broker delivers the
                # message again and the inbox knows it.
                log.warning("could not settle message %s", request.id, exc_info=True)


def register_event_task(
    app: Celery,
    *,
    service: str,
    inbox: Inbox,
    max_retries: int,
    batch_size: int,
    batch_seconds: float,
) -> Task:
    """Register the ``ocop.event`` task every event message names, for this service's worker."""
    own_queue = topology.events_queue(service).name

    def settle(envelope: Any, retries: int, outcome: Outcome) -> str:
        """Retry a failed event later, or park it for an operator once it is hopeless; what
        became of it, for the figures."""
        if isinstance(outcome, EventError):
            # The fields at fault, for the operator who reads it (``ocop dlq show``).
            detail = f" {json.dumps(outcome.errors, ensure_ascii=False)}" if outcome.errors else ""
            dead_letter(
                app, service=service, envelope=envelope, reason=f"invalid: {outcome}{detail}"
            )
            return "dead"
        if isinstance(outcome, Exception):
            if not is_transient(outcome) and retries >= max_retries:
                log.error("giving up on event after %d tries: %r", retries + 1, outcome)
                dead_letter(app, service=service, envelope=envelope, reason=repr(outcome))
                return "dead"
            log.warning("event handling failed (try %d), retrying: %r", retries + 1, outcome)
            # Into this service's own queue only: the topic exchange would hand the event to
            # every subscriber again.
            send_later(
                app,
                "ocop.event",
                queue=own_queue,
                seconds=backoff(retries),
                args=[envelope],
                retries=retries + 1,
            )
            return "retried"
        return str(outcome)  # handled, duplicate or ignored

    # shared=False: each service app has its own handler under the one task name.
    @app.task(
        name="ocop.event",
        base=EventBatches,
        acks_late=True,
        shared=False,
        flush_every=batch_size,
        flush_interval=batch_seconds / 2,
        batch_seconds=batch_seconds,
    )
    def handle_events(requests: list[SimpleRequest]) -> list[bool]:
        """Apply the batch; True for each message that may be acknowledged."""
        envelopes = [r.args[0] if len(r.args) == 1 else None for r in requests]
        try:
            outcomes: list[Outcome] = list(inbox.consume_batch(envelopes))
        except Exception as exc:
            log.warning("a batch of %d events failed as a whole: %r", len(envelopes), exc)
            outcomes = [exc] * len(envelopes)
        EVENT_BATCHES.labels(service).observe(len(envelopes))
        settled = []
        for request, envelope, outcome in zip(requests, envelopes, outcomes, strict=True):
            try:
                became = settle(envelope, (request.request_dict or {}).get("retries") or 0, outcome)
                EVENTS_HANDLED.labels(service, became).inc()
            except Exception:
                # The broker refused the retry or the dead letter: the message goes back to
                # its queue instead, so nothing is lost.
                log.exception("could not settle a failed event; it is put back")
                settled.append(False)
            else:
                settled.append(True)
        return settled

    return handle_events


def dead_letter(app: Celery, *, service: str, envelope: dict[str, Any], reason: str) -> None:
    """Park a message in the service's dead-letter queue, with why, for an operator."""
    kind = envelope.get("type") if isinstance(envelope, dict) else None
    event_id = envelope.get("event_id") if isinstance(envelope, dict) else None
    # One line an operator's alert can match, naming the event and why (``ocop dlq show``
    # prints the whole message).
    log.error("event %s (%s) parked in %s.dead: %s", event_id, kind, service, reason)
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
