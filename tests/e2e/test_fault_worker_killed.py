"""QUALITY.md fault 1: a worker killed with SIGKILL mid-task, repeatedly, loses nothing and
doubles nothing, and its queue drains.

Dossiers are filed and accepted over HTTP while the evaluation worker is down, so its queue
holds a backlog; then the worker is started and killed again and again while it works through
it. On RabbitMQ the broker hands a dead consumer's unacknowledged messages to the next one; on
the embedded broker they come back after the visibility timeout (3 s here).
"""

from __future__ import annotations

import os
import random
import signal
import time
import uuid

import pytest
from kombu import Connection
from sqlalchemy import func, select

from shared.messaging import topology
from tests.e2e.stack import Stack
from tests.support import flows
from tests.support.cases import accept_dossiers
from tests.support.observe import rows, scalar, wait_until

pytestmark = pytest.mark.e2e

PROCESSES = ("registration-web", "registration-relay")
DOSSIERS = 40
KILLS = 6


def test_killing_the_worker_mid_task_loses_and_doubles_nothing(stack: Stack) -> None:
    from services.evaluation import models as ev
    from services.evaluation.consumers import HANDLERS
    from services.registration import models as reg

    urls = {s: stack.env[f"OCOP_{s.upper()}_DATABASE_URL"] for s in ("registration", "evaluation")}
    call = flows.http_transport(stack.urls["registration"])
    admin = flows.login(call, "admin@ocop.local")
    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    mine = {d["id"] for d in accept_dossiers(applicant, officer, producer["id"], DOSSIERS)}

    # The suite's other tests share these databases: count only this test's dossiers.
    o = reg.outbox.c
    expected = {
        event_id
        for event_id, envelope in rows(
            urls["registration"], select(o.event_id, o.envelope).where(o.type.in_(HANDLERS))
        )
        if envelope.get("dossier_id") in mine
    }
    assert len(expected) == 2 * DOSSIERS  # accepted and document_added each
    assert wait_until(
        lambda: (
            scalar(urls["registration"], select(func.count()).where(o.published_at.is_(None))) == 0
        ),
        60,
    ), "the relay did not publish the backlog"

    def handled() -> int:
        inbox = ev.inbox.c
        return scalar(
            urls["evaluation"],
            select(func.count()).where(inbox.event_id.in_(expected)),
        )

    inbox_count = select(func.count()).select_from(ev.inbox)
    stack.env["OCOP_BROKER_VISIBILITY_SECONDS"] = "3"
    rng = random.Random(1)
    kills = 0
    for _ in range(KILLS):
        before = scalar(urls["evaluation"], inbox_count)
        if handled() >= len(expected):
            break
        worker = stack.start("evaluation-worker", "worker", "evaluation")
        # Kill it while it is working: once it has handled something new, at a random moment.
        busy = wait_until(lambda b=before: scalar(urls["evaluation"], inbox_count) > b, 90)
        assert busy, stack.log("evaluation-worker")
        time.sleep(rng.uniform(0.0, 0.4))
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        kills += 1
    assert kills >= 2, "the backlog drained before the worker could be killed twice"

    stack.start("evaluation-worker", "worker", "evaluation")
    assert wait_until(lambda: handled() >= len(expected), 120), stack.log("evaluation-worker")

    # Nothing lost: every event handled; nothing doubled: one case, one document and one
    # evaluation.opened per dossier.
    assert handled() == len(expected)
    ids = [uuid.UUID(d) for d in mine]
    for model in (ev.Case, ev.CaseDocument):
        count = select(func.count()).select_from(model).where(model.dossier_id.in_(ids))
        assert scalar(urls["evaluation"], count) == DOSSIERS, model.__name__
    opened = [
        envelope["dossier_id"]
        for (envelope,) in rows(
            urls["evaluation"],
            select(ev.outbox.c.envelope).where(ev.outbox.c.type == "evaluation.opened"),
        )
        if envelope.get("dossier_id") in mine
    ]
    assert sorted(opened) == sorted(mine)

    # The queue drains: nothing waits and nothing stays claimed.
    def drained() -> bool:
        with Connection(stack.env["OCOP_BROKER_URL"]) as conn:
            queue = topology.events_queue("evaluation")(conn.default_channel)
            return queue.queue_declare(passive=True).message_count == 0

    assert wait_until(drained, 30)
