"""The transactional outbox and its relay, against the real database and broker of the run mode."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from services.notification.models import Base, inbox, outbox
from shared.events import Actor, new_event
from shared.runtime import ServiceRuntime
from tests.support.broker import drain

pytestmark = pytest.mark.usefixtures("migrated")


@pytest.fixture()
def rt() -> Iterator[ServiceRuntime]:
    # The notification service's database stands in for any service: the mechanics are shared.
    runtime = ServiceRuntime("notification", metadata=Base.metadata, outbox=outbox, inbox=inbox)
    yield runtime
    runtime.close()


def _event(tag: str):
    return new_event(
        "account.created",
        {
            "account_id": uuid.uuid4(),
            "email": f"{tag}@example.vn",
            "display_name": tag,
            "language": "vi",
            "roles": ["applicant"],
            "unit": None,
        },
        producer="notification",
        actor=Actor(None, "system"),
    )


def _commit_events(rt: ServiceRuntime, count: int, tag: str) -> list[str]:
    ids = []
    for i in range(count):
        with rt.db.unit_of_work() as uow:
            event = _event(f"{tag}-{i}")
            uow.add_event(event)
            uow.commit()
            ids.append(str(event.event_id))
    return ids


def _pending(rt: ServiceRuntime) -> int:
    with rt.db.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()


def _mine(envelopes: list[dict], tag: str) -> list[dict]:
    return [e for e in envelopes if e["payload"]["display_name"].startswith(tag)]


def test_rolled_back_unit_of_work_leaves_no_event(env, rt: ServiceRuntime) -> None:
    before = _pending(rt)
    with rt.db.unit_of_work() as uow:
        uow.add_event(_event("rolled-back"))
        # leaving without commit() rolls back
    with pytest.raises(RuntimeError), rt.db.unit_of_work() as uow:
        uow.add_event(_event("raised"))
        raise RuntimeError("use case failed")
    assert _pending(rt) == before


def test_committed_events_are_published_once_and_marked(env, rt: ServiceRuntime) -> None:
    tag = f"once-{uuid.uuid4().hex[:6]}"
    ids = _commit_events(rt, 5, tag)
    relay = rt.relay()
    try:
        while relay.publish_pending():
            pass
        assert relay.publish_pending() == 0
    finally:
        relay.close()
    got = _mine(drain(env.broker_url, "notification.events", expect=5), tag)
    assert sorted(e["event_id"] for e in got) == sorted(ids)
    with rt.db.engine.connect() as conn:
        unpublished = conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.c.event_id.in_([uuid.UUID(i) for i in ids]), outbox.c.published_at.is_(None)
            )
        ).scalar_one()
    assert unpublished == 0


def test_several_relays_publish_each_event_once(env, rt: ServiceRuntime) -> None:
    tag = f"many-{uuid.uuid4().hex[:6]}"
    ids = _commit_events(rt, 60, tag)
    relays = [rt.relay() for _ in range(3)]
    for r in relays:
        r.batch_size = 7  # small batches so the relays interleave

    def run(relay) -> None:
        try:
            while relay.publish_pending():
                pass
        finally:
            relay.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    got = _mine(drain(env.broker_url, "notification.events", expect=60), tag)
    assert len(got) == 60
    assert sorted(e["event_id"] for e in got) == sorted(ids)


def test_unreachable_broker_keeps_events_for_later(env, rt: ServiceRuntime) -> None:
    import dataclasses

    from shared import config

    tag = f"down-{uuid.uuid4().hex[:6]}"
    ids = _commit_events(rt, 3, tag)
    dead = dataclasses.replace(
        config.load("notification"),
        broker_url="amqp://guest:guest@127.0.0.1:1//"
        if env.mode == "servers"
        else "sqla+sqlite:////nonexistent-dir/broker.sqlite",
    )
    offline = ServiceRuntime(
        "notification", metadata=Base.metadata, outbox=outbox, inbox=inbox, settings=dead
    )
    relay = offline.relay()
    with pytest.raises(Exception):  # noqa: B017 - any broker error will do
        relay.publish_pending()
    relay.close()
    offline.close()
    # Nothing was marked published, and nothing is left claimed: the next relay takes them at once.
    with rt.db.engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.published_at, outbox.c.claimed_by).where(
                outbox.c.event_id.in_([uuid.UUID(i) for i in ids])
            )
        ).all()
    assert all(r.published_at is None and r.claimed_by is None for r in rows)
    healthy = rt.relay()
    try:
        while healthy.publish_pending():
            pass
    finally:
        healthy.close()
    got = _mine(drain(env.broker_url, "notification.events", expect=3), tag)
    assert sorted(e["event_id"] for e in got) == sorted(ids)


def test_commit_wakes_a_sleeping_relay(env, rt: ServiceRuntime) -> None:
    relay = rt.relay()
    relay.poll_seconds = 120  # without a wake-up the event would wait two minutes
    stop = threading.Event()
    thread = threading.Thread(target=relay.run, args=(stop,))
    thread.start()
    try:
        time.sleep(1.0)  # let the relay finish its first pass and go to sleep
        tag = f"wake-{uuid.uuid4().hex[:6]}"
        ids = _commit_events(rt, 1, tag)
        got = _mine(drain(env.broker_url, "notification.events", expect=1, timeout=20), tag)
        assert [e["event_id"] for e in got] == ids
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
