"""Writing thousands of new rows of one table at once, as the certificate import does.

A Core ``insert()`` given a list of dicts builds a set of parameters per row in Python (most of
an import's time went there, not into the database). Here each column's own conversion (the
type's bind processor: JSON to text, UUIDs, UTC times) runs once per value, a value object
shared by many rows once in all, and the rows go as plain tuples: one ``executemany`` on SQLite,
one ``COPY`` on PostgreSQL (which parses and plans no statement per row). The rows are exactly
those the Core insert writes: the same columns, the same stored values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

import psycopg
import psycopg.types.json
from sqlalchemy import JSON, Connection, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

Processor = Callable[[Any], Any] | None


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys, column names of ``table``) in the session's
    transaction."""
    if not rows:
        return
    keys = list(rows[0])
    _check_defaults(table, keys)
    conn = session.connection()
    # Rows to columns and back by C loops (itemgetter, zip): a Python loop per cell cost more
    # than converting it.
    cells = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    columns = zip(*map(cells, rows), strict=True)
    converted = [_converted(conn, table, k, list(c)) for k, c in zip(keys, columns, strict=True)]
    values = list(zip(*converted, strict=True))
    if conn.dialect.name == "postgresql":
        _copy(conn, table, keys, values)
    else:
        preparer = conn.dialect.identifier_preparer
        names = ", ".join(preparer.quote(key) for key in keys)
        marks = ", ".join("?" for _ in keys)
        conn.exec_driver_sql(
            f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({marks})", values
        )


def _check_defaults(table: Table, keys: list[str]) -> None:
    """A column left out must have no default of the application's (a Core insert would fill
    it; this writes what it is given and nothing more)."""
    missing = [c.name for c in table.columns if c.name not in keys and c.default is not None]
    if missing:
        raise ValueError(f"{table.name}: give {', '.join(missing)}")


def _converted(conn: Connection, table: Table, key: str, values: list[Any]) -> list[Any]:
    """A column's values as the driver takes them, converted as SQLAlchemy would."""
    dialect = conn.dialect
    column_type = table.c[key].type
    process: Processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    if isinstance(column_type, JSON) and isinstance(process(None), psycopg.types.json.Json):
        process = _as_text(process, getattr(dialect, "_json_serializer", None) or json.dumps)
    # A value object shared by many rows (a producer's form on each of its dossiers, the empty
    # documents, the import's time) is converted once; the rows keep the objects alive, so an
    # id is not reused meanwhile.
    seen: dict[int, Any] = {}
    out = []
    for value in values:
        done = seen.get(id(value))
        if done is None:
            done = seen[id(value)] = process(value)
        out.append(done)
    return out


def _as_text(process: Callable[[Any], Any], dumps: Callable[[Any], str]) -> Callable[[Any], Any]:
    """psycopg's JSON wrapper is serialised where it is sent, once per row even for one object;
    as its text (what psycopg would send: the dialect's serialiser, else ``json.dumps``) it
    is serialised here, once per object."""

    def text(value: Any) -> Any:
        wrapped = process(value)
        if isinstance(wrapped, psycopg.types.json.Json):
            return (wrapped.dumps or dumps)(wrapped.obj)
        return wrapped

    return text


def _copy(conn: Connection, table: Table, keys: list[str], values: list[tuple[Any, ...]]) -> None:
    preparer = conn.dialect.identifier_preparer
    names = ", ".join(preparer.quote(key) for key in keys)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    driver = conn.connection.driver_connection  # psycopg's, in the session's transaction
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except psycopg.Error as exc:
        # As SQLAlchemy raises it (a taken key: IntegrityError), for the callers' handlers.
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
