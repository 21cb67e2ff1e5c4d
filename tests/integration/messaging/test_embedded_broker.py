"""The embedded broker's channel (shared/messaging/embedded_broker.py) on a real SQLite file:
consumed messages are deleted, unacknowledged ones come back, abandoned claims are re-offered,
and an idle poll does not take the database's write lock."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

import shared.messaging  # noqa: F401 - installs the transport for sqla+ URLs
from shared.messaging import embedded_broker

EXCHANGE = Exchange("t.direct", type="direct")
QUEUE = Queue("t.work", exchange=EXCHANGE, routing_key="work")


@pytest.fixture()
def broker_url(tmp_path: Path) -> str:
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"


def _connection(url: str, **options: float) -> Connection:
    return Connection(url, transport_options=options)


def _publish(url: str, *bodies: str) -> None:
    with _connection(url) as conn:
        producer = conn.Producer()
        for body in bodies:
            producer.publish(body, exchange=EXCHANGE, routing_key="work", declare=[QUEUE])


def _rows(url: str) -> list[tuple[int, int]]:
    path = url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id, visible FROM kombu_message ORDER BY id").fetchall()


@pytest.fixture()
def channel_of(broker_url: str) -> Iterator:
    opened: list[Connection] = []

    def open_channel(**options: float):
        conn = _connection(broker_url, **options)
        opened.append(conn)
        return conn.channel()

    yield open_channel
    for conn in opened:
        conn.release()


def test_uses_the_product_transport(broker_url: str) -> None:
    with _connection(broker_url) as conn:
        assert isinstance(conn.transport, embedded_broker.Transport)


def test_an_acknowledged_message_leaves_the_table(broker_url: str, channel_of) -> None:
    _publish(broker_url, "a", "b")
    queue = QUEUE(channel_of())
    first = queue.get(no_ack=False)
    assert first.decode() == "a"
    assert [visible for _, visible in _rows(broker_url)] == [0, 1]  # claimed, waiting
    first.ack()
    assert [visible for _, visible in _rows(broker_url)] == [1]
    queue.get(no_ack=False).ack()
    assert _rows(broker_url) == []


def test_a_consumer_claims_what_its_prefetch_allows_at_once(broker_url: str, channel_of) -> None:
    bodies = [f"m{i}" for i in range(8)]
    _publish(broker_url, *bodies)
    channel = channel_of()
    channel.basic_qos(0, 5, False)
    received: list = []
    consumer = channel.Consumer(QUEUE, callbacks=[lambda body, message: received.append(message)])
    consumer.consume()
    channel.connection.client.drain_events(timeout=1)
    # One claim took five (the prefetch); one was delivered, four wait in the channel.
    assert [visible for _, visible in _rows(broker_url)] == [0] * 5 + [1] * 3
    while len(received) < 5:
        channel.connection.client.drain_events(timeout=1)
    for message in received:
        message.ack()
    assert [visible for _, visible in _rows(broker_url)] == [0] * 5 + [1] * 3  # acks pending
    channel.connection.client.drain_events(timeout=1)
    # The next claim deleted the five acknowledged messages and claimed the other three.
    assert [visible for _, visible in _rows(broker_url)] == [0] * 3
    while len(received) < 8:
        channel.connection.client.drain_events(timeout=1)
    assert [m.decode() for m in received] == bodies  # once each, in order
    received[5].ack()
    # Closing deletes what was acknowledged and hands back what was delivered, unacknowledged.
    consumer.cancel()
    channel.close()
    assert [visible for _, visible in _rows(broker_url)] == [1, 1]


def test_unacknowledged_messages_return_in_place_when_the_channel_closes(
    broker_url: str, channel_of
) -> None:
    _publish(broker_url, "a", "b", "c")
    channel = channel_of()
    queue = QUEUE(channel)
    assert queue.get(no_ack=False).decode() == "a"
    assert queue.get(no_ack=False).decode() == "b"
    channel.close()
    assert [visible for _, visible in _rows(broker_url)] == [1, 1, 1]
    again = QUEUE(channel_of())
    order = []
    while (message := again.get(no_ack=False)) is not None:
        order.append(message.decode())
        message.ack()
    assert order == ["a", "b", "c"]  # once each, in the original order


def test_a_rejected_message_is_requeued_or_dropped(broker_url: str, channel_of) -> None:
    _publish(broker_url, "requeue", "drop")
    queue = QUEUE(channel_of())
    queue.get(no_ack=False).reject(requeue=True)
    first = queue.get(no_ack=False)
    assert first.decode() == "requeue"
    first.ack()
    queue.get(no_ack=False).reject(requeue=False)
    assert _rows(broker_url) == []


def test_a_claim_abandoned_by_a_dead_consumer_is_offered_again(broker_url: str, channel_of) -> None:
    _publish(broker_url, "in-flight")
    dead = channel_of(visibility_timeout=0.5)
    assert QUEUE(dead).get(no_ack=False).decode() == "in-flight"
    dead._claims.clear()  # as if SIGKILLed: nothing is restored
    dead.do_restore = False

    survivor = channel_of(visibility_timeout=0.5)
    assert QUEUE(survivor).get(no_ack=False) is None  # still within the visibility timeout
    time.sleep(0.6)
    survivor._next_sweep = 0.0
    message = QUEUE(survivor).get(no_ack=False)
    assert message is not None and message.decode() == "in-flight"
    message.ack()
    assert _rows(broker_url) == []


def test_an_idle_queue_is_not_read_between_deliveries_of_a_busy_one(
    broker_url: str, channel_of, monkeypatch: pytest.MonkeyPatch
) -> None:
    idle = Queue("t.idle", exchange=EXCHANGE, routing_key="idle")
    _publish(broker_url, *(f"m{i}" for i in range(20)))
    channel = channel_of()
    channel.basic_qos(0, 50, False)
    claims: list[str] = []
    claim = embedded_broker.Channel._claim

    def counting(self, queue, *args):
        claims.append(queue)
        return claim(self, queue, *args)

    monkeypatch.setattr(embedded_broker.Channel, "_claim", counting)
    # Longer than the twenty deliveries take even on a loaded machine.
    monkeypatch.setattr(embedded_broker, "IDLE_RECHECK_SECONDS", 2.0)
    received: list = []
    consumer = channel.Consumer([QUEUE, idle], callbacks=[lambda b, m: received.append(m)])
    consumer.consume()
    while len(received) < 20:
        channel.connection.client.drain_events(timeout=1)
    # kombu's fair cycle turns to the idle queue between two deliveries; it was read once, not
    # twenty times, within the recheck interval (the twenty came in one claim). A message for
    # it still comes, once the interval is over.
    assert claims.count("t.idle") == 1
    assert claims.count("t.work") == 1
    _publish(broker_url, "late")  # into t.work; and a message for the idle queue still comes:
    with _connection(broker_url) as conn:
        conn.Producer().publish("wake", exchange=EXCHANGE, routing_key="idle", declare=[idle])
    deadline = time.monotonic() + 10
    while len(received) < 22 and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):  # "wake" waits out the recheck interval
            channel.connection.client.drain_events(timeout=1)
    assert sorted(m.decode() for m in received[20:]) == ["late", "wake"]


def test_an_empty_poll_does_not_wait_for_the_write_lock(broker_url: str, channel_of) -> None:
    queue = QUEUE(channel_of())
    assert queue.get(no_ack=False) is None  # creates the tables
    path = broker_url.split("///", 1)[1]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a relay mid-publish holds the write lock
    try:
        started = time.monotonic()
        assert queue.get(no_ack=False) is None
        assert time.monotonic() - started < 1.0  # the busy timeout is 30 s
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_consumed_messages_left_by_plain_kombu_are_cleared_once(tmp_path: Path) -> None:
    path = tmp_path / "old-broker.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            """
            CREATE TABLE kombu_queue (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(200)
                UNIQUE);
            CREATE TABLE kombu_message (id INTEGER PRIMARY KEY AUTOINCREMENT, visible BOOLEAN,
                timestamp DATETIME, payload TEXT NOT NULL, version SMALLINT NOT NULL,
                queue_id INTEGER REFERENCES kombu_queue (id));
            INSERT INTO kombu_queue (name) VALUES ('t.work');
            INSERT INTO kombu_message (visible, timestamp, payload, version, queue_id)
                VALUES (0, '2020-01-01 00:00:00', '{}', 2, 1);
            """
        )
    url = f"sqla+sqlite:///{path}"
    _publish(url, "new")
    assert [visible for _, visible in _rows(url)] == [1]
    with _connection(url) as conn:
        message = QUEUE(conn.channel()).get(no_ack=False)
        assert message.decode() == "new"
        message.ack()


def test_databases_plain_kombu_used_and_new_ones_open_in_one_process(tmp_path: Path) -> None:
    # Each database that lacked the index used to add another of the same name to kombu's
    # table, which the next new database was then created with twice.
    for name in ("old-1", "old-2"):
        path = tmp_path / f"{name}.sqlite"
        with sqlite3.connect(path) as db:
            db.executescript(
                """
                CREATE TABLE kombu_queue (id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name VARCHAR(200) UNIQUE);
                CREATE TABLE kombu_message (id INTEGER PRIMARY KEY AUTOINCREMENT,
                    visible BOOLEAN, timestamp DATETIME, payload TEXT NOT NULL,
                    version SMALLINT NOT NULL, queue_id INTEGER REFERENCES kombu_queue (id));
                """
            )
        _publish(f"sqla+sqlite:///{path}", name)
    fresh = f"sqla+sqlite:///{tmp_path / 'new.sqlite'}"
    _publish(fresh, "new")
    with _connection(fresh) as conn:
        message = QUEUE(conn.channel()).get(no_ack=False)
        assert message.decode() == "new"
        message.ack()
