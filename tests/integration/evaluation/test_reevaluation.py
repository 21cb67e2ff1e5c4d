"""Re-evaluation (phân hạng lại) across both services: filed 180 to 120 days before expiry, or
late (accepted until 180 days after expiry); decided within 45 days of the complete dossier;
a late filer who filed by the expiry keeps the certificate valid until the decision, at most
180 days after expiry (docs/domain.md#certificates); a recognition supersedes the old certificate.

Time is moved by moving dates: a certificate is issued in the past so that its expiry falls
where a scenario needs it, and a scenario that needs days to pass shifts the certificate's
and the case's dates back together.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from services.evaluation.domain.deadlines import REEVALUATION_DECISION
from services.evaluation.models import Case, Certificate
from services.evaluation.service import certificates as certificate_service
from services.evaluation.service import schedule
from shared.calendar import WorkingCalendar
from shared.certificates import add_months
from tests.integration.evaluation.test_decisions import (
    assert_problem,
    awaiting_decision,
    days_ago,
    outbox_events,
    sign_in_people,
)
from tests.integration.evaluation.test_upgrade import (
    both_sides,
    certify,
    file,
    file_and_accept,
    lookup,
    recorded,
    stored,
)
from tests.support.cases import deliver
from tests.support.councils import case_of, decide, review_body


@pytest.fixture(scope="module")
def people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


@pytest.fixture()
def certificate_expiring(registration, evaluation, commune_officer, people):
    """A 3★ certificate of the module's producer whose expiry is ``n`` days from today."""

    def make(n: int) -> dict[str, Any]:
        issued_on = add_months(days_ago(-n), -36)
        cert = certify(
            registration, evaluation, commune_officer, people, star_rank=3, issued_on=issued_on
        )
        assert date.fromisoformat(cert["expires_on"]) == days_ago(-n)
        return cert

    return make


@pytest.fixture()
def reevaluate(registration, evaluation, commune_officer, people):
    """File a re-evaluation of ``number`` (submitted, accepted, delivered); the dossier."""

    def make(number: str) -> dict[str, Any]:
        return file_and_accept(
            registration, evaluation, commune_officer, people, "re_evaluation", number
        )

    return make


def shift_back(evaluation: Any, number: str, dossier_id: str, days: int) -> None:
    """Let ``days`` pass: the certificate's and the re-evaluation's dates move back together."""
    delta = timedelta(days=days)
    with evaluation.db.unit_of_work() as uow:
        certificate = uow.session.get_one(Certificate, number)
        certificate.issued_on -= delta
        certificate.decided_on -= delta
        certificate.expires_on -= delta
        case = uow.session.get_one(Case, uuid.UUID(dossier_id))
        assert case.filed_on is not None and case.decision_due_on is not None
        case.filed_on -= delta
        case.decision_due_on -= delta
        uow.commit()


def status_on(evaluation: Any, number: str, day: date) -> str:
    with evaluation.db.reader() as session:
        return certificate_service.status_on(session.get_one(Certificate, number), day)


def certificate_events(evaluation: Any, dossier_id: str, type_: str) -> list[dict[str, Any]]:
    return [e for e in outbox_events(evaluation, dossier_id) if e["type"] == type_]


def reject_at_commune(people: dict[str, Any], dossier_id: str) -> None:
    """The commune review rejects the case: the re-evaluation ends, not recognised."""
    officer = people["commune_officer"]
    version = officer("GET", f"/api/v1/cases/{dossier_id}").body["version"]
    reply = officer(
        "POST",
        f"/api/v1/cases/{dossier_id}/commune-review",
        json=review_body(version, "reject", reasons="Sản phẩm đã ngừng sản xuất"),
    )
    assert reply.status == 200, reply.body
    assert case_of_stage(people, dossier_id) == "not_recognised"


def case_of_stage(people: dict[str, Any], dossier_id: str) -> str:
    return people["commune_officer"]("GET", f"/api/v1/cases/{dossier_id}").body["stage"]


# --- in the window --------------------------------------------------------------------------


