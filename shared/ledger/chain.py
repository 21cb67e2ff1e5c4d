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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from hashlib import sha256

GENESIS = bytes(32)


def case_link(previous: bytes, body: bytes) -> bytes:
    return sha256(previous + body).digest()


def global_link(previous: bytes, case_hash: bytes, dossier: bytes) -> bytes:
    return sha256(previous + case_hash + dossier).digest()


@dataclass(frozen=True, slots=True)
class Break:
    """The first place a chain does not hold, and why. ``check`` orders the checks made on one
    entry (see ``earliest``), so two passes over the ledger report what one walk would."""

    seq: int | None
    n: int | None
    reason: str
    check: int = field(default=0, compare=False)

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


# The checks made on each entry, in the order a walk makes them (``Break.check``).
SEQ_CHECK, N_CHECK, PREV_CHECK, CONTENT_CHECK, LINK_CHECK = range(5)
CONTENT = "content does not match its hash (altered, or chain broken)"
LINK = "global link does not match"


def out_of_case_order(seq: int, n: int, last_n: int) -> Break:
    return Break(seq, n, f"expected entry {last_n + 1} of its case here", N_CHECK)


# The two passes of the online verifier. Each streams its rows in an order an index gives and
# keeps O(1) state per row, so its speed does not depend on how many cases the ledger holds.
#   link rows  (seq, dossier, n, case_hash, global_prev, global_hash), in order of seq
#   entry rows (dossier, n, seq, body, case_hash), in order of (dossier, n)
LinkRow = tuple[int, bytes, int, bytes, bytes, bytes]
EntryRow = tuple[bytes, int, int, bytes, bytes]


class GlobalWalk:
    """The global chain over the whole ledger, fed in sequence order: each entry in its place,
    linked to the one before, its link hash; the global hash at the sequence numbers asked."""

    def __init__(self, watch: Iterable[int] = ()) -> None:
        self.seq = 0
        self.head = GENESIS
        self.watch = set(watch)
        self.seen: dict[int, bytes] = {}
        self.broken: Break | None = None

    def feed(self, rows: Iterable[LinkRow]) -> bool:
        """Check more rows in sequence order; False once a break is found."""
        if self.broken is not None:
            return False
        seq_expected, head, watch, hash_ = self.seq + 1, self.head, self.watch, sha256
        for seq, dossier, n, case_hash, global_prev, global_hash in rows:
            if seq != seq_expected:
                return self._stop(Break(seq, n, f"expected seq {seq_expected} here"), seq, head)
            if global_prev != head:
                return self._stop(
                    Break(seq, n, "not linked to the previous entry", PREV_CHECK), seq, head
                )
            head = hash_(head + case_hash + dossier).digest()
            if head != global_hash:
                return self._stop(Break(seq, n, LINK, LINK_CHECK), seq, head)
            if watch and seq in watch:
                self.seen[seq] = head
            seq_expected += 1
        self.seq, self.head = seq_expected - 1, head
        return True

    def _stop(self, broken: Break, seq: int, head: bytes) -> bool:
        self.broken, self.seq, self.head = broken, seq - 1, head
        return False


class CaseWalk:
    """Every case chain, fed in order of (dossier, n): entries numbered 1, 2, … in increasing
    sequence order, each body hashed onto the one before. A case whose rows do not chain in
    this order is a suspect: ``case_break`` over its rows in sequence order then says where the
    one-pass walk would have stopped (it always finds a break there). ``cases`` holds the head
    (n, case hash) of every case that holds."""

    def __init__(self) -> None:
        self.cases: dict[bytes, tuple[int, bytes]] = {}
        self.suspects: list[bytes] = []
        self.entries = 0
        # The case being walked: its dossier, the next n (None once suspect), last seq and hash.
        self._dossier: bytes | None = None
        self._next: int | None = 1
        self._seq = 0
        self._last = GENESIS

    def feed(self, rows: Sequence[EntryRow]) -> None:
        """Check more rows, in order of (dossier, n)."""
        dossier, expected, last_seq, last = self._dossier, self._next, self._seq, self._last
        hash_, cases = sha256, self.cases
        for d, n, seq, body, case_hash in rows:
            if d != dossier:
                if dossier is not None and expected is not None:
                    cases[dossier] = (expected - 1, last)
                dossier, expected, last_seq, last = d, 1, 0, GENESIS
            # A suspect's `expected` is None, so its later rows fail here at no cost to the rest.
            if n != expected or seq <= last_seq or hash_(last + body).digest() != case_hash:
                if expected is not None:
                    self.suspects.append(d)
                    expected = None
                continue
            expected, last_seq, last = n + 1, seq, case_hash
        self._dossier, self._next, self._seq, self._last = dossier, expected, last_seq, last
        self.entries += len(rows)

    def close(self) -> None:
        """The last case's head (call once every row is fed)."""
        if self._dossier is not None and self._next is not None:
            self.cases[self._dossier] = (self._next - 1, self._last)
        self._dossier = None

    @property
    def count(self) -> int:
        return len(self.cases) + len(self.suspects)


def case_break(rows: Iterable[EntryRow]) -> Break | None:
    """The first break of one case's rows given in sequence order, as the one-pass walk finds
    it: an entry out of its case's numbering, or a body that does not hash to its case hash."""
    last_n, last = 0, GENESIS
    for _dossier, n, seq, body, case_hash in rows:
        if n != last_n + 1:
            return out_of_case_order(seq, n, last_n)
        if sha256(last + body).digest() != case_hash:
            return Break(seq, n, CONTENT, CONTENT_CHECK)
        last_n, last = n, case_hash
    return None


def earliest(*breaks: Break | None) -> Break | None:
    """The break the one-pass walk reports: the lowest sequence number, and on one entry the
    check it makes first."""
    found = [b for b in breaks if b is not None]
    return min(found, key=lambda b: (b.seq or 0, b.check)) if found else None
