"""Scheduled notices: re-evaluation windows, expiry, round deadlines, each raised once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from services.evaluation.models import Certificate, Council, Evaluation, Round
from services.evaluation.service import schedule
from tests.support.cases import make_case


def _events(evaluation, dossier_id: uuid.UUID) -> list[str]:
    o = evaluation.outbox.c
    with evaluation.db.engine.connect() as conn:
        rows = conn.execute(select(o.type, o.envelope).order_by(o.id)).all()
    return [r.type for r in rows if r.envelope["dossier_id"] == str(dossier_id)]


@pytest.fixture()
def certificate(evaluation) -> Certificate:
    with evaluation.db.unit_of_work() as uow:
        case = make_case(uow)
        council = Council(
            name="HĐ huyện",
            level="district",
            unit="pre2025:district:461",
            created_at=datetime.now(UTC),
        )
        uow.session.add(council)
        uow.session.flush()
        ev = Evaluation(
            dossier_id=case.dossier_id,
            level="district",
            council_id=council.id,
            status="closed",
            opened_at=datetime.now(UTC),
        )
        uow.session.add(ev)
        uow.session.flush()
        cert = Certificate(
            number=f"OCOP-45-2026-{uuid.uuid4().hex[:8]}",
            dossier_id=case.dossier_id,
            evaluation_id=ev.id,
            product_name=case.product_name,
            product_code=case.product_code,
            producer_name=case.producer_name,
            star_rank=3,
            level="district",
            authority_unit="pre2025:district:461",
            decision_number="123/QĐ-UBND",
            decided_on=date(2026, 11, 30),
            decided_by=uuid.uuid4(),
            issued_on=date(2026, 11, 30),
            expires_on=date(2029, 11, 30),
            status="valid",
        )
        uow.session.add(cert)
        uow.commit()
    return cert


def test_window_reminders_and_expiry_are_raised_once(evaluation, certificate) -> None:
    db = evaluation.db
    expires = certificate.expires_on
    schedule.raise_certificate_notices(db=db, today=expires - timedelta(days=200))
    assert _events(evaluation, certificate.dossier_id) == []
    opens = expires - timedelta(days=180)
    for _ in range(2):  # a second run (or a second beat) raises nothing new
        schedule.raise_certificate_notices(db=db, today=opens)
    assert _events(evaluation, certificate.dossier_id) == ["certificate.expiring"]
    closing = expires - timedelta(days=120 + schedule.WINDOW_CLOSING_REMINDER_DAYS)
    schedule.raise_certificate_notices(db=db, today=closing)
    schedule.raise_certificate_notices(db=db, today=closing + timedelta(days=1))
    assert _events(evaluation, certificate.dossier_id) == ["certificate.expiring"] * 2
    schedule.raise_certificate_notices(db=db, today=expires)  # still valid on its last day
    schedule.raise_certificate_notices(db=db, today=expires + timedelta(days=1))
    schedule.raise_certificate_notices(db=db, today=expires + timedelta(days=2))
    assert _events(evaluation, certificate.dossier_id)[-1] == "certificate.expired"
    assert _events(evaluation, certificate.dossier_id).count("certificate.expired") == 1
    with db.reader() as session:
        assert session.get(Certificate, certificate.number).status == "expired"


def test_round_deadlines_warn_then_report_once(evaluation) -> None:
    with evaluation.db.unit_of_work() as uow:
        case = make_case(uow)
        council = Council(
            name="HĐ tỉnh",
            level="province",
            unit="pre2025:province:45",
            created_at=datetime.now(UTC),
        )
        rnd = Round(
            level="province",
            unit="pre2025:province:45",
            name="Đợt 1/2027",
            proposals_due=date(2027, 5, 15),
            closes_on=date(2027, 6, 30),
        )
        uow.session.add_all([council, rnd])
        uow.session.flush()
        uow.session.add(
            Evaluation(
                dossier_id=case.dossier_id,
                level="province",
                council_id=council.id,
                round_id=rnd.id,
                status="open",
                opened_at=datetime.now(UTC),
            )
        )
        uow.commit()
        dossier_id, council_id = case.dossier_id, council.id
    db = evaluation.db
    schedule.raise_round_deadlines(db=db, today=date(2027, 6, 1))
    assert _events(evaluation, dossier_id) == []
    for _ in range(2):
        schedule.raise_round_deadlines(db=db, today=date(2027, 6, 25))
    assert _events(evaluation, dossier_id) == ["deadline.approaching"]
    for _ in range(2):
        schedule.raise_round_deadlines(db=db, today=date(2027, 7, 1))
    assert _events(evaluation, dossier_id) == ["deadline.approaching", "deadline.breached"]
    # Each names the council, for the notification service to escalate to its chair.
    assert {e["payload"]["council_id"] for e in _envelopes(evaluation, dossier_id)} == {
        str(council_id)
    }


def _envelopes(evaluation, dossier_id: uuid.UUID) -> list[dict]:
    o = evaluation.outbox.c
    with evaluation.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).order_by(o.id)).all()
    return [env for (env,) in rows if env["dossier_id"] == str(dossier_id)]


def _open_evaluation(uow, case, status: str = "open") -> uuid.UUID:
    council = Council(
        name="HĐ huyện", level="district", unit="pre2025:district:461", created_at=datetime.now(UTC)
    )
    uow.session.add(council)
    uow.session.flush()
    uow.session.add(
        Evaluation(
            dossier_id=case.dossier_id,
            level="district",
            council_id=council.id,
            status=status,
            opened_at=datetime.now(UTC),
        )
    )
    return council.id


def test_a_reevaluation_deadline_names_the_council_holding_the_case(evaluation) -> None:
    due = date(2027, 3, 15)
    with evaluation.db.unit_of_work() as uow:
        at_council = make_case(uow, stage="in_evaluation", decision_due_on=due)
        _open_evaluation(uow, at_council, status="closed")  # an earlier level's, closed
        council_id = _open_evaluation(uow, at_council)
        waiting = make_case(uow, stage="awaiting_assignment", decision_due_on=due)
        _open_evaluation(uow, waiting, status="closed")
        uow.commit()
        ids = at_council.dossier_id, waiting.dossier_id
    schedule.raise_reevaluation_deadlines(db=evaluation.db, today=due + timedelta(days=1))
    [held] = _envelopes(evaluation, ids[0])
    [unheld] = _envelopes(evaluation, ids[1])
    assert (held["type"], held["payload"]["council_id"]) == ("deadline.breached", str(council_id))
    assert (unheld["type"], unheld["payload"]["council_id"]) == ("deadline.breached", None)
