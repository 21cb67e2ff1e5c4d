"""Appending to the ledger: one entry per event about a dossier, in the caller's transaction.

Appends are serialised on the global head row (``FOR UPDATE`` on PostgreSQL; SQLite's writing
transactions already hold the database write lock), and each reads and writes two head rows by
key, so an append costs the same at ten entries or ten million.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from services.registration.models import Account, LedgerEntry, LedgerHead
from shared.db import table_of
from shared.events import Event
from shared.ledger.canonical import canonical
from shared.ledger.chain import GENESIS, case_link, global_link

GLOBAL = "global"
# Written by the registration service itself, not carried by an event.
CASE_FILE_READ = "case_file.read"

_heads = table_of(LedgerHead)
_entries = table_of(LedgerEntry)


def dossier_of(event: Event) -> uuid.UUID | None:
    """The case an event is about, if any (account and council events are about none)."""
    if event.dossier_id is not None:
        return event.dossier_id
    value = event.payload.get("dossier_id")
    return uuid.UUID(str(value)) if value else None


def record_event(*, session: Session, event: Event) -> LedgerEntry | None:
    """Append the event to its dossier's case file (nothing for an event about no dossier)."""
    dossier_id = dossier_of(event)
    if dossier_id is None:
        return None
    return append(
        session=session,
        dossier_id=dossier_id,
        event_id=event.event_id,
        kind=event.type,
        occurred_at=event.occurred_at,
        producer=event.producer,
        actor={"user_id": event.actor.user_id, "role": event.actor.role},
        correlation_id=event.correlation_id,
        payload=event.payload,
    )


def append(
    *,
    session: Session,
    dossier_id: uuid.UUID,
    event_id: uuid.UUID,
    kind: str,
    occurred_at: datetime,
    producer: str,
    actor: dict[str, Any],
    correlation_id: str | None,
    payload: dict[str, Any],
) -> LedgerEntry:
    """Chain one entry onto the case and the global chain; returns it (not flushed as ORM)."""
    top = session.execute(
        select(_heads.c.length, _heads.c.head).where(_heads.c.chain == GLOBAL).with_for_update()
    ).one()
    case_key = str(dossier_id)
    case = session.execute(
        select(_heads.c.length, _heads.c.head).where(_heads.c.chain == case_key)
    ).one_or_none()
    seq, n = top.length + 1, (case.length if case else 0) + 1
    recorded_at = datetime.now(UTC)
    body = canonical(
        {
            "seq": seq,
            "n": n,
            "dossier_id": case_key,
            "event_id": str(event_id),
            "kind": kind,
            "occurred_at": _iso(occurred_at),
            "recorded_at": _iso(recorded_at),
            "producer": producer,
            "actor": {**actor, "name": _actor_name(session, actor.get("user_id"))},
            "correlation_id": correlation_id,
            "payload": payload,
        }
    )
    case_hash = case_link(case.head if case else GENESIS, body)
    global_hash = global_link(top.head, case_hash, dossier_id.bytes)
    values = {
        "seq": seq,
        "dossier_id": dossier_id,
        "n": n,
        "event_id": event_id,
        "kind": kind,
        "occurred_at": occurred_at,
        "actor_id": actor.get("user_id"),
        "body": body,
        "case_hash": case_hash,
        "global_prev": top.head,
        "global_hash": global_hash,
    }
    session.execute(insert(_entries).values(**values))
    session.execute(
        update(_heads).where(_heads.c.chain == GLOBAL).values(length=seq, head=global_hash)
    )
    if case is None:
        session.execute(insert(_heads).values(chain=case_key, length=n, head=case_hash))
    else:
        session.execute(
            update(_heads).where(_heads.c.chain == case_key).values(length=n, head=case_hash)
        )
    return LedgerEntry(**values)


def _actor_name(session: Session, user_id: str | None) -> str | None:
    """The actor's display name as of the entry (names may change later; the entry keeps it)."""
    if not user_id:
        return None
    try:
        account_id = uuid.UUID(user_id)
    except ValueError:
        return None
    return session.execute(
        select(Account.display_name).where(Account.id == account_id)
    ).scalar_one_or_none()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
