"""The yearly notices of days off, kept by every service that counts days (ADR 0010).

An operator loads a year's notice into the registration service (``ocop calendar load FILE``):
its ``calendar_notices`` row and the ``calendar.notice_loaded`` event are written in one unit of
work; every other service that counts days keeps the same row from the event. Each service
builds its :class:`~shared.calendar.WorkingCalendar` from its own rows (a handful: one per year
with a notice), read when it counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    RowMapping,
    String,
    Table,
    select,
)
from sqlalchemy.orm import Session

from shared.calendar import Notice, WorkingCalendar
from shared.db import UnitOfWork, dialect_insert
from shared.events import Event

EVENT_TYPE = "calendar.notice_loaded"


def define_table(metadata: MetaData) -> Table:
    return Table(
        "calendar_notices",
        metadata,
        Column("year", Integer, primary_key=True, autoincrement=False),
        Column("reference", String(500), nullable=False),
        # ISO dates, sorted.
        Column("days_off", JSON, nullable=False),
        Column("working_days", JSON, nullable=False),
        # When the notice was loaded (the event's time): a later load of the year wins.
        Column("loaded_at", DateTime(timezone=True), nullable=False),
    )


def _notice(row: RowMapping | Mapping[str, Any]) -> Notice:
    """A notice from its row, or from the payload of its event (the same names)."""
    return Notice(
        year=int(row["year"]),
        reference=str(row["reference"]),
        days_off=frozenset(date.fromisoformat(d) for d in row["days_off"]),
        working_days=frozenset(date.fromisoformat(d) for d in row["working_days"]),
    )


def record(session: Session, table: Table, notice: Notice, loaded_at: datetime) -> None:
    """Keep ``notice`` as its year's, unless a notice of that year loaded later is kept (events
    may arrive out of order, or twice)."""
    values = {**notice.as_payload(), "loaded_at": loaded_at}
    insert = dialect_insert(session)(table).values(**values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[table.c.year],
            set_={name: insert.excluded[name] for name in values if name != "year"},
            where=table.c.loaded_at < insert.excluded.loaded_at,
        )
    )


def notices(session: Session, table: Table) -> list[Notice]:
    """The notices kept, by year."""
    rows = session.execute(select(table).order_by(table.c.year)).mappings()
    return [_notice(row) for row in rows]


def working_calendar(session: Session, table: Table) -> WorkingCalendar:
    """Vietnamese working days with every notice kept applied."""
    return WorkingCalendar.of(notices(session, table))


def handler(table: Table) -> Callable[..., None]:
    """The consumer of ``calendar.notice_loaded`` for a service keeping notices in ``table``."""

    def on_notice_loaded(*, uow: UnitOfWork, event: Event) -> None:
        record(uow.session, table, _notice(event.payload), event.occurred_at)

    return on_notice_loaded
