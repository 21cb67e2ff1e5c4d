"""The two hash chains of the ledger and the checks over them.

- Case chain: ``case_hash(n) = SHA-256(case_hash(n-1) ‖ canonical body(n))`` within one dossier,
  starting from 32 zero bytes.
- Global chain, over every entry of every case in sequence order:
  ``global_hash(seq) = SHA-256(global_hash(seq-1) ‖ case_hash(seq) ‖ dossier id (16 bytes))``.

The body carries ``seq``, ``n`` and the dossier id, so a hash covers an entry's place too. A case
hash covers the whole case up to it; tying the last one to a signed global head (through the
global links that follow it) therefore authenticates the whole case file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import sha256

GENESIS = bytes(32)
_START = (0, GENESIS)


def case_link(previous: bytes, body: bytes) -> bytes:
    return sha256(previous + body).digest()


def global_link(previous: bytes, case_hash: bytes, dossier: bytes) -> bytes:
    return sha256(previous + case_hash + dossier).digest()


@dataclass(frozen=True, slots=True)
class Break:
    """The first place a chain does not hold, and why."""

    seq: int | None
    n: int | None
    reason: str

    def describe(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"seq {self.seq}" if self.seq is not None else "",
                f"entry {self.n}" if self.n is not None else "",
            )
            if part
        )
        return f"{where}: {self.reason}" if where else self.reason


# Rows for the checks below, in order:
#   case rows   (seq, n, body, case_hash, global_prev, global_hash)
#   global rows (seq, dossier, case_hash, global_hash)
CaseRow = tuple[int, int, bytes, bytes, bytes, bytes]
GlobalRow = tuple[int, bytes, bytes, bytes]


def check_case(rows: Iterable[CaseRow], dossier: bytes) -> tuple[Break | None, CaseRow | None]:
    """Walk one case's entries in order of ``n``; return the first break (or None) and the last
    row checked. Hash work only: this is the loop the ledger benchmark measures."""
    previous = GENESIS
    expected_n = 1
    last_seq = 0
    last: CaseRow | None = None
    for row in rows:
        seq, n, body, case_hash, global_prev, global_hash = row
        if n != expected_n:
            return Break(seq, n, f"expected entry {expected_n} here (missing or moved)"), last
        if seq <= last_seq:
            return Break(seq, n, "sequence number does not increase"), last
        if sha256(previous + body).digest() != case_hash:
            return Break(seq, n, "content does not match its hash (altered, or chain broken)"), last
        if sha256(global_prev + case_hash + dossier).digest() != global_hash:
            return Break(seq, n, "global link does not match"), last
        previous = case_hash
        expected_n += 1
        last_seq = seq
        last = row
    return None, last


def check_bridge(
    start: bytes, rows: Iterable[GlobalRow], *, after_seq: int, dossier: bytes
) -> tuple[Break | None, int, bytes]:
    """Follow the global chain from ``start`` (the global hash at ``after_seq``) through the
    links of other cases' entries; returns (break, last seq, head reached). An entry of the
    same dossier here means the case file leaves out one of its own entries."""
    head, seq_expected = start, after_seq + 1
    for seq, other, case_hash, global_hash in rows:
        if seq != seq_expected:
            return (
                Break(seq, None, f"global chain skips from {seq_expected - 1} to {seq}"),
                seq,
                head,
            )
        if other == dossier:
            return (
                Break(seq, None, "an entry of this case is missing from the case file"),
                seq,
                head,
            )
        head = sha256(head + case_hash + other).digest()
        if head != global_hash:
            return Break(seq, None, "global link does not match"), seq, head
        seq_expected += 1
    return None, seq_expected - 1, head


def _misplaced(
    seq: int, n: int, seq_expected: int, last_n: int, global_prev: bytes, head: bytes
) -> Break:
    """Why an entry is not where the chains say it should be (checked in this order)."""
    if seq != seq_expected:
        return Break(seq, n, f"expected seq {seq_expected} here")
    if n != last_n + 1:
        return Break(seq, n, f"expected entry {last_n + 1} of its case here")
    return Break(seq, n, "not linked to the previous entry")


# Rows of the whole ledger in sequence order:
#   (seq, dossier, n, body, case_hash, global_prev, global_hash)
LedgerRow = tuple[int, bytes, int, bytes, bytes, bytes, bytes]


class LedgerWalk:
    """Both chains over the whole ledger, fed in sequence order (in batches, to stream from a
    database); remembers each case's head and the global hash at the sequence numbers asked."""

    def __init__(self, watch: Iterable[int] = ()) -> None:
        self.seq = 0
        self.head = GENESIS
        # dossier → (n, case hash) of its last entry.
        self.cases: dict[bytes, tuple[int, bytes]] = {}
        self.watch = set(watch)
        self.seen: dict[int, bytes] = {}
        self.broken: Break | None = None

    def feed(self, rows: Iterable[LedgerRow]) -> bool:
        """Check more rows in sequence order; False once a break is found (``broken`` says
        where and why)."""
        if self.broken is not None:
            return False
        # The loop the ledger benchmark measures: names bound locally, the rare checks kept
        # out of the way of the two hashes every entry needs.
        seq_expected, head, cases, watch = self.seq + 1, self.head, self.cases, self.watch
        hash_, start, get = sha256, _START, cases.get
        for seq, dossier, n, body, case_hash, global_prev, global_hash in rows:
            last_n, last_hash = get(dossier, start)
            if seq != seq_expected or n != last_n + 1 or global_prev != head:
                return self._stop(
                    _misplaced(seq, n, seq_expected, last_n, global_prev, head), seq - 1, head
                )
            if hash_(last_hash + body).digest() != case_hash:
                return self._stop(
                    Break(seq, n, "content does not match its hash (altered, or chain broken)"),
                    seq - 1,
                    head,
                )
            head = hash_(head + case_hash + dossier).digest()
            if head != global_hash:
                return self._stop(Break(seq, n, "global link does not match"), seq - 1, head)
            cases[dossier] = (n, case_hash)
            if watch and seq in watch:
                self.seen[seq] = head
            seq_expected += 1
        self.seq, self.head = seq_expected - 1, head
        return True

    def _stop(self, broken: Break, seq: int, head: bytes) -> bool:
        self.broken, self.seq, self.head = broken, seq, head
        return False
