"""Signed checkpoints of the global head: made by the beat task, every
``OCOP_LEDGER_CHECKPOINT_EVERY`` entries, and by ``ocop audit checkpoint``."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from hashlib import sha256

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.ledger import keys
from services.registration.ledger.writer import GLOBAL
from services.registration.models import LedgerCheckpoint, LedgerHead
from shared.ledger import checkpoint as checkpoints


def every() -> int:
    """Entries between checkpoints made on count (0: only the periodic task makes them)."""
    return int(os.environ.get("OCOP_LEDGER_CHECKPOINT_EVERY", "1000"))


def latest(session: Session) -> LedgerCheckpoint | None:
    return session.execute(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.number.desc()).limit(1)
    ).scalar_one_or_none()


def covering(session: Session, seq: int) -> LedgerCheckpoint | None:
    """The first checkpoint at or after ``seq`` (index on seq)."""
    return session.execute(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.seq >= seq)
        .order_by(LedgerCheckpoint.seq, LedgerCheckpoint.number)
        .limit(1)
    ).scalar_one_or_none()


def make(session: Session) -> LedgerCheckpoint | None:
    """Sign the current global head, unless the latest checkpoint already vouches for it."""
    top = session.execute(
        select(LedgerHead).where(LedgerHead.chain == GLOBAL).with_for_update()
    ).scalar_one()
    previous = latest(session)
    if top.length == 0 or (previous is not None and previous.seq >= top.length):
        return None
    kid, key = keys.signing_key(session)
    now = datetime.now(UTC)
    statement = checkpoints.Statement(
        number=(previous.number + 1) if previous else 1,
        seq=top.length,
        head=top.head.hex(),
        previous=sha256(previous.statement).hexdigest() if previous else checkpoints.GENESIS_HEX,
        signed_at=now.isoformat(),
        key_id=kid,
    )
    row = LedgerCheckpoint(
        number=statement.number,
        seq=statement.seq,
        statement=statement.to_bytes(),
        signature=checkpoints.sign(statement, key),
        signed_at=now,
    )
    session.add(row)
    session.flush()
    return row


def maybe_on_count(session: Session, seq: int) -> None:
    """Sign a checkpoint in the appending transaction every ``every()`` entries."""
    step = every()
    if step > 0 and seq % step == 0:
        make(session)
