"""Online verification: one case (the offline check on the case file as stored, plus what only
the database shows) and the whole ledger (both chains, the heads and every checkpoint)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, TypeVarTuple

from sqlalchemy import CursorResult, Select, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from services.registration.ledger import export, keys
from services.registration.ledger.writer import GLOBAL
from services.registration.models import LedgerCheckpoint, LedgerEntry, LedgerHead
from shared.ledger import casefile
from shared.ledger import checkpoint as signed
from shared.ledger.chain import GENESIS, Break, CaseWalk, EntryRow, GlobalWalk, case_break, earliest

E = LedgerEntry
_Row = TypeVarTuple("_Row")
BATCH = 5000
# The dossier column as the driver returns it (see ``_raw``).
DOSSIER = type_coerce(E.dossier_id, NullType())


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
    """Both chains over every entry, then the heads and checkpoints against what was walked.

    Two streaming passes, each in the order of an index: the global chain in order of seq (no
    bodies), then every case chain in order of (dossier, n). One pass in seq order would have
    to look up each entry's case among all the others, and over many cases those lookups miss
    the CPU caches. A case that does not chain in (dossier, n) order is read again in seq order
    to find the entry a walk in seq order stops at, and the first break of either pass is the
    one reported."""
    report = LedgerReport()
    stored = session.execute(select(LedgerCheckpoint).order_by(LedgerCheckpoint.number)).scalars()
    rows_cp = list(stored)
    walk = GlobalWalk(watch=(c.seq for c in rows_cp))
    links = select(E.seq, DOSSIER, E.n, E.case_hash, E.global_prev, E.global_hash).order_by(E.seq)
    with _stream(session, links) as result:  # closed on a break too (a server-side cursor)
        for partition in result.partitions():
            rows = [(s, _raw(d), n, c, gp, g) for s, d, n, c, gp, g in partition]
            report.entries += len(rows)
            if not walk.feed(rows):
                break
    cases = CaseWalk()
    entries = select(DOSSIER, E.n, E.seq, E.body, E.case_hash).order_by(E.dossier_id, E.n)
    if walk.broken is not None:  # nothing after the global break can come before it
        entries = entries.where(E.seq <= walk.broken.seq)
    with _stream(session, entries) as result:
        for batch in result.partitions():
            cases.feed([(_raw(d), n, s, b, c) for d, n, s, b, c in batch])
    cases.close()
    found = [walk.broken]
    for dossier in cases.suspects:
        found.append(case_break(_in_seq_order(session, dossier, walk.broken)))
        if found[-1] is None:
            # Only when the case's rows are not together in (dossier, n) order: its id written
            # in more than one way (SQLite keeps it as text), which the product never does.
            report.problems.append(
                f"case {uuid.UUID(bytes=dossier)}: its entries are stored under different "
                "spellings of its id"
            )
    broken = earliest(*found)
    if broken is not None:
        report.problems.insert(0, f"entry {_where(broken)}")
    report.cases = cases.count
    intact = not report.problems
    if intact:
        _check_heads(session, walk, cases, report)
    _check_checkpoints(session, rows_cp, walk, report, intact=intact)
    report.checkpoints = len(rows_cp)
    return report


def _stream(session: Session, query: Select[*_Row]) -> CursorResult[*_Row]:
    """Rows streamed in batches, as the driver gives them (Core, without the ORM's layer)."""
    return session.connection().execute(query.execution_options(yield_per=BATCH))


def _raw(value: Any) -> bytes:
    """A dossier id as the driver returns it (32 hex digits on SQLite, a UUID on PostgreSQL)
    as its 16 bytes: SQLAlchemy's UUID conversion cost more than both hashes of an entry."""
    if isinstance(value, str):
        return bytes.fromhex(value) if len(value) == 32 else uuid.UUID(value).bytes
    return value.bytes if isinstance(value, uuid.UUID) else bytes(value)


def _in_seq_order(session: Session, dossier: bytes, broken: Break | None) -> list[EntryRow]:
    """A suspect case's rows in order of seq (up to the global break, as the case pass)."""
    query = (
        select(DOSSIER, E.n, E.seq, E.body, E.case_hash)
        .where(E.dossier_id == uuid.UUID(bytes=dossier))
        .order_by(E.seq)
    )
    if broken is not None:
        query = query.where(E.seq <= broken.seq)
    return [(_raw(d), n, s, b, c) for d, n, s, b, c in session.connection().execute(query)]


def _check_heads(session: Session, walk: GlobalWalk, cases: CaseWalk, report: LedgerReport) -> None:
    heads = {h.chain: (h.length, h.head) for h in session.execute(select(LedgerHead)).scalars()}
    top = heads.pop(GLOBAL, None)
    if top != (walk.seq, walk.head):
        # Name both ends: when the ledger's last entries are deleted, the head is where they were.
        said = f"seq {top[0]}" if top is not None else "missing"
        report.problems.append(
            f"global head ({said}) does not match the last entry (seq {walk.seq}): entries removed?"
        )
    for dossier, (n, case_hash) in cases.cases.items():
        key = str(uuid.UUID(bytes=dossier))
        if heads.pop(key, None) != (n, case_hash):
            report.problems.append(f"case {key}: head does not match its last entry {n}")
    for key in heads:
        report.problems.append(f"case {key}: has a head but no entries")


def _check_checkpoints(
    session: Session,
    rows: list[LedgerCheckpoint],
    walk: GlobalWalk,
    report: LedgerReport,
    *,
    intact: bool,
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
        if intact and (at is None or at.hex() != statement.head):
            report.problems.append(
                f"{where}: the ledger at seq {statement.seq} does not match the signed head"
            )
            return
        previous, last_seq = sha256(row.statement).hexdigest(), statement.seq


def _where(broken: Break) -> str:
    return broken.describe()
