"""Upgrades (nâng hạng) across both services: a producer's certificate is named by an upgrade
dossier in registration, which checks it against its read model of evaluation's events; the
case carries it to evaluation, and the recognition of a higher rank supersedes it.

The council's work is not repeated here (its own suites cover it): :func:`awaiting_decision`
leaves a case as a council's close does, and the authority decides over the API.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from services.evaluation.models import Case, Certificate
from services.registration.models import Certificate as CertificateRecord
from services.registration.models import Dossier
from tests.integration.evaluation.test_decisions import (
    assert_problem,
    awaiting_decision,
    days_ago,
    new_case,
    on_evaluation,
    outbox_events,
    sign_in_people,
)
from tests.support import flows
from tests.support.cases import deliver
from tests.support.councils import decide

LEVEL_OF_RANK = {3: "district", 4: "province", 5: "national"}


@pytest.fixture(scope="module")
def people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


def certify(
    registration: Any,
    evaluation: Any,
    commune_officer: flows.Actor,
    people: dict[str, Any],
    *,
    star_rank: int = 3,
    issued_on: date | None = None,
) -> dict[str, Any]:
    """A first dossier of ``people``'s producer recognised at ``star_rank`` by the competent
    authority on ``issued_on``; its events are delivered to registration (the certificates
    read model). Returns the certificate as the decision answered, with its ``dossier_id``."""
    dossier_id = new_case(registration, evaluation, commune_officer, people)
    issued_on = issued_on or days_ago(20)
    level = LEVEL_OF_RANK[star_rank]
    version = awaiting_decision(
        evaluation,
        dossier_id,
        star_rank=star_rank,
        level=level,
        closed_on=issued_on - timedelta(days=3),
    )
    reply = decide(people[f"{level}_authority"], dossier_id, version, issued_on)
    assert reply.status == 201, reply.body
    assert deliver(evaluation, registration, dossier_id) == 3  # opened, decided, issued
    return reply.body["certificate"] | {"dossier_id": dossier_id}


def file(people: dict[str, Any], registration_type: str, number: str | None) -> flows.Reply:
    """The producer opens a draft naming ``number`` (registration API)."""
    body = flows.dossier_body(people["producer_id"]) | {
        "registration_type": registration_type,
        "certificate_number": number,
    }
    return people["registration_applicant"]("POST", "/api/v1/dossiers", json=body)


def file_and_accept(
    registration: Any,
    evaluation: Any,
    commune_officer: flows.Actor,
    people: dict[str, Any],
    registration_type: str,
    number: str,
) -> dict[str, Any]:
    """An upgrade or re-evaluation filed, submitted, accepted and delivered to evaluation."""
    applicant = people["registration_applicant"]
    draft = file(people, registration_type, number)
    assert draft.status == 201, draft.body
    assert flows.upload(applicant, draft.body["id"], "business_registration").status == 201
    submitted = flows.act(applicant, draft.body, "submit")
    assert submitted.status == 200, submitted.body
    accepted = flows.act(commune_officer, submitted.body, "accept")
    assert accepted.status == 200, accepted.body
    assert deliver(registration, evaluation, draft.body["id"]) == 2
    return accepted.body


def lookup(eval_call: flows.Transport, number: str) -> dict[str, Any]:
    reply = eval_call("GET", f"/api/v1/certificates/{number}")  # anyone, no token
    assert reply.status == 200, reply.body
    return reply.body


def stored(evaluation: Any, number: str) -> Certificate:
    with evaluation.db.reader() as session:
        return session.get_one(Certificate, number)


def recorded(registration: Any, number: str) -> CertificateRecord:
    with registration.db.reader() as session:
        return session.get_one(CertificateRecord, number)


def both_sides(registration: Any, evaluation: Any, producer_id: str) -> tuple[Any, ...]:
    """What a refused filing must leave alone in both services."""
    with registration.db.reader() as session:
        dossiers = session.execute(
            select(func.count()).where(Dossier.producer_id == uuid.UUID(producer_id))
        ).scalar_one()
        r_outbox = session.execute(
            select(func.count()).select_from(registration.outbox)
        ).scalar_one()
        certificates = session.execute(
            select(CertificateRecord.number, CertificateRecord.status).order_by(
                CertificateRecord.number
            )
        ).all()
    with evaluation.db.reader() as session:
        e_outbox = session.execute(select(func.count()).select_from(evaluation.outbox)).scalar_one()
        cases = session.execute(select(func.count()).select_from(Case)).scalar_one()
    return dossiers, r_outbox, tuple(certificates), e_outbox, cases


# --- a recognised upgrade -------------------------------------------------------------------


def test_an_upgrade_from_3_to_4_stars_supersedes_the_old_certificate(
    registration, evaluation, eval_call, commune_officer, people
) -> None:
    old = certify(registration, evaluation, commune_officer, people, star_rank=3)
    assert recorded(registration, old["number"]).status == "valid"
    dossier = file_and_accept(
        registration, evaluation, commune_officer, people, "upgrade", old["number"]
    )
    assert dossier["certificate_number"] == old["number"]
    with evaluation.db.reader() as session:
        case = session.get_one(Case, uuid.UUID(dossier["id"]))
        assert (case.registration_type, case.previous_certificate) == ("upgrade", old["number"])
        assert case.filed_on == days_ago(0)
        assert case.decision_due_on is None  # the 45-day limit is a re-evaluation's

    # The product keeps its 3★ certificate while the upgrade is evaluated.
    assert lookup(eval_call, old["number"])["status"] == "valid"
    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=4, level="province", closed_on=days_ago(4)
    )
    before = len(outbox_events(evaluation, dossier["id"]))
    reply = decide(people["province_authority"], dossier["id"], version, days_ago(1))
    assert reply.status == 201, reply.body
    new = reply.body["certificate"]
    assert (new["star_rank"], new["status"]) == (4, "valid")

    old_now, new_now = lookup(eval_call, old["number"]), lookup(eval_call, new["number"])
    assert (old_now["status"], old_now["star_rank"]) == ("superseded", 3)
    assert old_now["superseded_by"] == new["number"]  # the label check points to the new one
    assert (new_now["status"], new_now["star_rank"]) == ("valid", 4)
    assert stored(evaluation, old["number"]).superseded_by == new["number"]
    assert stored(evaluation, new["number"]).superseded_by is None

    issued = outbox_events(evaluation, dossier["id"])[before:]
    assert [e["type"] for e in issued] == ["evaluation.decided", "certificate.issued"]
    assert issued[1]["payload"]["replaces"] == old["number"]
    assert issued[1]["payload"]["number"] == new["number"]

    # Registration learns it: the old number can no longer be named.
    deliver(evaluation, registration, dossier["id"])
    assert recorded(registration, old["number"]).status == "superseded"
    assert recorded(registration, new["number"]).status == "valid"
    assert recorded(registration, new["number"]).producer_id == uuid.UUID(people["producer_id"])
    again = file(people, "upgrade", old["number"])
    assert again.status == 422, again.body
    assert again.body["field_params"]["certificate_number"]["certificate_status"] == "superseded"
    # … and a superseded certificate is not revoked either.
    revoked = people["district_authority"](
        "POST",
        f"/api/v1/certificates/{old['number']}/revocation",
        json={"ground": "mark_misuse", "found_on": days_ago(0).isoformat()},
    )
    assert_problem(revoked, 409, "transition-not-allowed")


def test_no_certificate_is_issued_for_an_upgrade_not_above_its_certificate(
    registration, evaluation, eval_call, commune_officer, people
) -> None:
    """A council's close ends such an upgrade, not recognised (test_upgrade_rules); a case
    left awaiting the decision on a rank not above the certificate is refused to the authority:
    no second certificate of the same rank is issued beside the first."""
    old = certify(registration, evaluation, commune_officer, people, star_rank=4)
    dossier = file_and_accept(
        registration, evaluation, commune_officer, people, "upgrade", old["number"]
    )
    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=4, level="province", closed_on=days_ago(3)
    )
    before = len(outbox_events(evaluation, dossier["id"]))
    reply = decide(people["province_authority"], dossier["id"], version, days_ago(1))
    assert_problem(reply, 409, "transition-not-allowed")
    assert reply.body["code"] == "decision.nothing_new"
    assert reply.body["params"]["number"] == old["number"]
    assert lookup(eval_call, old["number"])["status"] == "valid"
    assert stored(evaluation, old["number"]).superseded_by is None
    assert len(outbox_events(evaluation, dossier["id"])) == before
    with evaluation.db.reader() as session:
        issued = session.execute(
            select(func.count()).where(Certificate.dossier_id == uuid.UUID(dossier["id"]))
        ).scalar_one()
    assert issued == 0


# --- refused upgrades -----------------------------------------------------------------------


def test_an_upgrade_of_a_5_star_certificate_is_refused(
    registration, evaluation, commune_officer, people
) -> None:
    five = certify(registration, evaluation, commune_officer, people, star_rank=5)
    before = both_sides(registration, evaluation, people["producer_id"])
    reply = file(people, "upgrade", five["number"])
    assert_problem(reply, 422, "validation-error")
    assert "5★" in reply.body["errors"]["certificate_number"][0]
    assert both_sides(registration, evaluation, people["producer_id"]) == before


def test_an_upgrade_of_another_producers_certificate_is_refused(
    registration, evaluation, call, admin, eval_call, commune_officer, people
) -> None:
    stranger = flows.register(call, own_address=True)
    others = {
        **people,
        "registration_applicant": stranger,
        "applicant": on_evaluation(eval_call, stranger),
        "producer_id": flows.create_producer(stranger)["id"],
    }
    theirs = certify(registration, evaluation, commune_officer, others, star_rank=3)
    before = both_sides(registration, evaluation, people["producer_id"])
    reply = file(people, "upgrade", theirs["number"])
    assert_problem(reply, 422, "validation-error")
    assert "holds no certificate" in reply.body["errors"]["certificate_number"][0]
    assert both_sides(registration, evaluation, people["producer_id"]) == before
    # Its holder may: the refusal was about whose certificate it is.
    assert file(others, "upgrade", theirs["number"]).status == 201


def test_an_upgrade_of_a_revoked_certificate_is_refused(
    registration, evaluation, eval_call, commune_officer, people
) -> None:
    cert = certify(registration, evaluation, commune_officer, people, star_rank=3)
    # A draft prepared while it was valid…
    draft = file(people, "upgrade", cert["number"])
    assert draft.status == 201, draft.body
    revoked = people["district_authority"](
        "POST",
        f"/api/v1/certificates/{cert['number']}/revocation",
        json={"ground": "breach_of_law", "found_on": days_ago(1).isoformat()},
    )
    assert revoked.status == 201, revoked.body
    deliver(evaluation, registration, cert["dossier_id"])
    assert recorded(registration, cert["number"]).status == "revoked"

    before = both_sides(registration, evaluation, people["producer_id"])
    reply = file(people, "upgrade", cert["number"])
    assert_problem(reply, 422, "validation-error")
    assert reply.body["field_params"]["certificate_number"]["certificate_status"] == "revoked"
    # … is not submitted either.
    submit = flows.act(people["registration_applicant"], draft.body, "submit")
    assert_problem(submit, 422, "validation-error")
    assert both_sides(registration, evaluation, people["producer_id"]) == before
    current = people["registration_applicant"]("GET", f"/api/v1/dossiers/{draft.body['id']}")
    assert (current.body["status"], current.body["version"]) == ("draft", draft.body["version"])
    assert lookup(eval_call, cert["number"])["status"] == "revoked"