def test_a_reevaluation_in_its_window_is_recognised_and_supersedes(
    registration, evaluation, eval_call, people, certificate_expiring, reevaluate
) -> None:
    old = certificate_expiring(150)
    dossier = reevaluate(old["number"])
    assert (dossier["late_filing"], dossier["filed_on"]) == (False, days_ago(0).isoformat())
    case = case_of(evaluation, dossier["id"])
    assert (case.registration_type, case.previous_certificate) == ("re_evaluation", old["number"])
    assert case.filed_on == days_ago(0)
    # 45 days from the complete dossier (its acceptance today), moved off a day off.
    assert case.decision_due_on == REEVALUATION_DECISION.due(days_ago(0), WorkingCalendar())
    assert case.decision_counted_from == days_ago(0)  # kept to count again (due_dates)
    assert case.level == "commune" and case.stage == "commune_review"  # the usual procedure

    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=3, level="district", closed_on=days_ago(2)
    )
    reply = decide(people["district_authority"], dossier["id"], version, days_ago(0))
    assert reply.status == 201, reply.body
    new = reply.body["certificate"]
    assert lookup(eval_call, old["number"])["status"] == "superseded"
    assert stored(evaluation, old["number"]).superseded_by == new["number"]
    assert lookup(eval_call, new["number"])["status"] == "valid"
    [issued] = certificate_events(evaluation, dossier["id"], "certificate.issued")
    assert issued["payload"]["replaces"] == old["number"]
    deliver(evaluation, registration, dossier["id"])
    assert recorded(registration, old["number"]).status == "superseded"


def test_a_reevaluation_not_recognised_before_expiry_ends_at_expiry(
    evaluation, eval_call, people, certificate_expiring, reevaluate
) -> None:
    old = certificate_expiring(130)
    dossier = reevaluate(old["number"])
    reject_at_commune(people, dossier["id"])
    expires = date.fromisoformat(old["expires_on"])
    assert lookup(eval_call, old["number"])["status"] == "valid"
    assert status_on(evaluation, old["number"], expires) == "valid"
    assert status_on(evaluation, old["number"], expires + timedelta(days=1)) == "expired"
    assert stored(evaluation, old["number"]).superseded_by is None


# --- late filers ----------------------------------------------------------------------------


def test_a_late_filer_keeps_the_certificate_valid_until_the_decision(
    evaluation, eval_call, people, certificate_expiring, reevaluate
) -> None:
    old = certificate_expiring(60)  # the window closed 60 days ago
    number = old["number"]
    dossier = reevaluate(number)
    assert dossier["late_filing"] is True

    # 70 days on: expired 10 days ago by its date, but the re-evaluation filed before the
    # expiry is pending, so the label still checks valid and the daily task leaves it.
    shift_back(evaluation, number, dossier["id"], 70)
    expires = stored(evaluation, number).expires_on
    assert expires == days_ago(10)
    assert lookup(eval_call, number)["status"] == "valid"
    for _ in range(2):
        schedule.raise_certificate_notices(db=evaluation.db, today=days_ago(0))
    assert certificate_events(evaluation, old["dossier_id"], "certificate.expired") == []
    assert stored(evaluation, number).status == "valid"
    # At most 180 days after expiry, decided or not.
    cap = expires + timedelta(days=180)
    assert status_on(evaluation, number, cap) == "valid"
    assert status_on(evaluation, number, cap + timedelta(days=1)) == "expired"

    # Not recognised today: valid through the decision day, expired the day after (once).
    reject_at_commune(people, dossier["id"])
    assert lookup(eval_call, number)["status"] == "valid"
    schedule.raise_certificate_notices(db=evaluation.db, today=days_ago(0))
    assert certificate_events(evaluation, old["dossier_id"], "certificate.expired") == []
    for _ in range(2):
        schedule.raise_certificate_notices(db=evaluation.db, today=days_ago(-1))
    [expired] = certificate_events(evaluation, old["dossier_id"], "certificate.expired")
    assert expired["payload"]["number"] == number
    assert stored(evaluation, number).status == "expired"
    assert lookup(eval_call, number)["status"] == "expired"


def test_a_pending_late_filer_expires_180_days_after_expiry(
    evaluation, certificate_expiring, reevaluate
) -> None:
    old = certificate_expiring(30)
    dossier = reevaluate(old["number"])
    expires = date.fromisoformat(old["expires_on"])
    cap = expires + timedelta(days=180)
    schedule.raise_certificate_notices(db=evaluation.db, today=cap)
    assert stored(evaluation, old["number"]).status == "valid"
    schedule.raise_certificate_notices(db=evaluation.db, today=cap + timedelta(days=1))
    assert stored(evaluation, old["number"]).status == "expired"
    assert len(certificate_events(evaluation, old["dossier_id"], "certificate.expired")) == 1
    assert case_of(evaluation, dossier["id"]).stage == "commune_review"  # still undecided


