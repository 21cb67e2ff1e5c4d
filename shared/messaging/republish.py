"""``ocop outbox republish``: publish again the events a lost broker state took with it.

The relay marks an outbox row published once the broker took it (``published_at``). When the
broker's own state is not restored with the databases (RabbitMQ rebuilt, a backup of the
embedded broker older than the databases), the events it held and no consumer had taken are
gone although their rows say published. Marking the rows published since a time unsent again
makes the relays publish them again; consumers drop the ones they already handled through their
inbox (``shared.messaging.consumer``), so a time too early costs only duplicates dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Table, update

from shared.db import Database


def parse_since(text: str) -> datetime:
    """An ISO 8601 time (``2026-12-06T08:00+07:00``); without an offset it is UTC."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def republish(db: Database, outbox: Table, since: datetime) -> int:
    """Mark the rows published at or after ``since`` unsent; returns how many."""
    o = outbox.c
    with db.engine.begin() as conn:
        result = conn.execute(
            update(outbox)
            .where(o.published_at.is_not(None), o.published_at >= since)
            .values(published_at=None, claimed_by=None, claimed_until=None)
        )
    return result.rowcount
