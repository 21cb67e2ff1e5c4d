"""The embedded broker: kombu's SQLAlchemy transport, made fit to carry the pipeline on SQLite.

kombu's own channel marks a consumed message invisible and never deletes it, scans the whole
history under SQLite's write lock on every poll (so idle workers hold off the relays longer and
longer), and loses a message whose consumer dies before acknowledging it. This channel:

- claims a message (invisible, claim time) and deletes it once acknowledged, so the table holds
  only what is waiting or in flight;
- claims as many messages at once as the consumer's prefetch allows, and deletes acknowledged
  ones together with the next claim (or poll), so a busy consumer takes the write lock once per
  batch rather than twice per message;
- hands a claim back in place on reject-with-requeue and at shutdown (unacknowledged prefetch);
- re-offers claims older than the visibility timeout: the message of a worker killed mid-task
  is delivered again (at-least-once; consumers are idempotent through their inbox);
- looks for work with a plain read first (WAL), so an empty poll takes no lock at all;
- runs on the product's SQLite engine settings (WAL, busy timeout, write-locking transactions).

Selected for the ``sqla+`` broker URLs by ``shared.messaging`` (see ``install``).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime, timedelta
from queue import Empty
from time import monotonic
from typing import Any

from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import dumps, loads
from sqlalchemy import Engine, Index, Table, false, insert, inspect, select, true, update
from sqlalchemy.exc import IntegrityError

from shared.db import make_engine

DEFAULT_VISIBILITY_TIMEOUT = 300.0
MAX_CLAIM = 50  # messages claimed per transaction at most
# Acknowledged messages are deleted in the transaction of the next claim or poll (a consumer
# comes back at once), in their own only when this many wait: a batch's worth of acks does
# not cost a write of its own.
MAX_ACKED = 500
# A consumer found empty is not read again for this long while its other queues keep the worker
# busy: kombu's fair cycle would otherwise read every idle queue between two deliveries. It is
# shorter than the polling interval (0.1 s), which a worker with nothing to do sleeps anyway,
# so an idle worker reads each queue after every sleep, as before.
IDLE_RECHECK_SECONDS = 0.05
SWEEP_EVERY_SECONDS = 5.0
READY_INDEX = "ix_kombu_message_ready"
# Options of ours and kombu's that are not create_engine() arguments.
_NOT_ENGINE_OPTIONS = (
    "queue_tablename",
    "message_tablename",
    "callback",
    "errback",
    "max_retries",
    "interval_start",
    "interval_step",
    "interval_max",
    "retry_errors",
    "visibility_timeout",
)
_prepared: set[str] = set()
_prepare_lock = threading.Lock()


def _now() -> datetime:
    # kombu's column is a naive DateTime; every claim time is written here, in UTC.
    return datetime.now(UTC).replace(tzinfo=None)


def _ready_index(messages: Table) -> Index:
    """The dequeue's index, made once: an Index joins its table's metadata, so kombu creates it
    with the table in every database opened after, and a second one of the same name would be
    created twice there ("index already exists")."""
    for index in messages.indexes:
        if index.name == READY_INDEX:
            return index
    return Index(READY_INDEX, messages.c.queue_id, messages.c.visible, messages.c.id)


class Channel(kombu_sqla.Channel):
    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        options = connection.client.transport_options
        self.visibility_timeout = float(
            options.get("visibility_timeout", DEFAULT_VISIBILITY_TIMEOUT)
        )
        self._claims: dict[str, int] = {}  # delivery tag -> message row, for ack and restore
        self._ready: dict[str, deque[tuple[int, dict[str, Any]]]] = {}  # claimed, not delivered
        self._acked: list[int] = []  # rows acknowledged, deleted with the next claim
        # A flush timer may acknowledge from its own thread while the consumer claims.
        self._lock = threading.RLock()
        self._queue_ids: dict[str, int] = {}
        self._next_sweep = 0.0
        self._idle_until: dict[str, float] = {}  # queue -> when a consumer reads it again

    # -- engine and tables ---------------------------------------------------------------------

    def _engine_from_config(self) -> Engine:
        client = self.connection.client
        options = {
            k: v for k, v in client.transport_options.items() if k not in _NOT_ENGINE_OPTIONS
        }
        return make_engine(client.hostname, create_parent=False, **options)

    def _open(self) -> tuple[Engine, Any]:
        engine, session_factory = super()._open()
        self._prepare(engine)
        return engine, session_factory

    def _prepare(self, engine: Engine) -> None:
        """Once per database: the index the dequeue reads, and, on a database plain kombu used
        before, the consumed messages it kept (invisible rows that would otherwise look like
        abandoned claims and be delivered again)."""
        key = engine.url.render_as_string()
        with _prepare_lock:
            if key in _prepared:
                return
            messages = self._messages
            with engine.begin() as conn:
                known = {ix["name"] for ix in inspect(conn).get_indexes(messages.name)}
                if READY_INDEX not in known:
                    conn.execute(messages.delete().where(messages.c.visible == false()))
                    _ready_index(messages).create(conn, checkfirst=True)
            _prepared.add(key)

    @property
    def _engine(self) -> Engine:
        return self._open()[0]

    @property
    def _messages(self) -> Table:
        return self.message_cls.__table__

    def _queue_id(self, queue: str) -> int:
        queue_id = self._queue_ids.get(queue)
        if queue_id is None:
            queues: Table = self.queue_cls.__table__
            find = select(queues.c.id).where(queues.c.name == queue)
            try:
                with self._engine.begin() as conn:
                    queue_id = conn.execute(find).scalar()
                    if queue_id is None:
                        created = conn.execute(insert(queues).values(name=queue))
                        key = created.inserted_primary_key
                        assert key is not None, "an INSERT of one row returns its key"
                        queue_id = key[0]
            except IntegrityError:  # created concurrently (PostgreSQL)
                with self._engine.connect() as conn:
                    queue_id = conn.execute(find).scalar_one()
            self._queue_ids[queue] = queue_id
        return queue_id

    # -- the virtual channel's storage primitives --------------------------------------------------

    def _new_queue(self, queue: str, **kwargs: Any) -> None:
        self._queue_id(queue)

    # kombu names the message ``payload`` in its SQLAlchemy channel and ``message`` in that
    # channel's base: no name suits both, the one of the class extended is kept.
    def _put(self, queue: str, payload: dict[str, Any], **kwargs: Any) -> None:  # type: ignore[override]
        queue_id = self._queue_id(queue)
        with self._engine.begin() as conn:
            conn.execute(
                insert(self._messages).values(
                    queue_id=queue_id, payload=dumps(payload), visible=True, version=1
                )
            )

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        return self._take(queue, 1)  # basic_get: one message, whatever the prefetch

    def _get_and_deliver(self, queue: str, callback: Any) -> None:
        if not self._ready.get(queue) and monotonic() < self._idle_until.get(queue, 0.0):
            raise Empty()
        room = self.qos.can_consume_max_estimate() if self.qos.prefetch_count else 1
        try:
            message = self._take(queue, max(1, min(room or 1, MAX_CLAIM)))
        except Empty:
            self._idle_until[queue] = monotonic() + IDLE_RECHECK_SECONDS
            raise
        callback(message, queue)

    def _take(self, queue: str, claim: int) -> dict[str, Any]:
        """The next message of ``queue``: from what this channel claimed before, else claim up
        to ``claim`` more."""
        with self._lock:
            ready = self._ready.setdefault(queue, deque())
            if not ready:
                self._claim(queue, claim, ready)
            row_id, payload = ready.popleft()
            self._claims[payload["properties"]["delivery_tag"]] = row_id
            return payload

    def _claim(self, queue: str, claim: int, ready: deque[tuple[int, dict[str, Any]]]) -> None:
        queue_id = self._queue_id(queue)
        self._maybe_sweep()
        messages = self._messages
        first_ready = (
            select(messages.c.id, messages.c.payload)
            .where(messages.c.queue_id == queue_id, messages.c.visible == true())
            .order_by(messages.c.id)
        )
        if not self._acked:
            with self._engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
                if conn.execute(first_ready.limit(1)).first() is None:
                    raise Empty()
        with self._engine.begin() as conn:
            self._delete_acked(conn)
            rows = conn.execute(first_ready.limit(claim).with_for_update(skip_locked=True)).all()
            if rows:
                conn.execute(
                    update(messages)
                    .where(messages.c.id.in_([row.id for row in rows]))
                    .values(visible=False, timestamp=_now())
                )
        if not rows:
            raise Empty()  # nothing waiting, or another consumer took it in between
        ready.extend((row.id, loads(bytes_to_str(row.payload))) for row in rows)

    def _delete_acked(self, conn: Any) -> None:
        if self._acked:
            conn.execute(self._messages.delete().where(self._messages.c.id.in_(self._acked)))
            self._acked.clear()

    def _size(self, queue: str) -> int:
        messages = self._messages
        count = select(messages.c.id).where(
            messages.c.queue_id == self._queue_id(queue), messages.c.visible == true()
        )
        with self._engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            return len(conn.execute(count).all())

    def _purge(self, queue: str) -> int:
        messages = self._messages
        mine = messages.c.queue_id == self._queue_id(queue)
        with self._engine.begin() as conn:
            waiting = conn.execute(
                messages.delete().where(mine, messages.c.visible == true())
            ).rowcount
            conn.execute(messages.delete().where(mine))
        return waiting

    # -- acknowledgement ---------------------------------------------------------------------

    def basic_ack(self, delivery_tag: str, multiple: bool = False) -> None:
        super().basic_ack(delivery_tag, multiple)
        self._settle(delivery_tag)

    def basic_reject(self, delivery_tag: str, requeue: bool = False) -> None:
        super().basic_reject(delivery_tag, requeue=requeue)  # requeue: _restore hands it back
        self._settle(delivery_tag)

    def _settle(self, delivery_tag: str) -> None:
        with self._lock:
            row_id = self._claims.pop(delivery_tag, None)
            if row_id is not None:
                self._acked.append(row_id)
                # A consumer polls again at once; a basic_get caller may never come back.
                if len(self._acked) >= MAX_ACKED or not self._consumers:
                    with self._engine.begin() as conn:
                        self._delete_acked(conn)

    def _restore(self, message: Any) -> None:
        with self._lock:
            row_id = self._claims.pop(message.delivery_tag, None)
        if row_id is None:
            super()._restore(message)
            return
        self._release([row_id])

    def _release(self, row_ids: list[int]) -> None:
        """Back where they were (dequeue order is by id), ready for the next consumer."""
        with self._engine.begin() as conn:
            conn.execute(
                update(self._messages)
                .where(self._messages.c.id.in_(row_ids))
                .values(visible=True, timestamp=None)
            )

    def close(self) -> None:
        """Delete what was acknowledged and hand back what was claimed but never delivered,
        then let kombu hand back what was delivered but not acknowledged."""
        if not self.closed and self._holds_rows():
            with self._lock:
                undelivered = [row for ready in self._ready.values() for row, _ in ready]
                self._ready.clear()
                with self._engine.begin() as conn:
                    self._delete_acked(conn)
            if undelivered:
                self._release(undelivered)
        super().close()

    def _holds_rows(self) -> bool:
        return bool(self._acked or any(self._ready.values()))

    def _maybe_sweep(self) -> None:
        """Re-offer claims abandoned by a consumer that died without acking or restoring."""
        if monotonic() < self._next_sweep:
            return
        self._next_sweep = monotonic() + SWEEP_EVERY_SECONDS
        messages = self._messages
        stale = (messages.c.visible == false()) & (
            messages.c.timestamp < _now() - timedelta(seconds=self.visibility_timeout)
        )
        with self._engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            if conn.execute(select(messages.c.id).where(stale).limit(1)).first() is None:
                return
        with self._engine.begin() as conn:
            conn.execute(update(messages).where(stale).values(visible=True, timestamp=None))


class Transport(kombu_sqla.Transport):
    Channel = Channel
    polling_interval = 0.1  # latency matters more than a few idle reads


def install() -> None:
    """Make ``sqla+`` broker URLs use this transport in this process."""
    for alias in ("sqla", "sqlalchemy"):
        TRANSPORT_ALIASES[alias] = f"{__name__}:Transport"
