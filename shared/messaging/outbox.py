"""The transactional outbox and inbox tables, shared by every service's schema.

A use case writes its events into ``outbox`` in the transaction of its state change; the relay
publishes them after commit. A consumer records each handled ``event_id`` in ``inbox`` in the
transaction of its effect, so a redelivered event is recognised and skipped.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
)
from sqlalchemy.orm import Session

from shared.events import Event

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
_Id = BigInteger().with_variant(Integer(), "sqlite")


def define_outbox(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", _Id, primary_key=True, autoincrement=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("type", String(100), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        # A relay leases a batch before publishing it, so several relays never publish the same
        # rows at once; an expired lease (a relay that died) is picked up by another relay.
        Column("claimed_by", String(64), nullable=True),
        Column("claimed_until", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Index("ix_outbox_pending", "published_at", "id"),
    )


def define_inbox(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("event_id", Uuid, primary_key=True),
        Column("type", String(100), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )


def write_events(session: Session, outbox: Table, events: list[Event]) -> None:
    """Insert ``events`` into the outbox within the caller's transaction."""
    if not events:
        return
    session.execute(
        outbox.insert(),
        [
            {
                "event_id": e.event_id,
                "type": e.type,
                "envelope": e.to_dict(),
                "created_at": e.occurred_at,
                "attempts": 0,
            }
            for e in events
        ],
    )
