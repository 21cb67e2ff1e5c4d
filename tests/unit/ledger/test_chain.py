"""Canonical JSON and the two hash chains (shared.ledger), without a database."""

from __future__ import annotations

import random
import uuid

import pytest

from shared.ledger.canonical import canonical
from shared.ledger.chain import (
    GENESIS,
    Break,
    CaseWalk,
    GlobalWalk,
    case_break,
    check_case,
    earliest,
)
from tests.support import ledger as synthetic
from tests.support.ledger import LedgerWalk

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


def two_pass(rows: list, watch: tuple[int, ...] = ()) -> tuple[Break | None, CaseWalk, GlobalWalk]:
    """What the online verifier does, with sorting standing in for the database's order."""
    walk = GlobalWalk(watch)
    walk.feed([(s, d, n, c, gp, g) for s, d, n, _b, c, gp, g in rows])
    upto = walk.broken.seq if walk.broken is not None else None
    entries = sorted(
        (d, n, s, b, c) for s, d, n, b, c, _gp, _g in rows if upto is None or s <= upto
    )
    cases = CaseWalk()
    for start in range(0, len(entries), 7):  # batches that split cases
        cases.feed(entries[start : start + 7])
    cases.close()
    suspects = (
        case_break(sorted((r for r in entries if r[0] == d), key=lambda r: r[2]))
        for d in cases.suspects
    )
    found = list(suspects)
    assert all(b is not None for b in found)  # a suspect always has a break in seq order
    return earliest(walk.broken, *found), cases, walk


def alter(rows: list, rnd: random.Random) -> list:
    """One random change a database writer could make (rows stay in sequence order)."""
    rows = [list(r) for r in rows]
    if len(rows) < 2:
        return [tuple(r) for r in rows]
    i = rnd.randrange(len(rows))
    how = rnd.randrange(7)
    if how == 0:  # a field changed
        field = rnd.choice([2, 3, 4, 5, 6])
        if field == 2:
            rows[i][2] += rnd.choice([-1, 1, 2])
        else:
            value = bytearray(rows[i][field])
            value[rnd.randrange(len(value))] ^= 1 << rnd.randrange(8)
            rows[i][field] = bytes(value)
    elif how == 1:  # deleted
        del rows[i]
    elif how == 2:  # moved to another (or a new) case
        rows[i][1] = rnd.choice([*(c.bytes for c in CASES), uuid.uuid4().bytes])
    elif how == 3:  # two entries of a case swap their numbers
        mine = [j for j, r in enumerate(rows) if r[1] == rows[i][1] and j != i]
        if mine:
            j = rnd.choice(mine)
            rows[i][2], rows[j][2] = rows[j][2], rows[i][2]
    elif how == 4:  # two entries swap their places in the global order
        j = rnd.randrange(len(rows))
        rows[i][0], rows[j][0] = rows[j][0], rows[i][0]
        rows.sort(key=lambda r: r[0])
    elif how == 5:  # the tail cut off
        del rows[i:]
    else:  # a case's first entry deleted
        first = next(j for j, r in enumerate(rows) if r[1] == rows[i][1])
        del rows[first]
    return [tuple(r) for r in rows]


def test_the_two_passes_agree_with_the_walk_on_an_untouched_ledger() -> None:
    rows = list(synthetic.rows(CASES, 300))
    broken, cases, walk = two_pass(rows, watch=(150, 300))
    reference = LedgerWalk(watch=[150, 300])
    assert reference.feed(rows)
    assert broken is None and not cases.suspects and cases.entries == 300
    assert cases.cases == reference.cases
    assert (walk.seq, walk.head, walk.seen) == (reference.seq, reference.head, reference.seen)


@pytest.mark.parametrize("seed", range(300))
def test_the_two_passes_report_the_break_the_walk_reports(seed: int) -> None:
    rnd = random.Random(seed)
    rows = list(synthetic.rows(CASES, 60, seed=seed))
    for _ in range(rnd.choice([1, 1, 2, 3])):
        rows = alter(rows, rnd)
    reference = LedgerWalk()
    intact = reference.feed(rows)
    broken, _cases, _walk = two_pass(rows)
    assert broken == reference.broken, (broken, reference.broken)
    assert intact == (broken is None)
