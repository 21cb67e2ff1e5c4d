"""Fault 3 of docs/quality.md: a crash between commit and publish, and a rollback after a
would-be publish.

A few hundred workflow operations over HTTP; at random (seeded) points registration's relay is
killed with SIGKILL right after a commit (as it is woken by it, or while it publishes) and
started again, or killed and left down for a few operations whose commits wait in the outbox;
and a use case runs to its commit in this process, with its event in the outbox rows of the
transaction, and the commit fails. Every committed event still goes out, once; a rolled-back
change leaves no event, no ledger entry and no email; the dossier stays as it was.
"""

from __future__ import annotations

import random
import time
import uuid

import pytest
from sqlalchemy import func, select

from tests.e2e.stack import Stack
from tests.reliability.effects import Scope, report
from tests.reliability.faults import kill, restart, rolled_back_move, start
from tests.reliability.workload import MOVES, Workload
from tests.support import flows
from tests.support.observe import scalar

pytestmark = pytest.mark.e2e

OPS = 220
SEED = 3


def test_a_crash_between_commit_and_publish_and_a_rollback_lose_and_leak_nothing(
    stack: Stack, scope: Scope
) -> None:
    from services.registration.models import outbox
    from services.registration.runtime import Registration

    registration = Registration()
    workload = Workload.start(flows.http_transport(stack.urls["registration"]), SEED)
    rng = random.Random(SEED)
    rolled_back: list[uuid.UUID] = []
    kills = 0
    relay = "registration-relay"
    down_until = -1
    # Events committed while no relay ran, counted when the next one starts.
    o = outbox.c
    unpublished = select(func.count()).where(o.published_at.is_(None))
    stranded: list[int] = []

    def fault(ops: int) -> None:
        nonlocal kills, down_until
        if down_until == ops:
            stranded.append(scalar(scope.databases["registration"], unpublished))
            start(stack, relay)
            down_until = -1
            return
        roll = rng.random()
        if roll < 0.03 and down_until < 0:
            time.sleep(rng.uniform(0.0, 0.03))  # as it is woken, or while it publishes
            restart(stack, relay)
            kills += 1
        elif roll < 0.06 and down_until < 0:
            kill(stack, relay)  # the next operations commit with no relay to publish them
            down_until = ops + rng.randint(1, 4)
            kills += 1
        elif roll < 0.12:
            open_ = [d for d in workload.dossiers.values() if d.status in MOVES]
            if open_:
                dossier = rng.choice(open_)
                move = rng.choice([m for m in dossier.moves() if m != "assign"])
                rolled_back.extend(rolled_back_move(registration, workload, dossier, move))

    try:
        workload.run(OPS, fault)
    finally:
        registration.close()
        if down_until >= 0:
            start(stack, relay)
    assert kills >= 5 and len(rolled_back) >= 5, (kills, rolled_back)
    assert not workload.refused, workload.refused  # a rollback leaves the version as it was

    tally = scope.settle(workload, rolled_back=rolled_back)
    assert any(stranded), stranded  # committed, and no relay alive to publish them
    report(3, workload, tally, scope.reconciled(workload))
