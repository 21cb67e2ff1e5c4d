"""Canonical JSON and the two hash chains (shared.ledger), without a database."""

from __future__ import annotations

import random
import uuid

import pytest

from shared.ledger.canonical import canonical
from shared.ledger.chain import GENESIS, LedgerWalk, check_case
from tests.support import ledger as synthetic

CASES = [uuid.UUID(int=i + 1) for i in range(5)]


def test_canonical_json_is_one_byte_sequence_per_value() -> None:
    a = canonical({"b": 1, "a": {"y": [1, 2.5], "x": "Mật ong\n"}})
    b = canonical({"a": {"x": "Mật ong\n", "y": [1, 2.5]}, "b": 1})
    assert a == b == '{"a":{"x":"Mật ong\\n","y":[1,2.5]},"b":1}'.encode()
    assert b"\n" not in a
    with pytest.raises(ValueError):
        canonical({"total": float("nan")})


def test_an_untouched_ledger_walks_to_its_head() -> None:
    rows = list(synthetic.rows(CASES, 300))
    walk = LedgerWalk(watch=[150, 300])
    assert walk.feed(rows[:100]) and walk.feed(rows[100:])
    assert walk.broken is None
    assert (walk.seq, walk.head) == (300, rows[-1][6])
    assert walk.seen[150] == rows[149][6]
    assert sum(n for n, _ in walk.cases.values()) == 300


@pytest.mark.parametrize("seed", range(40))
def test_any_change_to_a_row_breaks_the_walk_at_that_row(seed: int) -> None:
    rnd = random.Random(seed)
    rows = list(synthetic.rows(CASES, 120, seed=seed))
    index = rnd.randrange(len(rows))
    row = list(rows[index])
    field = rnd.choice([2, 3, 4, 5, 6])  # n, body, case hash, global prev, global hash
    if field == 2:
        row[2] += 1
    else:
        value = bytearray(row[field])
        value[rnd.randrange(len(value))] ^= 1 << rnd.randrange(8)
        row[field] = bytes(value)
    rows[index] = tuple(row)  # type: ignore[assignment]
    walk = LedgerWalk()
    assert not walk.feed(rows)
    assert walk.broken is not None and walk.broken.seq == index + 1


def test_a_case_chain_reports_its_first_broken_entry() -> None:
    dossier = CASES[0]
    mine = [
        (s, n, b, c, gp, g)
        for s, d, n, b, c, gp, g in synthetic.rows(CASES, 100)
        if d == dossier.bytes
    ]
    assert check_case(mine, dossier.bytes)[0] is None
    swapped = [mine[0], mine[2], mine[1], *mine[3:]]
    broken, last = check_case(swapped, dossier.bytes)
    assert broken is not None and broken.n == mine[2][1] and last == mine[0]
    assert check_case(mine, CASES[1].bytes)[0] is not None  # another case's links
    assert bytes(32) == GENESIS
