"""Fault injections for the runs: a process killed hard and started again, a use case that
fails after it wrote its event (in the test process, on the stack's databases), events
published again, an operator's ``ocop`` command."""

from __future__ import annotations

import os
import random
import signal
import uuid
from typing import Any

import jwt
from kombu import Connection
from sqlalchemy import create_engine, select, update

from shared.auth import principal_from_claims
from shared.messaging import topology
from shared.messaging.relay import EVENT_TASK
from tests.e2e.stack import Stack
from tests.reliability.workload import MISSING, OFFICER_MOVES, Dossier, Workload


def kill(stack: Stack, name: str) -> None:
    """SIGKILL ``name``: no goodbye, as a crashed machine."""
    process = stack.processes[name]
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def start(stack: Stack, name: str) -> None:
    service, kind = name.rsplit("-", 1)
    stack.start(name, kind, service)


def restart(stack: Stack, name: str) -> None:
    """SIGKILL ``name`` and start it again."""
    kill(stack, name)
    start(stack, name)


class CommitFails(RuntimeError):
    """The injected failure: the database refused the commit."""


def rolled_back_move(
    registration: Any, workload: Workload, dossier: Dossier, move: str
) -> list[uuid.UUID]:
    """Run ``move`` on ``dossier`` as the API would, up to its commit, which then fails after
    the outbox rows went into the transaction; returns the ids of the events it had written."""
    from services.registration.domain.lifecycle import Action
    from services.registration.service import dossiers as dossier_service

    actor = workload.officer if move in OFFICER_MOVES else dossier.applicant
    principal = principal_from_claims(jwt.decode(actor.token, options={"verify_signature": False}))
    decision = dossier_service.Decision(missing_items=MISSING) if move == "return" else None
    written: list[uuid.UUID] = []
    try:
        with registration.db.unit_of_work() as uow:
            dossier_service.transition(
                uow=uow,
                principal=principal,
                dossier_id=uuid.UUID(dossier.id),
                action=Action(move),
                expected_version=dossier.version,
                decision=decision,
            )
            session_commit = uow.session.commit

            def fail() -> None:
                uow.session.flush()  # the outbox rows are in the transaction: then it fails
                written.extend(e.event_id for e in uow.events)
                raise CommitFails

            uow.session.commit = fail  # type: ignore[method-assign]
            try:
                uow.commit()
            finally:
                uow.session.commit = session_commit  # type: ignore[method-assign]
    except CommitFails:
        pass
    assert written, "the move wrote no event"
    return written


def published_again(url: str, outbox: Any, share: float, rng: random.Random) -> int:
    """Hand a random ``share`` of the published outbox rows back to the relay, as if the broker
    had never confirmed them: it publishes them again and every subscriber gets a duplicate."""
    o = outbox.c
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            ids = [i for (i,) in conn.execute(select(o.id).where(o.published_at.is_not(None)))]
            again = rng.sample(ids, int(len(ids) * share))
            if again:
                conn.execute(
                    update(outbox)
                    .where(o.id.in_(again))
                    .values(published_at=None, claimed_by=None, claimed_until=None)
                )
            return len(again)
    finally:
        engine.dispose()


def drained(broker_url: str, *services: str) -> bool:
    """Whether the services' event queues hold nothing, waiting or claimed."""
    with Connection(broker_url) as conn:
        for service in services:
            queue = topology.events_queue(service)(conn.default_channel)
            if queue.queue_declare(passive=True).message_count:
                return False
    return True


def publish(app: Any, envelope: Any, routing_key: str) -> None:
    """Put a message on the events exchange as the relay does (the topology declared on the
    connection that publishes: the embedded broker keeps bindings per connection)."""
    with app.connection_for_write() as conn:
        topology.declare(conn)
        app.send_task(
            EVENT_TASK,
            args=[envelope],
            task_id=str(uuid.uuid4()),
            exchange=topology.EVENTS.name,
            routing_key=routing_key,
            producer=app.amqp.Producer(conn, auto_declare=False),
            retry=False,
        )
