"""Idempotent consumption: the inbox, retries with backoff, the dead-letter queue; with a real
Celery worker on the broker of the run mode."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import func, select

from services.notification.consumers import on_account
from services.notification.models import Base, Contact, inbox, outbox
from shared import config
from shared.db import UnitOfWork
from shared.events import Actor, Event, EventError, new_event
from shared.messaging.consumer import Bulk
from shared.messaging.topology import EVENTS
from shared.runtime import ServiceRuntime
from tests.support.broker import drain

pytestmark = pytest.mark.usefixtures("migrated")

FAILURES: dict[str, int] = {}
HEALED: set[str] = set()  # poison events an operator has since made handleable


def flaky(*, uow: UnitOfWork, event: Event) -> None:
    """Fails the first two times it sees an event whose name asks for it, then works."""
    name = event.payload["display_name"]
    if name.startswith("flaky") and FAILURES.get(name, 0) < 2:
        FAILURES[name] = FAILURES.get(name, 0) + 1
        raise RuntimeError("transient trouble in a dependency")
    if name.startswith("poison") and name not in HEALED:
        raise ValueError("this event can never be handled")
    on_account(uow=uow, event=event)


@pytest.fixture()
def rt() -> Iterator[ServiceRuntime]:
    settings = dataclasses.replace(config.load("notification"), consumer_max_retries=2)
    runtime = ServiceRuntime(
        "notification",
        metadata=Base.metadata,
        outbox=outbox,
        inbox=inbox,
        handlers={"account.created": flaky},
        settings=settings,
    )
    yield runtime
    runtime.close()


def _event(name: str) -> Event:
    return new_event(
        "account.created",
        {
            "account_id": uuid.uuid4(),
            "email": f"{uuid.uuid4().hex[:8]}@example.vn",
            "display_name": name,
            "language": "en",
            "roles": ["applicant"],
            "unit": None,
        },
        producer="registration",
        actor=Actor(None, "applicant"),
    )


def _contacts(rt: ServiceRuntime, account_id: str) -> int:
    with rt.db.reader() as session:
        return session.execute(
            select(func.count())
            .select_from(Contact)
            .where(Contact.account_id == uuid.UUID(account_id))
        ).scalar_one()


def _publish(rt: ServiceRuntime, envelope: dict, routing_key: str = "account.created") -> None:
    with rt.celery.connection_for_write() as conn:
        from shared.messaging import topology

        topology.declare(conn)
        rt.celery.send_task(
            "ocop.event",
            args=[envelope],
            exchange=EVENTS.name,
            routing_key=routing_key,
            connection=conn,
        )


def test_inbox_applies_an_event_once(rt: ServiceRuntime) -> None:
    event = _event("twice").to_dict()
    inbox_ = rt.inbox()
    assert inbox_.consume(event) == "handled"
    assert inbox_.consume(event) == "duplicate"
    assert _contacts(rt, event["payload"]["account_id"]) == 1


def test_inbox_refuses_a_malformed_envelope(rt: ServiceRuntime) -> None:
    bad = _event("bad").to_dict()
    bad["payload"]["email"] = "not an email"
    with pytest.raises(EventError):
        rt.inbox().consume(bad)
    with pytest.raises(EventError):
        rt.inbox().consume({"type": "account.created"})
    with pytest.raises(EventError):
        rt.inbox().consume({"type": "no.such_event"})
    # A known type this service does not read is ignored unread, malformed or not.
    assert rt.inbox().consume({"type": "dossier.submitted"}) == "ignored"


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _counted(outcome: str) -> float:
    from prometheus_client import REGISTRY

    labels = {"service": "notification", "outcome": outcome}
    return REGISTRY.get_sample_value("ocop_events_handled_total", labels) or 0.0


def test_worker_retries_transient_failures_and_dead_letters_poison(
    env, rt: ServiceRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    before = {o: _counted(o) for o in ("handled", "duplicate", "retried", "dead")}
    drain(env.broker_url, "notification.events")  # start from an empty queue
    drain(env.broker_url, "notification.dead")
    flaky_event = _event(f"flaky-{uuid.uuid4().hex[:6]}").to_dict()
    poison_event = _event(f"poison-{uuid.uuid4().hex[:6]}").to_dict()
    malformed = _event("malformed").to_dict()
    malformed["payload"].pop("email")
    good_event = _event("good").to_dict()
    with start_worker(
        rt.celery, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"
    ):
        for envelope in (flaky_event, poison_event, malformed, good_event):
            _publish(rt, envelope)
        _publish(rt, good_event)  # a redelivery of the same event
        assert _wait_for(lambda: _contacts(rt, flaky_event["payload"]["account_id"]) == 1)
        assert _wait_for(lambda: _contacts(rt, good_event["payload"]["account_id"]) == 1)
        assert _wait_for(lambda: _dead_count(env) >= 2, timeout=30)
        # The redelivery too: on RabbitMQ a worker holds at most its prefetch (4) unacked, so
        # the fifth message may come after everything above is already true.
        assert _wait_for(lambda: _counted("duplicate") - before["duplicate"] == 1)
    dead = _dead_letters(env)
    assert {d["envelope"]["event_id"] for d in dead} == {
        poison_event["event_id"],
        malformed["event_id"],
    }
    reasons = {d["envelope"]["event_id"]: d["reason"] for d in dead}
    assert reasons[malformed["event_id"]].startswith("invalid")
    assert '"email"' in reasons[malformed["event_id"]]  # the field at fault
    assert "never be handled" in reasons[poison_event["event_id"]]
    assert _contacts(rt, good_event["payload"]["account_id"]) == 1
    assert FAILURES[flaky_event["payload"]["display_name"]] == 2
    # The figures a worker serves: two parked; retried, the poison twice and the flaky one
    # once (its first failure in the batch is retried at once on its own, and fails again);
    # one duplicate.
    counted = {o: _counted(o) - before[o] for o in before}
    assert (counted["dead"], counted["retried"], counted["duplicate"]) == (2, 3, 1)
    assert counted["handled"] == 2
    # And an error line naming each parked event, for the operator's alert.
    parked = [
        r.getMessage() for r in caplog.records if "parked in notification.dead" in r.getMessage()
    ]
    assert {m.split()[1] for m in parked} == {poison_event["event_id"], malformed["event_id"]}


_DEAD: list[dict] = []


def _dead_count(env) -> int:
    from kombu import Connection

    from shared.messaging import topology

    with Connection(env.broker_url) as conn:
        q = topology.dead_queue("notification")(conn.default_channel)
        q.declare()
        while (message := q.get(no_ack=True)) is not None:
            _DEAD.append(message.decode())
    return len(_DEAD)


def _dead_letters(env) -> list[dict]:
    _dead_count(env)
    return list(_DEAD)


def test_operator_lists_and_replays_dead_letters(env, rt: ServiceRuntime) -> None:
    from shared.messaging import dead_letters

    _dead_count(env)  # start from an empty dead-letter queue
    name = f"poison-healed-{uuid.uuid4().hex[:6]}"
    poison = _event(name).to_dict()
    with start_worker(
        rt.celery, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"
    ):
        _publish(rt, poison)

        def parked() -> list[dict]:
            return dead_letters.list_dead(rt.celery, "notification")

        assert _wait_for(lambda: len(parked()) == 1, timeout=30)
        listed = parked()
        assert listed == parked(), "listing must not consume the dead letters"
        assert listed[0]["envelope"]["event_id"] == poison["event_id"]
        assert "never be handled" in listed[0]["reason"]

        hopeless = _event(f"poison-{uuid.uuid4().hex[:6]}").to_dict()
        _publish(rt, hopeless)
        assert _wait_for(lambda: len(parked()) == 2, timeout=30)
        shown = dead_letters.show(rt.celery, "notification", hopeless["event_id"])
        assert shown is not None and shown["envelope"] == hopeless  # every field, as sent
        assert dead_letters.show(rt.celery, "notification", str(uuid.uuid4())) is None
        assert dead_letters.drop(rt.celery, "notification", hopeless["event_id"]) == 1
        assert [d["envelope"]["event_id"] for d in parked()] == [poison["event_id"]]

        HEALED.add(name)  # the operator fixed the cause
        assert dead_letters.replay(rt.celery, "notification") == 1
        assert _wait_for(lambda: _contacts(rt, poison["payload"]["account_id"]) == 1)
    assert dead_letters.list_dead(rt.celery, "notification") == []
    assert _contacts(rt, hopeless["payload"]["account_id"]) == 0


def emits_then_fails(*, uow: UnitOfWork, event: Event) -> None:
    """Applies the account, announces it, then fails when the name asks for it."""
    on_account(uow=uow, event=event)
    uow.add_event(_event(f"echo of {event.payload['display_name']}"))
    if event.payload["display_name"].startswith("poison"):
        raise ValueError("this event can never be handled")


def _outbox_names(rt: ServiceRuntime) -> list[str]:
    with rt.db.reader() as session:
        rows = session.execute(select(outbox.c.envelope).order_by(outbox.c.id)).scalars()
        return [row["payload"].get("display_name") for row in rows]


def test_a_batch_applies_each_event_once_and_keeps_a_failure_to_itself(
    rt: ServiceRuntime,
) -> None:
    rt.handlers["account.created"] = emits_then_fails
    first, poison, last = (_event(n).to_dict() for n in ("first", "poison-b", "last"))
    malformed = _event("malformed").to_dict()
    malformed["payload"].pop("email")
    before = _outbox_names(rt)

    outcomes = rt.inbox().consume_batch(
        [first, first, poison, malformed, {"type": "dossier.submitted"}, last]
    )

    assert outcomes[:2] == ["handled", "duplicate"]
    assert isinstance(outcomes[2], ValueError)
    assert isinstance(outcomes[3], EventError)
    assert outcomes[4:] == ["ignored", "handled"]
    for envelope, kept in ((first, 1), (poison, 0), (last, 1)):
        assert _contacts(rt, envelope["payload"]["account_id"]) == kept
    # The failed event's own outbox event went with it; the others' were committed.
    assert _outbox_names(rt)[len(before) :] == ["echo of first", "echo of last"]
    # Its inbox row went too, so a retry applies it once healed.
    rt.handlers["account.created"] = on_account
    assert rt.inbox().consume_batch([poison, first]) == ["handled", "duplicate"]
    assert _contacts(rt, poison["payload"]["account_id"]) == 1


def test_bulk_handlers_get_their_events_together_and_in_order_with_ordinary_ones(
    rt: ServiceRuntime,
) -> None:
    calls: list[tuple[str, list[str]]] = []

    def bulk(uow: UnitOfWork, events: list[Event]) -> None:
        names = [e.payload["display_name"] for e in events]
        calls.append(("bulk", names))
        # Only what it reads is validated and handed over.
        assert all(e.payload.keys() == {"display_name"} for e in events)
        if any(name.startswith("poison") for name in names):
            raise ValueError("this event can never be handled")

    def ordinary(*, uow: UnitOfWork, event: Event) -> None:
        calls.append(("ordinary", [event.payload["display_name"]]))

    rt.handlers.update(
        {"account.created": Bulk(bulk, frozenset({"display_name"})), "account.updated": ordinary}
    )
    a, b, c = (_event(n).to_dict() for n in ("a", "b", "c"))
    update = _event("update").to_dict() | {"type": "account.updated"}
    update["payload"]["active"] = True
    unread = _event("unread-field-broken").to_dict()
    unread["payload"]["email"] = "not an address"  # the bulk handler does not read it

    outcomes = rt.inbox().consume_batch([a, b, a, update, unread, c])

    assert outcomes == ["handled", "handled", "duplicate", "handled", "handled", "handled"]
    # What came before the ordinary handler's event was applied before it.
    assert calls == [
        ("bulk", ["a", "b"]),
        ("ordinary", ["update"]),
        ("bulk", ["unread-field-broken", "c"]),
    ]

    # A bulk call that fails: the batch starts over one event at a time, and only the failing
    # event fails.
    calls.clear()
    d, poison, e = (_event(n).to_dict() for n in ("d", "poison-bulk", "e"))
    outcomes = rt.inbox().consume_batch([d, poison, e])
    assert outcomes[0] == "handled" and outcomes[2] == "handled"
    assert isinstance(outcomes[1], ValueError)
    assert calls == [
        ("bulk", ["d", "poison-bulk", "e"]),
        ("bulk", ["d"]),
        ("bulk", ["poison-bulk"]),
        ("bulk", ["e"]),
    ]
    # A field it reads is still checked: a malformed one is poison.
    broken = _event("x").to_dict()
    broken["payload"]["display_name"] = 42
    (outcome,) = rt.inbox().consume_batch([broken])
    assert isinstance(outcome, EventError)
