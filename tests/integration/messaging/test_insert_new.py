"""``shared.db.insert_new``, which the hot event handlers write with, on the run mode's own
database (SQLite or PostgreSQL): it must tell new rows from ones that were there, one or
many at a time."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, select
from sqlalchemy.orm import Session

from shared.db import insert_new, make_engine


def test_insert_new_tells_a_new_row_from_a_known_one(migrated) -> None:
    engine = make_engine(migrated.database_urls["evaluation"])
    table = Table(
        f"t_insert_new_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("key", String(20)),
        Column("version", Integer),
        Column("note", String(20)),
        UniqueConstraint("key", "version"),
    )
    table.create(engine)
    try:
        with Session(engine) as session:

            def add(*rows: tuple[int, str]) -> set[tuple[object, ...]]:
                new = [{"key": "a", "version": v, "note": note} for v, note in rows]
                return insert_new(session, table, new, unique=["key", "version"])

            assert add((1, "x")) == {("a", 1)}
            assert add((1, "y")) == set()
            # Several at once: a known one, two new ones, and one repeated within the rows.
            assert add((1, "w"), (2, "z"), (3, "v"), (3, "u")) == {("a", 2), ("a", 3)}
            assert add() == set()
            session.commit()
        with engine.connect() as conn:
            rows = conn.execute(select(table.c.version, table.c.note).order_by(table.c.id)).all()
        # The first one of each stays.
        assert [tuple(r) for r in rows] == [(1, "x"), (2, "z"), (3, "v")]
    finally:
        table.drop(engine)
        engine.dispose()