def test_filed_after_expiry_it_is_taken_but_keeps_nothing_valid(
    registration, evaluation, eval_call, people, certificate_expiring, reevaluate
) -> None:
    # Registration takes a filing until 180 days after expiry (late); the old certificate is
    # not revived meanwhile: only a filing by the expiry keeps it valid (shared.certificates).
    old = certificate_expiring(-30)
    assert lookup(eval_call, old["number"])["status"] == "expired"
    dossier = reevaluate(old["number"])
    assert dossier["late_filing"] is True
    assert lookup(eval_call, old["number"])["status"] == "expired"

    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=4, level="province", closed_on=days_ago(1)
    )
    reply = decide(people["province_authority"], dossier["id"], version, days_ago(0))
    assert reply.status == 201, reply.body
    new = reply.body["certificate"]
    assert lookup(eval_call, old["number"])["status"] == "superseded"
    assert stored(evaluation, old["number"]).superseded_by == new["number"]
    assert (lookup(eval_call, new["number"])["status"], new["star_rank"]) == ("valid", 4)


# --- refused filings ------------------------------------------------------------------------


def test_a_reevaluation_before_its_window_is_refused(
    registration, evaluation, people, certificate_expiring
) -> None:
    old = certificate_expiring(200)
    draft = file(people, "re_evaluation", old["number"])
    assert draft.status == 201, draft.body
    before = both_sides(registration, evaluation, people["producer_id"])
    submit = people["registration_applicant"](
        "POST",
        f"/api/v1/dossiers/{draft.body['id']}/submit",
        json={"version": draft.body["version"]},
    )
    problem = assert_problem(submit, 422, "validation-error")
    assert problem["field_codes"] == {"certificate_number": "certificate.reevaluation_not_open"}
    assert problem["field_params"]["certificate_number"]["opens_on"] == days_ago(-20).isoformat()
    assert problem["field_params"]["certificate_number"]["closes_on"] == days_ago(-80).isoformat()
    assert both_sides(registration, evaluation, people["producer_id"]) == before


def test_a_reevaluation_more_than_180_days_after_expiry_is_refused(
    registration, evaluation, people, certificate_expiring
) -> None:
    old = certificate_expiring(-181)
    before = both_sides(registration, evaluation, people["producer_id"])
    problem = assert_problem(file(people, "re_evaluation", old["number"]), 422, "validation-error")
    assert problem["field_codes"] == {"certificate_number": "certificate.reevaluation_too_late"}
    assert problem["field_params"]["certificate_number"]["last_day"] == days_ago(1).isoformat()
    assert both_sides(registration, evaluation, people["producer_id"]) == before


# --- the 45-day limit -----------------------------------------------------------------------


def test_the_45_day_limit_is_warned_and_reported_once(
    evaluation, people, certificate_expiring, reevaluate
) -> None:
    dossier = reevaluate(certificate_expiring(150)["number"])
    ended = reevaluate(certificate_expiring(140)["number"])
    reject_at_commune(people, ended["id"])
    due = case_of(evaluation, dossier["id"]).decision_due_on
    assert due is not None and due == case_of(evaluation, ended["id"]).decision_due_on

    def run(day: date) -> list[dict[str, Any]]:
        for _ in range(2):  # a second run (or a second beat) raises nothing new
            schedule.raise_reevaluation_deadlines(db=evaluation.db, today=day)
        return [
            e for e in outbox_events(evaluation, dossier["id"]) if e["type"].startswith("deadline.")
        ]

    assert run(due - timedelta(days=8)) == []
    [approaching] = run(due - timedelta(days=7))
    assert approaching["type"] == "deadline.approaching"
    assert approaching["payload"]["deadline"] == "reevaluation_decision"
    assert approaching["payload"]["due_on"] == due.isoformat()
    assert approaching["payload"]["responsible_unit"] == "pre2025:commune:19333"
    assert approaching["payload"]["council_id"] is None  # at the commune: no council has it
    assert approaching["actor"]["role"] == "system"
    assert len(run(due)) == 1  # still the one warning: the limit's own day is not breached
    notices = run(due + timedelta(days=1))
    assert [e["type"] for e in notices] == ["deadline.approaching", "deadline.breached"]
    assert notices[1]["payload"]["due_on"] == due.isoformat()
    assert len(run(due + timedelta(days=30))) == 2

    # Nothing for a re-evaluation already decided, nor for cases with no such limit.
    assert [
        e["type"] for e in outbox_events(evaluation, ended["id"]) if "deadline" in e["type"]
    ] == []
