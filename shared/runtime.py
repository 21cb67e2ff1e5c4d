"""A service's moving parts wired once: settings, database with outbox, Celery app, relay."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from celery import Celery, signals
from prometheus_client.core import Metric
from sqlalchemy import MetaData, Table

from shared import config, metrics, participants
from shared.db import Database, UnitOfWork
from shared.events import EVENT_TYPES, Event
from shared.messaging.celery_app import make_celery
from shared.messaging.consumer import Bulk, Handler, Inbox, register_event_task
from shared.messaging.outbox import write_events
from shared.messaging.relay import Relay
from shared.messaging.wakeup import Nudger


class ServiceRuntime:
    """Everything a web, worker or relay process of one service needs, built from settings."""

    def __init__(
        self,
        service: str,
        *,
        metadata: MetaData,
        outbox: Table,
        inbox: Table,
        handlers: Mapping[str, Handler | Bulk] | None = None,
        participants: participants.Tables | None = None,
        settings: config.Settings | None = None,
    ) -> None:
        self.settings = settings or config.load(service)
        self.service = service
        self.metadata = metadata
        self.outbox = outbox
        self.inbox_table = inbox
        self.participants = participants
        self.handlers = (
            with_participants(handlers or {}, participants, service)
            if participants is not None
            else dict(handlers or {})
        )
        self.db = Database(
            self.settings.database_url,
            before_commit=self._write_outbox,
            after_commit=self._nudge_relay,
        )
        self.nudger = Nudger(self.db.engine, service)

    def background_metrics(self) -> list[Metric]:
        """The service's state for ``/metrics``, read at scrape time (``shared.metrics``); a
        service adds its own figures by extending this."""
        return [
            *metrics.outbox_state(self.db, self.outbox, self.service),
            *metrics.dead_letters(self.settings, self.service),
        ]

    def _write_outbox(self, uow: UnitOfWork) -> None:
        if uow.events:
            if self.participants is not None:
                # The service's own events change who is on a case in their own transaction:
                # the officer who takes a dossier has it the moment the request returns.
                participants.apply_all(uow.session, self.participants, uow.events)
            write_events(uow.session, self.outbox, uow.events)
            self.nudger.in_transaction(uow.session)

    def _nudge_relay(self, uow: UnitOfWork) -> None:
        if uow.events:
            self.nudger.after_commit()

    @cached_property
    def celery(self) -> Celery:
        app = make_celery(self.settings)
        register_event_task(
            app,
            service=self.service,
            inbox=Inbox(db=self.db, table=self.inbox_table, handlers=self.handlers),
            max_retries=self.settings.consumer_max_retries,
            batch_size=self.settings.consumer_batch_size,
            batch_seconds=self.settings.consumer_batch_seconds,
        )
        self.configure_celery(app)

        def _forget_parent_connections(**_: object) -> None:
            # A prefork child must not share the database connections of its parent, which
            # applies the events (ADR 0008); the child opens its own.
            self.db.engine.dispose(close=False)

        signals.worker_process_init.connect(_forget_parent_connections, weak=False)
        return app

    def configure_celery(self, app: Celery) -> None:
        """Register the service's own tasks and schedule (none by default)."""

    def relay(self) -> Relay:
        return Relay(
            service=self.service,
            db=self.db,
            outbox=self.outbox,
            app=self.celery,
            batch_size=self.settings.relay_batch_size,
            poll_seconds=self.settings.relay_poll_seconds,
        )

    def close(self) -> None:
        """Release pooled database connections (tests and short-lived tools)."""
        self.db.dispose()

    def inbox(self) -> Inbox:
        return Inbox(db=self.db, table=self.inbox_table, handlers=self.handlers)


def only_participants(*, uow: UnitOfWork, event: Event) -> None:
    """The handler of an event that changes nothing but who is on a case: ``with_participants``
    does that."""


def with_participants(
    handlers: Mapping[str, Handler | Bulk], tables: participants.Tables, service: str
) -> dict[str, Handler | Bulk]:
    """The handlers, each first keeping the people on the case from another service's event
    (a service's own events were applied when it wrote them)."""

    def keep(uow: UnitOfWork, events: list[Event]) -> None:
        participants.apply_all(uow.session, tables, (e for e in events if e.producer != service))

    def wrap(event_type: str, handler: Handler | Bulk) -> Handler | Bulk:
        if isinstance(handler, Bulk):
            fields = set(EVENT_TYPES[event_type].validator().fields)

            def apply_bulk(uow: UnitOfWork, events: list[Event]) -> None:
                keep(uow, events)
                handler.apply(uow, events)

            return Bulk(apply_bulk, handler.reads | (participants.READS & fields))

        def apply_one(*, uow: UnitOfWork, event: Event) -> None:
            keep(uow, [event])
            handler(uow=uow, event=event)

        return apply_one

    return {
        event_type: wrap(event_type, handler) if event_type in participants.RULES else handler
        for event_type, handler in handlers.items()
    }
