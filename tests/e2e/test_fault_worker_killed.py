"""docs/quality.md fault 1: a worker killed with SIGKILL mid-task, repeatedly, loses nothing and
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

from services.audit import reconcile_urls
from shared.messaging import topology
from tests.e2e.stack import Stack
from tests.support import flows
from tests.support.cases import accept_dossiers
from tests.support.intake_effects import (
    assert_each_case_opened_once,
    events_for_evaluation,
    handled,
)
from tests.support.observe import scalar, wait_until

pytestmark = pytest.mark.e2e

PROCESSES = ("registration-web", "registration-relay")
DOSSIERS = 60
KILLS = 6


def test_killing_the_worker_mid_task_loses_and_doubles_nothing(stack: Stack) -> None:
    from services.evaluation import models as ev
    from services.registration import models as reg

    urls = {s: stack.env[f"OCOP_{s.upper()}_DATABASE_URL"] for s in ("registration", "evaluation")}
    call = flows.http_transport(stack.urls["registration"])
    admin = flows.login(call, "admin@ocop.local")
    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    mine = {d["id"] for d in accept_dossiers(applicant, officer, producer["id"], DOSSIERS)}

    # The suite's other tests share these databases: count only this test's dossiers.
    expected = events_for_evaluation(urls["registration"], mine)
    assert len(expected) == 2 * DOSSIERS  # accepted and document_added each
    o = reg.outbox.c
    unpublished = select(func.count()).where(o.published_at.is_(None))
    published = wait_until(lambda: scalar(urls["registration"], unpublished) == 0, 60)
    assert published, "the relay did not publish the backlog"

    def done() -> int:
        return handled(urls["evaluation"], expected)

    inbox_count = select(func.count()).select_from(ev.inbox)
    stack.env["OCOP_BROKER_VISIBILITY_SECONDS"] = "3"
    # Small batches, so that the worker is killed between batches and in the middle of one.
    stack.env["OCOP_CONSUMER_BATCH_SIZE"] = "2"
    rng = random.Random(1)
    kills = 0
    for _ in range(KILLS):
        before = scalar(urls["evaluation"], inbox_count)
        if done() >= len(expected):
            break
        worker = stack.start("evaluation-worker", "worker", "evaluation")
        # Kill it while it is working: once it has handled something new, at a random moment.
        busy = wait_until(
            lambda b=before: scalar(urls["evaluation"], inbox_count) > b, 90, every=0.01
        )
        assert busy, stack.log("evaluation-worker")
        time.sleep(rng.uniform(0.0, 0.05))
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        kills += 1
    assert kills >= 2, "the backlog drained before the worker could be killed twice"

    stack.start("evaluation-worker", "worker", "evaluation")
    assert wait_until(lambda: done() >= len(expected), 120), stack.log("evaluation-worker")

    # Nothing lost: every event handled; nothing doubled.
    assert done() == len(expected)
    assert_each_case_opened_once(urls["evaluation"], mine)

    # The queue drains: nothing waits and nothing stays claimed.
    def drained() -> bool:
        with Connection(stack.env["OCOP_BROKER_URL"]) as conn:
            queue = topology.events_queue("evaluation")(conn.default_channel)
            return queue.queue_declare(passive=True).message_count == 0

    assert wait_until(drained, 30)

    # The case file (reconciliation after a run with faults finds nothing missing):
    # the ledger consumer and evaluation's relay, not needed until now, file every event of
    # these cases, the ones a killed worker caused included.
    databases = {
        s: stack.env[f"OCOP_{s.upper()}_DATABASE_URL"]
        for s in ("registration", "evaluation", "notification")
    }
    cases = {uuid.UUID(d) for d in mine}
    assert not reconcile_urls(databases, cases).clean  # nothing is filed yet: it would say so
    stack.start("evaluation-relay", "relay", "evaluation")
    stack.start("registration-worker", "worker", "registration")
    assert wait_until(lambda: reconcile_urls(databases, cases).clean, 90), reconcile_urls(
        databases, cases
    ).text()
