"""A case file from the database: its entries, the global links up to the checkpoint that
covers it, that checkpoint and the public keys; as a ``shared.ledger.casefile`` archive."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.ledger import checkpoints, keys
from services.registration.models import LedgerCheckpoint, LedgerEntry
from shared.ledger import casefile
from shared.ledger import checkpoint as signed
from shared.ledger.chain import CaseRow, GlobalRow

E = LedgerEntry


def case_rows(session: Session, dossier_id: uuid.UUID) -> list[CaseRow]:
    """The case's entries in order, as the chain checks take them."""
    rows = session.execute(
        select(E.seq, E.n, E.body, E.case_hash, E.global_prev, E.global_hash)
        .where(E.dossier_id == dossier_id)
        .order_by(E.n)
    )
    return [(seq, n, body, case, prev, link) for seq, n, body, case, prev, link in rows]


def bridge_rows(session: Session, after: int, upto: int) -> list[GlobalRow]:
    """Every entry from ``after`` + 1 to ``upto`` (primary key range), as global links."""
    rows = session.execute(
        select(E.seq, E.dossier_id, E.case_hash, E.global_hash)
        .where(E.seq > after, E.seq <= upto)
        .order_by(E.seq)
    )
    return [
        (seq, dossier.bytes, case_hash, global_hash)
        for seq, dossier, case_hash, global_hash in rows
    ]


def signed_by(session: Session, rows: list[CaseRow]) -> tuple[LedgerCheckpoint | None, int]:
    """The first checkpoint at or after the case's last entry (or, when none covers it yet, the
    latest one, which the online check holds the case's prefix to); and the last entry's seq
    it vouches for."""
    if not rows:
        return None, 0
    last_seq = rows[-1][0]
    cover = checkpoints.covering(session, last_seq)
    if cover is None:
        cover = checkpoints.latest(session)
        signed_seqs = [row[0] for row in rows if cover is not None and row[0] <= cover.seq]
        if not signed_seqs:
            return None, last_seq
        last_seq = signed_seqs[-1]
    return cover, last_seq


def load(session: Session, dossier_id: uuid.UUID) -> casefile.CaseFile:
    """The case file as it stands, with the checkpoint that vouches for it."""
    rows = case_rows(session, dossier_id)
    cover, last_seq = signed_by(session, rows)
    published = keys.public_keys(session)
    key_pem = ""
    signed_checkpoint = None
    if cover is not None:
        signed_checkpoint = casefile.SignedCheckpoint(cover.statement, cover.signature)
        key_pem = published.get(_key_id(cover.statement), "")
    if not key_pem and published:
        key_pem = list(published.values())[-1]
    return casefile.CaseFile(
        dossier_id=dossier_id,
        exported_at=datetime.now(UTC).isoformat(),
        rows=rows,
        bridge=bridge_rows(session, last_seq, cover.seq) if cover else [],
        checkpoint=signed_checkpoint,
        public_key_pem=key_pem.encode("ascii"),
        declared_entries=len(rows),
    )


def ensure_covered(session: Session, dossier_id: uuid.UUID) -> None:
    """Sign a checkpoint now if none covers the case's last entry yet (writing transaction)."""
    last = session.execute(
        select(E.seq).where(E.dossier_id == dossier_id).order_by(E.n.desc()).limit(1)
    ).scalar_one_or_none()
    if last is not None and checkpoints.covering(session, last) is None:
        checkpoints.make(session)


def archive(case: casefile.CaseFile) -> bytes:
    return casefile.build(
        dossier_id=case.dossier_id,
        exported_at=case.exported_at,
        rows=case.rows,
        bridge=case.bridge,
        checkpoint=case.checkpoint,
        public_key_pem=case.public_key_pem.decode("ascii"),
    )


def _key_id(statement: bytes) -> str:
    try:
        return signed.parse(statement).key_id
    except signed.CheckpointError:
        return ""
