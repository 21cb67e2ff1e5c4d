"""Synthetic ledgers built with shared.ledger alone (no database): for the unit tests of the
chains and the case-file verifier, and for bench/ledger's seeding."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.ledger import casefile
from shared.ledger import checkpoint as signed
from shared.ledger.canonical import canonical
from shared.ledger.chain import (
    CONTENT,
    CONTENT_CHECK,
    GENESIS,
    LINK,
    LINK_CHECK,
    PREV_CHECK,
    SEQ_CHECK,
    Break,
    case_link,
    global_link,
    out_of_case_order,
)

# Rows of the whole ledger in sequence order:
#   (seq, dossier, n, body, case_hash, global_prev, global_hash)
LedgerRow = tuple[int, bytes, int, bytes, bytes, bytes, bytes]


class LedgerWalk:
    """Both chains over the whole ledger in one pass, fed in sequence order; remembers each
    case's head and the global hash at the sequence numbers asked.

    The one-pass verifier of before, kept as the reference that ``GlobalWalk`` + ``CaseWalk`` (the
    online verifier) must agree with, and as bench/ledger's "before" figure. This walk
    looks up the case of every entry in a dict that holds one head per case, and over tens of
    thousands of cases those lookups miss the CPU caches (each case comes back only after
    megabytes of other entries have streamed through), which cost it ~40 % of its speed at 1M
    entries over 50,000 cases."""

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
        hash_, start, get = sha256, (0, GENESIS), cases.get
        for seq, dossier, n, body, case_hash, global_prev, global_hash in rows:
            last_n, last_hash = get(dossier, start)
            if seq != seq_expected or n != last_n + 1 or global_prev != head:
                return self._stop(
                    _misplaced(seq, n, seq_expected, last_n, global_prev, head), seq - 1, head
                )
            if hash_(last_hash + body).digest() != case_hash:
                return self._stop(Break(seq, n, CONTENT, CONTENT_CHECK), seq - 1, head)
            head = hash_(head + case_hash + dossier).digest()
            if head != global_hash:
                return self._stop(Break(seq, n, LINK, LINK_CHECK), seq - 1, head)
            cases[dossier] = (n, case_hash)
            if watch and seq in watch:
                self.seen[seq] = head
            seq_expected += 1
        self.seq, self.head = seq_expected - 1, head
        return True

    def _stop(self, broken: Break, seq: int, head: bytes) -> bool:
        self.broken, self.seq, self.head = broken, seq, head
        return False


def _misplaced(
    seq: int, n: int, seq_expected: int, last_n: int, global_prev: bytes, head: bytes
) -> Break:
    """Why an entry is not where the chains say it should be (checked in this order)."""
    if seq != seq_expected:
        return Break(seq, n, f"expected seq {seq_expected} here", SEQ_CHECK)
    if n != last_n + 1:
        return out_of_case_order(seq, n, last_n)
    return Break(seq, n, "not linked to the previous entry", PREV_CHECK)


KINDS = (
    "dossier.submitted",
    "dossier.document_added",
    "evaluation.sheet_submitted",
    "evaluation.sheet_revised",
    "notification.sent",
)
START = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)


def body(rnd: random.Random, *, seq: int, n: int, dossier: uuid.UUID, kind: str) -> dict[str, Any]:
    """An entry shaped like a score sheet event (the bulk of a real ledger): ~1.5 KB."""
    answers = {f"{part}.{i}": rnd.choice("abcde") for part in "ABC" for i in range(1, 13)}
    return {
        "seq": seq,
        "n": n,
        "dossier_id": str(dossier),
        "event_id": str(uuid.UUID(int=rnd.getrandbits(128))),
        "kind": kind,
        "occurred_at": (START + timedelta(minutes=seq)).isoformat(),
        "recorded_at": (START + timedelta(minutes=seq, seconds=1)).isoformat(),
        "producer": kind.split(".")[0],
        "actor": {
            "user_id": str(uuid.UUID(int=rnd.getrandbits(128))),
            "role": "council_member",
            "name": "Nguyễn Văn Bình",
        },
        "correlation_id": uuid.UUID(int=rnd.getrandbits(128)).hex,
        "payload": {
            "dossier_id": str(dossier),
            "product_name": "Mật ong hoa cà phê Đông Hà",
            "answers": answers,
            "part_points": {"A": 30.0, "B": 20.0, "C": 25.0},
            "total": round(rnd.uniform(50, 100), 2),
            "comment": "Sản phẩm đạt yêu cầu về bao bì và truy xuất nguồn gốc.",
        },
    }


class Chain:
    """Both chains as they grow, so a ledger can be generated in stages."""

    def __init__(self, seed: int = 1) -> None:
        self.rnd = random.Random(seed)
        self.seq = 0
        self.head = GENESIS
        self.heads: dict[uuid.UUID, tuple[int, bytes]] = {}

    def take(self, cases: list[uuid.UUID], count: int) -> Iterator[LedgerRow]:
        """``count`` more entries spread at random over ``cases``."""
        rnd = self.rnd
        for _ in range(count):
            self.seq += 1
            dossier = rnd.choice(cases)
            n, previous = self.heads.get(dossier, (0, GENESIS))
            kind = rnd.choice(KINDS)
            data = canonical(body(rnd, seq=self.seq, n=n + 1, dossier=dossier, kind=kind))
            case_hash = case_link(previous, data)
            global_hash = global_link(self.head, case_hash, dossier.bytes)
            yield (self.seq, dossier.bytes, n + 1, data, case_hash, self.head, global_hash)
            self.heads[dossier] = (n + 1, case_hash)
            self.head = global_hash


def rows(cases: list[uuid.UUID], count: int, seed: int = 1) -> Iterator[LedgerRow]:
    """``count`` entries spread at random over ``cases``, both chains computed."""
    return Chain(seed).take(cases, count)


def checkpoint(
    ledger: list[LedgerRow], key: Ed25519PrivateKey, *, number: int = 1, upto: int | None = None
) -> casefile.SignedCheckpoint:
    """A signed statement of the global head at ``upto`` (default: the last entry)."""
    row = ledger[(upto or len(ledger)) - 1]
    statement = signed.Statement(
        number=number,
        seq=row[0],
        head=row[6].hex(),
        previous=signed.GENESIS_HEX,
        signed_at=START.isoformat(),
        key_id=signed.fingerprint(key.public_key())[:32],
    )
    return casefile.SignedCheckpoint(statement.to_bytes(), signed.sign(statement, key))


def archive(
    ledger: list[LedgerRow],
    dossier: uuid.UUID,
    key: Ed25519PrivateKey,
    cover: casefile.SignedCheckpoint | None = None,
) -> bytes:
    """The case file of ``dossier`` out of ``ledger``, covered by a checkpoint of its head."""
    mine = [r for r in ledger if r[1] == dossier.bytes]
    cover = cover or checkpoint(ledger, key)
    upto = signed.parse(cover.statement).seq
    last = mine[-1][0]
    return casefile.build(
        dossier_id=dossier,
        exported_at=START.isoformat(),
        rows=[(s, n, b, c, gp, g) for s, _d, n, b, c, gp, g in mine],
        bridge=[(s, d, c, g) for s, d, _n, _b, c, _gp, g in ledger if last < s <= upto],
        checkpoint=cover,
        public_key_pem=signed.public_pem(key.public_key()),
    )
