"""Reconciliation (docs/quality.md item 10): after full cases, with every event delivered several
times, the services' state and the ledger agree; a state change without its entry, or an entry
without its state, is reported (each alteration rolled back)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services import cli
from services.audit import reconcile
from services.evaluation import models as evaluation_models
from services.registration.ledger import writer
from services.registration.models import Dossier, LedgerEntry
from shared.audit.reconcile import Reconciliation
from shared.ids import new_id
from tests.integration.ledger.conftest import World, altered

E = LedgerEntry


@pytest.fixture(scope="module")
def case(world: World, full_case: str) -> str:
    world.exchange(full_case)  # redelivered: still one entry per event
    return full_case


@contextmanager
def sessions(world: World) -> Iterator[tuple[Session, Session, Session]]:
    with (
        altered(world.registration) as registration,
        altered(world.evaluation) as evaluation,
        altered(world.notification) as notification,
    ):
        yield registration, evaluation, notification


def run(world: World, case: str, alter: Callable[[Session, Session], Any]) -> Reconciliation:
    with sessions(world) as (registration, evaluation, notification):
        alter(registration, evaluation)
        return reconcile(
            registration=registration,
            evaluation=evaluation,
            notification=notification,
            dossiers={uuid.UUID(case)},
        )


def _entry(session: Session, case: str, kind: str) -> Any:
    return session.execute(
        select(E).where(E.dossier_id == uuid.UUID(case), E.kind == kind).limit(1)
    ).scalar_one()


def test_nothing_is_missing_after_full_cases(world: World, case: str) -> None:
    result = run(world, case, lambda *_: None)
    assert result.clean, result.text()
    for checked in ("entries", "document versions", "sheet revisions", "certificates", "emails"):
        assert result.checked.get(checked, 0) > 0, checked
    assert result.checked["sheet revisions"] > result.checked.get("evaluation events", 0) / 10
    assert cli.main(["audit", "reconcile", "--dossier", case]) == 0
    assert cli.main(["audit", "reconcile", "--dossier", "not-an-id"]) == 2


def test_a_lost_entry_is_a_state_change_without_its_entry(world: World, case: str) -> None:
    def lose(registration: Session, _evaluation: Session) -> None:
        for kind in ("certificate.issued", "notification.sent"):
            entry = _entry(registration, case, kind)
            registration.execute(delete(E).where(E.seq == entry.seq))

    result = run(world, case, lose)
    found = {(f.side, f.service, f.what.split()[0]) for f in result.findings}
    assert ("state without entry", "evaluation", "certificate.issued") in found
    assert ("state without entry", "notification", "notification.sent") in found
    assert {f.side for f in result.findings} == {"state without entry"}


def test_a_forged_entry_is_an_entry_without_its_state(world: World, case: str) -> None:
    def forge(registration: Session, _evaluation: Session) -> None:
        sheet = json.loads(_entry(registration, case, "evaluation.sheet_submitted").body)
        writer.append(
            session=registration,
            dossier_id=uuid.UUID(case),
            event_id=new_id(),
            kind="evaluation.sheet_submitted",
            occurred_at=datetime.now(UTC),
            producer="evaluation",
            actor=sheet["actor"],
            correlation_id=None,
            payload={**sheet["payload"], "sheet_id": str(uuid.uuid4()), "revision": 1},
        )

    result = run(world, case, forge)
    sides = sorted((f.side, f.service) for f in result.findings)
    assert sides == [("entry without state", "evaluation")] * 2, result.text()


def test_state_changed_behind_the_ledgers_back_is_found(world: World, case: str) -> None:
    def change(registration: Session, evaluation: Session) -> None:
        sheet = evaluation.execute(
            select(evaluation_models.ScoreSheet.id)
            .join(evaluation_models.Evaluation)
            .where(evaluation_models.Evaluation.dossier_id == uuid.UUID(case))
            .limit(1)
        ).scalar_one()
        evaluation.execute(
            update(evaluation_models.ScoreSheet)
            .where(evaluation_models.ScoreSheet.id == sheet)
            .values(revision=evaluation_models.ScoreSheet.revision + 1)
        )
        registration.execute(
            update(Dossier.__table__)
            .where(Dossier.__table__.c.id == uuid.UUID(case))
            .values(status="withdrawn")
        )

    result = run(world, case, change)
    whats = sorted(f.what.split()[0] for f in result.findings)
    assert whats == ["score", "status"], result.text()
