"""Engine, sessions and the unit of work every use case runs in.

A unit of work commits the state change and its outbox events together, or nothing: leaving the
``with`` block without ``commit()`` rolls back. Services never open sessions on their own.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, create_parent: bool = True, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and write-locking transactions.

    A SQLite file's folder is created unless ``create_parent`` is false (a broker URL pointing
    to a missing folder is a configuration error to report, not to paper over)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if create_parent and path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 5)
        kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how a transaction starts.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that later writes fails at once with SQLITE_BUSY when another
        # writer got there first (the busy timeout does not apply to a lock upgrade), so writing
        # units of work take the write lock up front; read-only ones stay deferred.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def as_utc(value: datetime) -> datetime:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive, in UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class UnitOfWork:
    """One use case's transaction: the session, the events to publish, and the commit."""

    def __init__(
        self,
        session: Session,
        *,
        before_commit: Callable[[UnitOfWork], None] | None = None,
        after_commit: Callable[[UnitOfWork], None] | None = None,
    ) -> None:
        self.session = session
        self.events: list[Any] = []
        self._undo: list[Callable[[], None]] = []
        self._before_commit = before_commit
        self._after_commit = after_commit
        self.committed = False

    def add_event(self, event: Any) -> None:
        """Queue an event for the outbox; it is written by ``commit`` in the same transaction."""
        self.events.append(event)

    def commit(self) -> None:
        if self._before_commit is not None:
            self._before_commit(self)
        self.session.commit()
        self.committed = True
        if self._after_commit is not None:
            self._after_commit(self)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the transaction that an exception undoes alone: its rows, its events and its
        side effects go, what came before stays (several events applied in one transaction)."""
        events, undos = len(self.events), len(self._undo)
        nested = self.session.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            del self.events[events:]
            for undo in reversed(self._undo[undos:]):
                undo()
            del self._undo[undos:]
            raise
        nested.commit()

    def on_rollback(self, undo: Callable[[], None]) -> None:
        """Register a compensation for a side effect outside the database (e.g. a stored file)."""
        self._undo.append(undo)

    def rollback(self) -> None:
        self.session.rollback()
        self.events.clear()
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


class Database:
    """A service's database: engine, session factory and units of work."""

    def __init__(
        self,
        url: str,
        *,
        before_commit: Callable[[UnitOfWork], None] | None = None,
        after_commit: Callable[[UnitOfWork], None] | None = None,
    ) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._read_engine = (
            self.engine.execution_options(sqlite_begin="DEFERRED")
            if is_sqlite(self.engine)
            else self.engine
        )
        self._sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(bind=self._read_engine, expire_on_commit=False)
        self.before_commit = before_commit
        self.after_commit = after_commit

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A writing unit of work; rolls back unless ``commit()`` was called."""
        session = self._sessions()
        uow = UnitOfWork(session, before_commit=self.before_commit, after_commit=self.after_commit)
        try:
            yield uow
        finally:
            if not uow.committed:
                uow.rollback()
            session.close()

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (never commits; on SQLite it does not take the write lock)."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            # close() ends the transaction without expiring what was loaded, so results stay
            # usable for rendering after the block (rollback() would expire them).
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def dialect_insert(bind: Session | Engine | Connection) -> Callable[..., Any]:
    """The INSERT construct of the database's own dialect: both have ``ON CONFLICT``, so a
    counter or a fact seen before is written in one statement, with no read first."""
    return _insert_of((bind.get_bind() if isinstance(bind, Session) else bind).dialect.name)


def _insert_of(dialect: str) -> Callable[..., Any]:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_new(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, unique: Sequence[str]
) -> set[tuple[Any, ...]]:
    """Insert each of ``rows`` unless ``table`` has a row with the same ``unique`` columns (or
    an earlier one of ``rows`` has); returns the ``unique`` values of the rows inserted.

    For the hot paths of event handlers: one statement for all the rows, built once, no read
    first, and no flush of what the session holds pending (it goes on the connection)."""
    if not rows:
        return set()
    conn = session.connection()
    statement = _insert_new(conn.dialect.name, table, tuple(unique))
    return {tuple(key) for key in conn.execute(statement, list(rows))}


@functools.cache
def _insert_new(dialect: str, table: Table, unique: tuple[str, ...]) -> Insert:
    # With RETURNING, SQLAlchemy sends the rows as one multi-row INSERT (its "insertmanyvalues")
    # on both databases, and a row that conflicts returns nothing.
    return (
        _insert_of(dialect)(table)
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(*(table.c[name] for name in unique))
    )
