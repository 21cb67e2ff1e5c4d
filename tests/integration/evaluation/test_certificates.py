"""Certificates: the public lookup by number (no sign-in), the listing of a case's certificates,
and revocation by the authority that recognised the rank (Decision 26/2026 Art. 8)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, update

from services.evaluation.domain.revocation import revocation_due
from services.evaluation.models import Case, Certificate
from shared.calendar import WorkingCalendar
from shared.certificates import add_months, certificate_expiry
from tests.integration.evaluation.test_decisions import (
    assert_problem,
    awaiting_decision,
    days_ago,
    new_case,
    outbox_events,
    sign_in_people,
)
from tests.support import flows
from tests.support.councils import decide

PUBLIC_FIELDS = {
    "superseded_by",
    "number",
    "product_name",
    "product_code",
    "producer_name",
    "star_rank",
    "level",
    "authority_unit",
    "decision_number",
    "issued_on",
    "expires_on",
    "status",
    "revoked_on",  # null unless revoked: the day and the ground are public facts
    "revocation_ground",
    "imported",  # issued before the platform (services/evaluation/service/imports.py)
}


@pytest.fixture(scope="module")
def people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


@pytest.fixture()
def certificate(registration, evaluation, commune_officer, people) -> dict:
    """A 4★ certificate issued by the province authority 20 days ago."""
    dossier_id = new_case(registration, evaluation, commune_officer, people)
    version = awaiting_decision(
        evaluation, dossier_id, star_rank=4, level="province", closed_on=days_ago(30)
    )
    reply = decide(people["province_authority"], dossier_id, version, days_ago(20))
    assert reply.status == 201, reply.body
    return reply.body["certificate"] | {"dossier_id": dossier_id}


def set_dates(evaluation: Any, number: str, issued_on: date) -> None:
    """Move a certificate back in time (its validity follows from the issue date)."""
    with evaluation.db.unit_of_work() as uow:
        uow.session.execute(
            update(Certificate)
            .where(Certificate.number == number)
            .values(
                issued_on=issued_on,
                decided_on=issued_on,
                expires_on=certificate_expiry(issued_on),
            )
        )
        uow.commit()


def revoke(actor: flows.Actor, number: str, **body: Any) -> flows.Reply:
    payload = {"ground": "mark_misuse", "found_on": days_ago(2).isoformat()} | body
    return actor("POST", f"/api/v1/certificates/{number}/revocation", json=payload)


def certificate_state(evaluation: Any, number: str) -> tuple[Any, ...]:
    with evaluation.db.reader() as session:
        row = session.get_one(Certificate, number)
        outbox = session.execute(select(func.count()).select_from(evaluation.outbox)).scalar_one()
        return (
            row.status,
            row.revoked_on,
            row.revocation_ground,
            row.revocation_note,
            row.revocation_found_on,
            row.revocation_late,
            outbox,
        )


# --- the public lookup ----------------------------------------------------------------------


def test_anyone_checks_a_number_valid_then_expired(eval_call, evaluation, certificate) -> None:
    number = certificate["number"]
    reply = eval_call("GET", f"/api/v1/certificates/{number}")  # no token
    assert reply.status == 200, reply.body
    body = reply.body
    assert set(body) == PUBLIC_FIELDS  # no ids of people, no case internals
    assert body["status"] == "valid"
    assert body["number"] == number and body["star_rank"] == 4 and body["level"] == "province"
    assert body["authority_unit"] == "pre2025:province:45"
    assert body["product_name"] == "Mật ong hoa cà phê Đông Hà"
    assert body["producer_name"] == "Hợp tác xã Nông nghiệp Đông Hà"
    assert body["product_code"].startswith("45-19333-")
    assert body["issued_on"] == days_ago(20).isoformat()

    # Three years on, the same number reads expired (the row still says valid until the
    # scheduled task marks it).
    set_dates(evaluation, number, date(2023, 5, 10))
    later = eval_call("GET", f"/api/v1/certificates/{number}").body
    assert (later["status"], later["expires_on"]) == ("expired", "2026-05-10")

    # The last day of validity is still valid.
    set_dates(evaluation, number, add_months(days_ago(0), -36))
    assert eval_call("GET", f"/api/v1/certificates/{number}").body["status"] == "valid"


def test_unknown_number_is_a_problem(eval_call) -> None:
    for number in ("OCOP-45-2026-99999", "x" * 41):
        reply = eval_call("GET", f"/api/v1/certificates/{number}")
        assert_problem(reply, 404, "not-found")


def test_a_bad_token_is_refused_even_on_the_public_lookup(eval_call, certificate) -> None:
    reply = eval_call("GET", f"/api/v1/certificates/{certificate['number']}", token="nonsense")
    assert_problem(reply, 401, "unauthorized")


# --- listing --------------------------------------------------------------------------------


def test_officials_in_reach_and_the_owner_list_a_cases_certificates(people, certificate) -> None:
    path = f"/api/v1/certificates?dossier_id={certificate['dossier_id']}"
    # The owner, the people on the case (its handler, the province's secretariat and authority)
    # and an auditor of its district.
    on_case = ("applicant", "commune_officer", "province_secretariat", "province_authority")
    for who in (*on_case, "district_auditing_authority", "operator"):
        reply = people[who]("GET", path)
        assert reply.status == 200, (who, reply.body)
        [item] = reply.body["items"]
        assert item["number"] == certificate["number"] and item["status"] == "valid"
        assert "decided_by" not in item
        assert reply.body["next"] is None  # one page holds a case's by default
    # Paged like every list: after the last number, nothing is left.
    after = people["applicant"]("GET", f"{path}&limit=1&after={certificate['number']}")
    assert (after.body["items"], after.body["next"]) == ([], None)
    # Not on the case: the district's authority (never awaited on it; before ADR 0009 its
    # jurisdiction reached it) and another province's.
    for who in ("district_authority", "other_province_authority"):
        assert_problem(people[who]("GET", path), 404, "not-found")
    missing = f"/api/v1/certificates?dossier_id={uuid.uuid4()}"
    assert_problem(people["applicant"]("GET", missing), 404, "not-found")
    assert_problem(people["applicant"]("GET", "/api/v1/certificates"), 422, "validation-error")


def test_listing_needs_a_sign_in(eval_call, certificate) -> None:
    reply = eval_call("GET", f"/api/v1/certificates?dossier_id={certificate['dossier_id']}")
    assert_problem(reply, 401, "unauthorized")


# --- revocation -----------------------------------------------------------------------------


def test_the_recognising_authority_revokes(eval_call, evaluation, people, certificate) -> None:
    number = certificate["number"]
    dossier_id = certificate["dossier_id"]
    found_on = days_ago(2)
    before = len(outbox_events(evaluation, dossier_id))

    reply = revoke(people["province_authority"], number, found_on=found_on.isoformat(), note="x")

    assert reply.status == 201, reply.body
    body = reply.body
    assert body["status"] == "revoked" and body["revoked_on"] == days_ago(0).isoformat()
    assert body["revocation_ground"] == "mark_misuse" and body["revocation_note"] == "x"
    assert body["due_on"] == revocation_due(found_on, WorkingCalendar()).isoformat()
    assert body["late"] is False
    assert (body["revocation_found_on"], body["revocation_late"]) == (found_on.isoformat(), False)
    assert revocation_row(evaluation, number) == (found_on, False)

    public = eval_call("GET", f"/api/v1/certificates/{number}").body
    assert public["status"] == "revoked"
    with evaluation.db.reader() as session:
        assert session.get_one(Case, uuid.UUID(dossier_id)).stage == "recognised"

    [event] = outbox_events(evaluation, dossier_id)[before:]
    assert event["type"] == "certificate.revoked"
    assert event["payload"]["number"] == number and event["payload"]["ground"] == "mark_misuse"
    assert event["payload"]["revoked_on"] == days_ago(0).isoformat()
    assert (event["payload"]["found_on"], event["payload"]["late"]) == (str(found_on), False)
    assert event["actor"]["user_id"] == people["province_authority"].account["id"]

    # Twice: the certificate is no longer valid.
    again = certificate_state(evaluation, number)
    assert_problem(revoke(people["province_authority"], number), 409, "transition-not-allowed")
    assert certificate_state(evaluation, number) == again


@pytest.mark.parametrize(
    ("who", "status", "slug"),
    [
        # In reach (the district's auditor), not the level that recognised.
        ("district_auditing_authority", 403, "forbidden"),
        ("operator", 403, "forbidden"),
        ("province_secretariat", 403, "forbidden"),
        ("applicant", 403, "forbidden"),
        # Authorities never awaited on the case are not on it (ADR 0009; before, their
        # jurisdiction reached it: 403).
        ("district_authority", 404, "not-found"),
        ("national_authority", 404, "not-found"),
        ("other_province_authority", 404, "not-found"),
    ],
)
def test_only_the_recognising_authority_revokes(
    evaluation, people, certificate, who, status, slug
) -> None:
    number = certificate["number"]
    before = certificate_state(evaluation, number)
    assert_problem(revoke(people[who], number), status, slug)
    assert certificate_state(evaluation, number) == before


def test_bad_revocations_change_nothing(evaluation, people, certificate) -> None:
    number = certificate["number"]
    authority = people["province_authority"]
    before = certificate_state(evaluation, number)
    bad = [
        ({"ground": "dislike"}, "ground"),
        ({"found_on": days_ago(-1).isoformat()}, "found_on"),  # in the future
        ({"found_on": days_ago(25).isoformat()}, "found_on"),  # before the issue
        ({"found_on": "yesterday"}, "found_on"),
        ({"status": "revoked"}, "status"),
        ({"note": "n" * 2001}, "note"),
    ]
    for body, field in bad:
        problem = assert_problem(revoke(authority, number, **body), 422, "validation-error")
        assert field in problem["errors"], (body, problem)
    assert_problem(revoke(authority, "OCOP-45-2026-99999"), 404, "not-found")
    assert certificate_state(evaluation, number) == before


def test_a_late_revocation_is_made_and_says_so(eval_call, evaluation, people, certificate) -> None:
    set_dates(evaluation, certificate["number"], days_ago(200))
    found_on = days_ago(60)
    reply = revoke(people["province_authority"], certificate["number"], found_on=str(found_on))
    assert reply.status == 201, reply.body
    assert reply.body["late"] is True and reply.body["status"] == "revoked"
    assert reply.body["due_on"] == revocation_due(found_on, WorkingCalendar()).isoformat()
    assert reply.body["revocation_late"] is True
    assert revocation_row(evaluation, certificate["number"]) == (found_on, True)
    event = outbox_events(evaluation, certificate["dossier_id"])[-1]
    assert event["type"] == "certificate.revoked"
    assert (event["payload"]["found_on"], event["payload"]["late"]) == (str(found_on), True)
    # The public lookup says revoked, and nothing of the finding.
    public = eval_call("GET", f"/api/v1/certificates/{certificate['number']}").body
    assert public["status"] == "revoked" and "revocation_late" not in public


def revocation_row(evaluation: Any, number: str) -> tuple[date | None, bool | None]:
    with evaluation.db.reader() as session:
        row = session.get_one(Certificate, number)
        return row.revocation_found_on, row.revocation_late


def test_an_expired_certificate_is_not_revoked(evaluation, people, certificate) -> None:
    number = certificate["number"]
    set_dates(evaluation, number, date(2023, 1, 10))
    before = certificate_state(evaluation, number)
    reply = revoke(people["province_authority"], number, found_on="2025-12-01")
    assert_problem(reply, 409, "transition-not-allowed")
    assert certificate_state(evaluation, number) == before
