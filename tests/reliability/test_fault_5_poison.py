"""Fault 5 of docs/quality.md: poison messages.

During a few hundred workflow operations, at random (seeded) points, two kinds of message that
can never be handled are put on the events exchange beside the real ones:

- unreadable: a copy of a real ``dossier.submitted`` with its payload cut short. Every
  service that reads it parks it in its dead-letter queue at the first try;
- unhandleable: a well-formed ``dossier.document_added`` whose event id is that of an entry the
  case-file ledger already holds (an auditor's read of the case file): registration's ledger
  consumer fails on it every time, tries it the configured number of times (2 retries here),
  then parks it.

The real events keep flowing (nothing lost, doubled or leaked); ``ocop dlq list`` shows each
poison with its reason; ``ocop dlq replay`` sends it back, whereupon it fails and is parked
again; dropped (as ``ocop dlq drop`` does), it is gone.
"""

from __future__ import annotations

import json
import random
import uuid

import pytest
from sqlalchemy import select

from shared.messaging import dead_letters
from tests.e2e.stack import Stack
from tests.reliability.effects import Scope, report
from tests.reliability.faults import publish
from tests.reliability.workload import Workload
from tests.support import flows
from tests.support.observe import rows, wait_until

pytestmark = pytest.mark.e2e

ENV = {"OCOP_CONSUMER_MAX_RETRIES": "2"}
OPS = 220
SEED = 5
GIVING_UP = "giving up on event after 3 tries"


def test_poison_is_parked_after_its_tries_while_the_rest_flows(stack: Stack, scope: Scope) -> None:
    from services.registration import models as reg
    from services.registration.runtime import Registration

    call = flows.http_transport(stack.urls["registration"])
    workload = Workload.start(call, SEED)
    admin = flows.login(call, "admin@ocop.local")
    # An auditor of the run's own commune (each run files in one of its own).
    auditor = flows.create_official(admin, ["auditor"], workload.officer.account["unit"])
    registration = Registration()
    rng = random.Random(SEED)
    unreadable: set[str] = set()
    unhandleable: set[str] = set()

    def envelope_of(kind: str) -> dict | None:
        o = reg.outbox.c
        found = rows(scope.databases["registration"], select(o.envelope).where(o.type == kind))
        # Filed ones: a draft is its applicant's alone, the auditor does not see it.
        filed = {i for i, d in workload.dossiers.items() if d.status != "draft"}
        mine = [e for (e,) in found if e.get("dossier_id") in filed]
        return dict(rng.choice(mine)) if mine else None

    def fault(_: int) -> None:
        roll = rng.random()
        if roll < 0.04 and (envelope := envelope_of("dossier.submitted")):
            envelope["event_id"] = str(uuid.uuid4())
            envelope["payload"] = {"dossier_id": envelope["dossier_id"]}
            publish(registration.celery, envelope, envelope["type"])
            unreadable.add(envelope["event_id"])
        elif roll < 0.08 and (envelope := envelope_of("dossier.document_added")):
            envelope["event_id"] = str(read_entry(scope, auditor, envelope["dossier_id"]))
            publish(registration.celery, envelope, envelope["type"])
            unhandleable.add(envelope["event_id"])

    try:
        workload.run(OPS, fault)
    finally:
        registration.close()
    assert len(unreadable) >= 3 and len(unhandleable) >= 3, (unreadable, unhandleable)

    # The rest flowed: every real event applied once, mailed, filed.
    rolled_back = [uuid.UUID(i) for i in unreadable]
    tally = scope.settle(workload, rolled_back=rolled_back)
    poison = unreadable | unhandleable

    def parked(service: str) -> dict[str, str]:
        listed = [json.loads(line) for line in stack.ocop("dlq", "list", service).splitlines()]
        return {p["event_id"]: p["reason"] for p in listed if p["event_id"] in poison}

    assert wait_until(lambda: set(parked("registration")) == poison, 60), parked("registration")
    reasons = parked("registration")
    assert all(reasons[i].startswith("invalid") for i in unreadable), reasons
    assert all("IntegrityError" in reasons[i] for i in unhandleable), reasons
    assert set(parked("notification")) == unreadable  # it reads dossier.submitted only
    log = (stack.log_dir / "registration-worker.log").read_text()
    assert log.count(GIVING_UP) == len(unhandleable)  # each after the configured tries

    # An operator replays them all: still poison, each is parked again after its tries.
    stack.ocop("dlq", "replay", "registration")
    assert wait_until(lambda: set(parked("registration")) == poison, 60), parked("registration")
    log = (stack.log_dir / "registration-worker.log").read_text()
    assert log.count(GIVING_UP) == 2 * len(unhandleable)
    registration = Registration()
    try:
        dropped = [dead_letters.drop(registration.celery, "registration", i) for i in poison]
    finally:
        registration.close()
    assert dropped == [1] * len(poison)
    assert parked("registration") == {}

    after = scope.count(workload, rolled_back=rolled_back)
    assert after.effects == tally.effects  # the replays changed nothing
    report(5, workload, tally, scope.reconciled(workload))


def read_entry(scope: Scope, auditor: flows.Actor, dossier_id: str) -> uuid.UUID:
    """An auditor exports the case file, which the ledger records as a read: its entry's id."""
    from services.registration.ledger.writer import CASE_FILE_READ
    from services.registration.models import LedgerEntry

    assert auditor("GET", f"/api/v1/dossiers/{dossier_id}/case-file").status == 200
    e = LedgerEntry.__table__.c
    reads = select(e.event_id).where(
        e.dossier_id == uuid.UUID(dossier_id), e.kind == CASE_FILE_READ
    )
    return rows(scope.databases["registration"], reads.order_by(e.seq.desc()))[0][0]
