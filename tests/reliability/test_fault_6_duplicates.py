"""Fault 6 of docs/quality.md: duplicate delivery, and the replay of a whole dead-letter queue.

During a few hundred workflow operations, at random (seeded) points, a share of the events
registration and notification already published is handed back to their relays, which publish
them again: the ledger consumer and the notification worker get them twice (or more). Then
every event of the run is parked in the dead-letter queues of both services, as a consumer that
gave up would, and an operator replays the whole of each with ``ocop dlq replay``. Each logical
event still has one state change, one ledger entry and one email per recipient.
"""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import select

from shared.messaging.consumer import dead_letter
from tests.e2e.stack import Stack
from tests.reliability.effects import Scope, report
from tests.reliability.faults import drained, published_again
from tests.reliability.workload import Workload
from tests.support import flows
from tests.support.observe import rows, wait_until

pytestmark = pytest.mark.e2e

OPS = 220
SEED = 6


def test_duplicates_and_a_replayed_dead_letter_queue_change_nothing_twice(
    stack: Stack, scope: Scope
) -> None:
    from services.notification import models as nt
    from services.notification.runtime import Notification
    from services.registration import models as reg
    from services.registration.runtime import Registration

    outboxes = {"registration": reg.outbox, "notification": nt.outbox}
    workload = Workload.start(flows.http_transport(stack.urls["registration"]), SEED)
    rng = random.Random(SEED)
    republished = 0

    def fault(_: int) -> None:
        nonlocal republished
        if rng.random() < 0.05:
            for service, outbox in outboxes.items():
                republished += published_again(scope.databases[service], outbox, 0.2, rng)

    workload.run(OPS, fault)
    assert republished >= 50, republished
    before = scope.settle(workload)
    assert not (before.lost or before.duplicated or before.unexpected), before.details()

    # Every event of the run parked in both services' dead-letter queues, then replayed.
    mine = set(workload.dossiers)
    envelopes = [
        envelope
        for service, outbox in outboxes.items()
        for (envelope,) in rows(scope.databases[service], select(outbox.c.envelope))
        if envelope.get("dossier_id") in mine
    ]
    for service, runtime in (("registration", Registration), ("notification", Notification)):
        rt = runtime()
        try:
            for envelope in envelopes:
                dead_letter(rt.celery, service=service, envelope=envelope, reason="fault 6")
        finally:
            rt.close()
    listed = {s: stack.ocop("dlq", "list", s).splitlines() for s in outboxes}
    # Every one of the run's events is parked in both (the shared broker may also hold other
    # suites' dead letters: the whole queue is replayed all the same).
    ids = {str(envelope["event_id"]) for envelope in envelopes}
    parked = {s: {json.loads(line)["event_id"] for line in lines} for s, lines in listed.items()}
    assert {s: len(found & ids) for s, found in parked.items()} == dict.fromkeys(outboxes, len(ids))
    for service in outboxes:
        # The whole queue goes back: the run's events and whatever else was parked by then.
        sent_back = stack.ocop("dlq", "replay", service)
        assert int(sent_back.split(": ", 1)[1].split()[0]) >= len(ids), sent_back
        left = {
            json.loads(line)["event_id"] for line in stack.ocop("dlq", "list", service).splitlines()
        }
        assert not left & ids, left & ids
    assert wait_until(lambda: drained(stack.env["OCOP_BROKER_URL"], *outboxes), 60)

    tally = scope.settle(workload)
    assert tally.effects == before.effects
    report(6, workload, tally, scope.reconciled(workload))
