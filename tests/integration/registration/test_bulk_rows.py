"""The import's bulk writer stores what a Core ``insert()`` stores, value for value (JSON, UUIDs,
UTC times, dates, flags, NULLs), on SQLite and PostgreSQL; a taken key is SQLAlchemy's
IntegrityError (the import answers it with a 409); a column left out that has a default is
refused rather than silently left empty."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from services.registration.service.bulk_rows import insert_rows
from shared.db import UtcDateTime


@pytest.fixture
def table(registration: Any) -> Iterator[Table]:
    made = Table(
        f"bulk_rows_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("id", Uuid, primary_key=True),
        Column("name", String(50)),
        Column("doc", JSON),
        Column("at", UtcDateTime),
        Column("day", Date),
        Column("flag", Boolean),
        Column("count", Integer, default=0),
    )
    made.create(registration.db.engine)
    yield made
    made.drop(registration.db.engine)


def _rows(shared: dict[str, Any]) -> list[dict[str, Any]]:
    later = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=7)))
    return [
        {
            "id": uuid.uuid4(),
            "name": f"Mật ong số {n}" if n else None,
            "doc": shared if n % 2 else {"row": n, "tên": "Đông Hà", "list": [1, None]},
            "at": later if n else datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            "day": date(2024, 2, 29),
            "flag": bool(n % 2),
            "count": n,
        }
        for n in range(5)
    ] + [
        {
            "id": uuid.uuid4(),
            "name": "no document",
            "doc": None,
            "at": None,
            "day": None,
            "flag": None,
            "count": 0,
        }
    ]


def _stored(registration: Any, table: Table, ids: list[uuid.UUID]) -> list[tuple[Any, ...]]:
    with registration.db.reader() as session:
        found = {r.id: tuple(r) for r in session.execute(select(table))}
    return [found[i][1:] for i in ids]


def test_the_same_values_as_a_core_insert(registration: Any, table: Table) -> None:
    shared = {"form": "shared by rows", "n": [1, 2]}
    bulk, core = _rows(shared), _rows(shared)
    with registration.db.unit_of_work() as uow:
        insert_rows(uow.session, table, bulk)
        uow.session.execute(insert(table), core)
        uow.commit()
    written = _stored(registration, table, [r["id"] for r in bulk])
    assert written == _stored(registration, table, [r["id"] for r in core])
    assert written[1][1] == shared and written[0][1]["tên"] == "Đông Hà"
    assert written[1][2] == datetime(2025, 3, 1, 2, 30, tzinfo=UTC)


def test_a_taken_key_is_an_integrity_error(registration: Any, table: Table) -> None:
    rows = _rows({})
    with registration.db.unit_of_work() as uow:
        insert_rows(uow.session, table, rows[:2])
        uow.commit()
    with pytest.raises(IntegrityError), registration.db.unit_of_work() as uow:
        insert_rows(uow.session, table, rows[1:])
    assert len(_stored(registration, table, [r["id"] for r in rows[:2]])) == 2
    with registration.db.reader() as session:
        assert len(session.execute(select(table)).all()) == 2


def test_a_column_with_a_default_cannot_be_left_out(registration: Any, table: Table) -> None:
    rows = [{k: v for k, v in row.items() if k != "count"} for row in _rows({})]
    with pytest.raises(ValueError, match="count"), registration.db.unit_of_work() as uow:
        insert_rows(uow.session, table, rows)
