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

from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    Engine,
    Insert,
    Table,
    TypeDecorator,
    create_engine,
    event,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


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
    kwargs["connect_args"] = {**_postgres_guards(url), **kwargs.get("connect_args", {})}
    return create_engine(url, **kwargs)


#: How long a statement waits for a lock, and how long the server lets a transaction sit idle.
LOCK_WAIT = "30s"
IDLE_IN_TRANSACTION = "120s"


def _postgres_guards(url: str) -> dict[str, Any]:
    """Bounds on waiting for a peer that went silent.

    A transaction whose client vanished without a word (a network partition, a failover, a
    proxy or NAT dropping the connection) keeps its locks until TCP notices, hours by default.
    Meanwhile every writer of those rows waits with it; a worker waits in its event loop,
    misses the broker's heartbeats and is dropped, alive and consuming nothing (found by the
    database-outage fault run: a case-file append held the ledger head). So the server ends a
    transaction idle that long, no statement waits longer than ``LOCK_WAIT`` for a lock (the
    error is transient: the event is retried), connecting gives up after 10 s, and keepalives
    probe a silent peer. An operator's own ``options`` in the URL are left as they are."""
    guards: dict[str, Any] = {
        "connect_timeout": 10,
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }
    if "options=" not in url:
        guards["options"] = (
            f"-c lock_timeout={LOCK_WAIT} "
            f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION}"
        )
    return guards


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


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp column that stores UTC and gives back an aware UTC datetime, on both databases.

    SQLite keeps no offset: it writes an aware datetime's wall clock as it is (a +07:00 time
    would be stored seven hours off) and reads it back naive, so an API dumping it wrote no
    offset, although its OpenAPI says ``date-time`` (RFC 3339). PostgreSQL's timestamptz gives
    it back in the session's time zone. Converting here, at the column, rather than in a
    marshmallow field: every reader gets the same aware value (the schemas of all services, the
    rules comparing times, the digests and the PDFs), and no schema can forget it. A naive value
    written is taken as UTC, as the services have always stored it.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value).astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value).astimezone(UTC)


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


def table_of(model: type[DeclarativeBase]) -> Table:
    """The table a mapped class maps: SQLAlchemy types ``__table__`` as any FROM clause (a class
    may map a join or a select); ours all map tables."""
    table = model.__table__
    assert isinstance(table, Table), f"{model.__name__} maps {table!r}, not a table"
    return table


def dialect_insert(bind: Session | Engine | Connection) -> Callable[..., Any]:
    """The INSERT construct of the database's own dialect: both have ``ON CONFLICT``, so a
    counter or a fact seen before is written in one statement, with no read first."""
    return _insert_of((bind.get_bind() if isinstance(bind, Session) else bind).dialect.name)


def _insert_of(dialect: str) -> Callable[..., Any]:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class ConcurrentInsert(Exception):
    """Another transaction inserted a row this one was about to insert (after it looked)."""


def insert_new(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, key: str
) -> set[Any]:
    """Insert the rows whose ``key`` ``table`` does not hold yet (of rows sharing a key, the
    first); returns the keys inserted.

    For the hot paths of event handlers: one read of the keys, one statement for the rows, no
    flush of what the session holds pending (both go on the connection). Raises
    ConcurrentInsert, having written nothing the caller will keep, if another transaction
    inserted one of the keys between the read and the insert; the caller's retry then finds it.
    """
    column = table.c[key]
    conn = session.connection()
    known = set(
        conn.execute(select(column).where(column.in_(list({row[key] for row in rows})))).scalars()
    )
    fresh: dict[Any, dict[str, Any]] = {}
    for row in rows:
        if row[key] not in known:
            fresh.setdefault(row[key], row)
    if fresh and insert_missing(session, table, list(fresh.values()), unique=[key]) != len(fresh):
        raise ConcurrentInsert(f"{table.name}: a row was inserted by another transaction")
    return set(fresh)


def insert_missing(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, unique: Sequence[str]
) -> int:
    """Insert each of ``rows`` unless ``table`` holds one with the same ``unique`` columns;
    returns how many were inserted.

    One statement, built once and executed for all the rows (psycopg sends them in one
    pipeline), on the session's connection: no read first, no flush of pending ORM objects."""
    if not rows:
        return 0
    conn = session.connection()
    statement = _insert_missing(conn.dialect.name, table, tuple(unique))
    return conn.execute(statement, list(rows)).rowcount


@functools.cache
def _insert_missing(dialect: str, table: Table, unique: tuple[str, ...]) -> Insert:
    # Not one multi-row INSERT (…VALUES (…), (…) RETURNING): psycopg would parse its hundreds of
    # placeholders anew each time. Without preserve_rowcount SQLAlchemy reports -1 on psycopg.
    return (
        _insert_of(dialect)(table)
        .on_conflict_do_nothing(index_elements=list(unique))
        .execution_options(preserve_rowcount=True)
    )
