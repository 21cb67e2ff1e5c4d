"""Fault 8 of docs/quality.md: SMTP faults, from an aiosmtpd sink whose answers the test scripts.

One applicant's mailbox refuses everything for good (550): each of their emails is marked
failed at the first answer, never tried again, and listed to staff in GET /deliveries/failed.
During a few hundred workflow operations, at random (seeded) points, the next message to one of
the other people concerned is answered 421 or 451 (transient: retried and delivered), or the
connection is dropped after DATA, with the message stored (ambiguous: retried, so at most one
duplicate, under the same Message-ID).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter

import pytest
from sqlalchemy import select

from services.notification.sink import (
    MAILBOX_UNAVAILABLE,
    SERVICE_NOT_AVAILABLE,
    TRY_AGAIN_LATER,
    Fault,
    FaultPlan,
    SmtpSink,
)
from tests.e2e.stack import Stack
from tests.reliability.conftest import PROCESSES as WITHOUT_WEB
from tests.reliability.effects import Scope, report
from tests.reliability.workload import Workload
from tests.support import flows
from tests.support.observe import rows

pytestmark = pytest.mark.e2e

PROCESSES = (*WITHOUT_WEB, "notification-web")
# Retries within the run's time, not the half minute to an hour of the deployed settings.
ENV = {"OCOP_MAIL_RETRY_BASE_SECONDS": "0.5", "OCOP_MAIL_RETRY_CAP_SECONDS": "2"}
OPS = 220
SEED = 8


def test_smtp_faults_retry_transient_mark_permanent_and_double_at_most_once(
    stack: Stack, scope: Scope, sink: SmtpSink
) -> None:
    from services.notification.models import Delivery

    call = flows.http_transport(stack.urls["registration"])
    workload = Workload.start(call, SEED)
    refused, *others = [a.account["email"] for a, _ in workload.applicants]
    others.append(workload.officer.account["email"])
    plan = sink.faults = FaultPlan()
    refusal = Fault(refused, reply=MAILBOX_UNAVAILABLE, times=None)
    plan.add(refusal)
    rng = random.Random(SEED)
    dropped: Counter[str] = Counter()
    injected: dict[str, list[Fault]] = {"transient": [], "drop": []}

    def fault(_: int) -> None:
        roll = rng.random()
        if roll < 0.10:
            reply = rng.choice((TRY_AGAIN_LATER, SERVICE_NOT_AVAILABLE))
            transient = Fault(rng.choice(others), reply=reply, times=rng.randint(1, 2))
            plan.add(transient)
            injected["transient"].append(transient)
        elif roll < 0.15:
            address = rng.choice(others)
            drop = Fault(address, drop=True)
            plan.add(drop)
            injected["drop"].append(drop)
            dropped[address] += 1

    workload.run(OPS, fault)
    tally = scope.settle(workload, may_fail={refused}, may_repeat=dropped)
    # Enough faults met a message: one injected for someone no later email goes to (near the
    # end of the run, or behind another fault of the same address) waits in vain, and how many
    # do depends on how far the sender lags the workload.
    fired = {kind: sum(f.fired > 0 for f in faults) for kind, faults in injected.items()}
    assert fired["transient"] >= 10 and fired["drop"] >= 5, (fired, len(injected["transient"]))
    # The refused ones were answered once each, never tried again, and staff see them.
    d = Delivery.__table__.c
    failed = dict(
        rows(
            scope.databases["notification"],
            select(d.id, d.attempts).where(d.email == refused, d.dossier_id.isnot(None)),
        )
    )
    assert failed and set(failed.values()) == {1}, failed
    assert refusal.fired == len(failed)
    admin = flows.login(call, "admin@ocop.local")
    notification = flows.http_transport(stack.urls["notification"])
    staff = flows.Actor(notification, admin.token, admin.account)
    shown = pages(staff, "/api/v1/deliveries/failed")
    assert set(failed) <= {uuid.UUID(item["id"]) for item in shown}
    report(8, workload, tally, scope.reconciled(workload))


def pages(actor: flows.Actor, path: str) -> list[dict]:
    """Every item of a cursor-paged list."""
    items: list[dict] = []
    after = None
    while True:
        reply = actor("GET", path, params={"limit": 100, **({"after": after} if after else {})})
        assert reply.status == 200, reply.body
        items += reply.body["items"]
        after = reply.body.get("next")
        if not after:
            return items
