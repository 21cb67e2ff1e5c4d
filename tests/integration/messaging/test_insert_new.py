"""``shared.db.insert_new`` and ``insert_missing``, which the hot event handlers write with, on
the run mode's own database (SQLite or PostgreSQL): they must tell new rows from ones that were
there, one or many at a time, and notice a row another transaction slipped in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, UniqueConstraint, select
from sqlalchemy.orm import Session

from shared.db import ConcurrentInsert, insert_missing, insert_new, make_engine


@pytest.fixture()
def table(migrated) -> Iterator[tuple[Engine, Table]]:
    engine = make_engine(migrated.database_urls["evaluation"])
    table = Table(
        f"t_insert_new_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("key", String(20)),
        Column("version", Integer),
        Column("note", String(20)),
        UniqueConstraint("key", "version"),
        UniqueConstraint("note"),
    )
    table.create(engine)
    try:
        yield engine, table
    finally:
        table.drop(engine)
        engine.dispose()


def _rows(engine: Engine, table: Table) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.version, table.c.note).order_by(table.c.id)).all()
    return [tuple(r) for r in rows]


def test_insert_missing_counts_the_rows_it_inserted(table: tuple[Engine, Table]) -> None:
    engine, t = table
    with Session(engine) as session:

        def add(*rows: tuple[int, str]) -> int:
            new = [{"key": "a", "version": v, "note": note} for v, note in rows]
            return insert_missing(session, t, new, unique=["key", "version"])

        assert add((1, "x")) == 1
        assert add((1, "y")) == 0
        # Several at once: a known one, two new ones, and one repeated within the rows.
        assert add((1, "w"), (2, "z"), (3, "v"), (3, "u")) == 2
        assert add() == 0
        session.commit()
    assert _rows(engine, t) == [(1, "x"), (2, "z"), (3, "v")]  # the first one of each stays


def test_insert_new_answers_which_keys_were_new(table: tuple[Engine, Table]) -> None:
    engine, t = table
    with Session(engine) as session:

        def add(*notes: str) -> set[object]:
            rows = [{"key": "k", "version": i, "note": n} for i, n in enumerate(notes)]
            return insert_new(session, t, rows, key="note")

        assert add("x") == {"x"}
        assert add("x", "y", "y", "z") == {"y", "z"}
        assert add() == set()
        session.commit()
    assert [note for _, note in _rows(engine, t)] == ["x", "y", "z"]


def test_insert_new_notices_a_row_inserted_after_it_looked(table: tuple[Engine, Table]) -> None:
    engine, t = table
    with Session(engine) as session:
        # What another transaction would do between the read and the insert: a row with the
        # same key (here, in the same transaction, after the read, by a listener on it).
        from sqlalchemy import event

        slipped: list[bool] = []

        def slip_in(conn, clauseelement, *args, **kwargs) -> None:
            if getattr(clauseelement, "is_select", False) and not slipped:
                slipped.append(True)
                conn.execute(t.insert().values(key="other", version=0, note="x"))

        event.listen(session.connection(), "after_execute", slip_in)
        with pytest.raises(ConcurrentInsert):
            insert_new(session, t, [{"key": "k", "version": 1, "note": "x"}], key="note")
        assert slipped
