"""Online verification: one case (the offline check on the case file as stored, plus what only
the database shows) and the whole ledger (both chains, the heads and every checkpoint)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.ledger import export, keys
from services.registration.ledger.writer import GLOBAL
from services.registration.models import LedgerCheckpoint, LedgerEntry, LedgerHead
from shared.ledger import casefile
from shared.ledger import checkpoint as signed
from shared.ledger.chain import GENESIS, Break, LedgerWalk

E = LedgerEntry
BATCH = 5000


def verify_case(session: Session, dossier_id: uuid.UUID) -> casefile.Report:
    """The case file as stored: entries, heads, global links, covering checkpoint."""
    case = export.load(session, dossier_id)
    report = casefile.verify(case, require_checkpoint=False)
    if not report.valid:
        return report
    head = session.get(LedgerHead, str(dossier_id))
    last = case.rows[-1] if case.rows else None
    if (head.length if head else 0) != (last[1] if last else 0) or (
        head is not None and last is not None and head.head != last[3]
    ):
        report.valid = False
        report.problem = (
            f"the case's head says {head.length if head else 0} entries but "
            f"{len(case.rows)} are stored (entries removed or added)"
        )
        return report
    cover, _ = export.signed_by(session, case.rows)
    if cover is not None:
        problem = _checkpoint_row_problem(session, cover)
        if problem:
            report.valid, report.problem = False, problem
            return report
    # Each entry's global link must point at the entry before it in the global chain.
    wanted = [row[0] - 1 for row in case.rows]
    known = {0: GENESIS}
    for start in range(0, len(wanted), 500):
        chunk = [s for s in wanted[start : start + 500] if s > 0]
        known.update(session.execute(select(E.seq, E.global_hash).where(E.seq.in_(chunk))).all())
    for seq, n, _body, _case_hash, global_prev, _global_hash in case.rows:
        if known.get(seq - 1) != global_prev:
            report.valid = False
            report.problem, report.seq, report.n = "not linked to the previous entry", seq, n
            return report
    return report


def _checkpoint_row_problem(session: Session, row: LedgerCheckpoint) -> str | None:
    """What only the database shows of a checkpoint: its statement is the one of its row and
    links to the checkpoint before it (a replayed statement fails one or the other)."""
    statement = signed.parse(row.statement)
    if (statement.number, statement.seq) != (row.number, row.seq):
        return f"checkpoint #{row.number}: its statement is another checkpoint's (replayed?)"
    before = session.get(LedgerCheckpoint, row.number - 1)
    expected = sha256(before.statement).hexdigest() if before else signed.GENESIS_HEX
    if statement.previous != expected:
        return f"checkpoint #{row.number}: not linked to checkpoint #{row.number - 1}"
    return None


@dataclass
class LedgerReport:
    entries: int = 0
    cases: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "entries": self.entries,
            "cases": self.cases,
            "checkpoints": self.checkpoints,
            "problems": self.problems,
        }

    def text(self) -> str:
        head = f"{self.entries} entries, {self.cases} cases, {self.checkpoints} checkpoints"
        if self.valid:
            return f"VALID: ledger of {head}"
        return "BROKEN: ledger of " + head + "\n" + "\n".join(f"  {p}" for p in self.problems)


def verify_ledger(session: Session) -> LedgerReport:
    """Walk every entry in sequence order, then compare heads and checkpoints with the walk."""
    report = LedgerReport()
    stored = session.execute(select(LedgerCheckpoint).order_by(LedgerCheckpoint.number)).scalars()
    rows_cp = list(stored)
    walk = LedgerWalk(watch=(c.seq for c in rows_cp))
    query = (
        select(E.seq, E.dossier_id, E.n, E.body, E.case_hash, E.global_prev, E.global_hash)
        .order_by(E.seq)
        .execution_options(yield_per=BATCH)
    )
    for partition in session.execute(query).partitions():
        rows = [(s, d.bytes, n, b, c, gp, g) for s, d, n, b, c, gp, g in partition]
        report.entries += len(rows)
        if not walk.feed(rows):
            break
    if walk.broken is not None:
        report.problems.append(f"entry {_where(walk.broken)}")
    report.cases = len(walk.cases)
    if walk.broken is None:
        _check_heads(session, walk, report)
    _check_checkpoints(session, rows_cp, walk, report)
    report.checkpoints = len(rows_cp)
    return report


def _check_heads(session: Session, walk: LedgerWalk, report: LedgerReport) -> None:
    heads = {h.chain: (h.length, h.head) for h in session.execute(select(LedgerHead)).scalars()}
    if heads.pop(GLOBAL, None) != (walk.seq, walk.head):
        report.problems.append(
            f"global head does not match the last entry (seq {walk.seq}): entries removed?"
        )
    for dossier, (n, case_hash) in walk.cases.items():
        key = str(uuid.UUID(bytes=dossier))
        if heads.pop(key, None) != (n, case_hash):
            report.problems.append(f"case {key}: head does not match its last entry {n}")
    for key in heads:
        report.problems.append(f"case {key}: has a head but no entries")


def _check_checkpoints(
    session: Session, rows: list[LedgerCheckpoint], walk: LedgerWalk, report: LedgerReport
) -> None:
    published = {
        kid: signed.load_public_pem(pem.encode()) for kid, pem in keys.public_keys(session).items()
    }
    previous, last_seq = signed.GENESIS_HEX, 0
    for expected, row in enumerate(rows, start=1):
        where = f"checkpoint #{row.number}"
        try:
            statement = signed.parse(row.statement)
            key = published.get(statement.key_id)
            if key is None:
                raise signed.CheckpointError(f"signed by an unknown key {statement.key_id}")
            signed.verify(row.statement, row.signature, key)
        except signed.CheckpointError as exc:
            report.problems.append(f"{where}: {exc}")
            return
        if row.number != expected or statement.number != row.number:
            report.problems.append(f"{where}: out of sequence (expected #{expected})")
            return
        if statement.previous != previous:
            report.problems.append(f"{where}: not linked to checkpoint #{expected - 1}")
            return
        if statement.seq != row.seq or statement.seq < last_seq:
            report.problems.append(f"{where}: sequence number {row.seq} out of order (replayed?)")
            return
        at = walk.seen.get(statement.seq)
        if walk.broken is None and (at is None or at.hex() != statement.head):
            report.problems.append(
                f"{where}: the ledger at seq {statement.seq} does not match the signed head"
            )
            return
        previous, last_seq = sha256(row.statement).hexdigest(), statement.seq


def _where(broken: Break) -> str:
    return broken.describe()
