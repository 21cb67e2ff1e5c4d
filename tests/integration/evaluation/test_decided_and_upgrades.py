"""Withdrawal ends where a decision begins, and upgrades are of one product, one at a time
(issue 20.3), over the registration and evaluation APIs with the events between them
delivered as production does.

* A dossier cannot be withdrawn once a level has decided its case: registration learns it from
  ``evaluation.decided`` (recognised, not recognised, rejected; a return for completion is not
  a decision) or ``certificate.issued``, and records ``decided_outcome``. Withdrawn before, the
  case stops and so does its open evaluation.
* An upgrade names a certificate of the same producer and product set; one upgrade of a
  certificate is under way at a time; a council result not above the certificate's rank
  recognises nothing new (the case ends, not recognised; the certificate stands; the applicant
  is told why); a superseded certificate's dossier names its successor.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from services.evaluation.models import Certificate, Evaluation
from services.notification.models import Delivery
from services.registration.models import Dossier
from tests.integration.evaluation.test_decisions import (
    assert_problem,
    awaiting_decision,
    days_ago,
    sign_in_people,
)
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver, deliver_accounts
from tests.support.councils import case_of, decide
from tests.unit.evaluation.sheets import answers_for

SET = kit.SET_CODE  # the sheet answers_for scores
OTHER_SET = "04"
LEVEL_OF_RANK = {3: "district", 4: "province", 5: "national"}


@pytest.fixture(scope="module")
def people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


@pytest.fixture(scope="module")
def council(admin, eval_call, evaluation) -> kit.Council:
    return kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=2
    )


# --- driving cases --------------------------------------------------------------------------


def file(
    people: dict[str, Any],
    registration_type: str = "first",
    number: str | None = None,
    set_code: str = SET,
) -> flows.Reply:
    """The producer opens a draft (registration API)."""
    body = flows.dossier_body(people["producer_id"], set_code) | {
        "registration_type": registration_type,
        "certificate_number": number,
    }
    return people["registration_applicant"]("POST", "/api/v1/dossiers", json=body)


def submit(people: dict[str, Any], draft: dict[str, Any]) -> flows.Reply:
    applicant = people["registration_applicant"]
    assert flows.upload(applicant, draft["id"], "business_registration").status == 201
    return flows.act(applicant, read(people, draft["id"]), "submit")


def accepted(
    registration: Any,
    evaluation: Any,
    commune_officer: flows.Actor,
    people: dict[str, Any],
    registration_type: str = "first",
    number: str | None = None,
    set_code: str = SET,
) -> dict[str, Any]:
    """A dossier filed, submitted, accepted and delivered to evaluation."""
    draft = file(people, registration_type, number, set_code)
    assert draft.status == 201, draft.body
    submitted = submit(people, draft.body)
    assert submitted.status == 200, submitted.body
    reply = flows.act(commune_officer, submitted.body, "accept")
    assert reply.status == 200, reply.body
    assert deliver(registration, evaluation, draft.body["id"]) == 2
    return reply.body


def certify(
    registration: Any,
    evaluation: Any,
    commune_officer: flows.Actor,
    people: dict[str, Any],
    *,
    star_rank: int = 3,
    set_code: str = SET,
) -> dict[str, Any]:
    """A first dossier recognised at ``star_rank`` (the council's close written as it leaves
    the case, the authority's decision over the API), its events delivered to registration.
    Returns the certificate with its ``dossier_id``."""
    dossier = accepted(registration, evaluation, commune_officer, people, set_code=set_code)
    level = LEVEL_OF_RANK[star_rank]
    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=star_rank, level=level, closed_on=days_ago(23)
    )
    reply = decide(people[f"{level}_authority"], dossier["id"], version, days_ago(20))
    assert reply.status == 201, reply.body
    assert deliver(evaluation, registration, dossier["id"]) == 3
    return reply.body["certificate"] | {"dossier_id": dossier["id"]}


def read(people: dict[str, Any], dossier_id: str) -> dict[str, Any]:
    reply = people["registration_applicant"]("GET", f"/api/v1/dossiers/{dossier_id}")
    assert reply.status == 200, reply.body
    return reply.body


def registration_state(registration: Any, dossier_id: str) -> tuple[Any, ...]:
    """What a refused withdrawal must leave alone: the row and the outbox."""
    with registration.db.reader() as session:
        row = session.get_one(Dossier, uuid.UUID(dossier_id))
        outbox = session.execute(select(func.count()).select_from(registration.outbox)).scalar_one()
        return (row.status, row.version, row.updated_at, row.public_status_key, outbox)


def refused_withdrawal(registration: Any, people: dict[str, Any], dossier_id: str) -> None:
    """The applicant may not withdraw: no button, 409 and nothing changed."""
    current = read(people, dossier_id)
    assert "withdraw" not in current["allowed_actions"]
    before = registration_state(registration, dossier_id)
    reply = flows.act(people["registration_applicant"], current, "withdraw", reason="Đổi ý")
    body = assert_problem(reply, 409, "transition-not-allowed")
    assert body["code"] == "dossier.decided_already"
    assert registration_state(registration, dossier_id) == before
    assert read(people, dossier_id)["status"] == "accepted"


def certificates_of(evaluation: Any, dossier_id: str) -> list[Certificate]:
    with evaluation.db.reader() as session:
        return list(
            session.execute(
                select(Certificate).where(Certificate.dossier_id == uuid.UUID(dossier_id))
            ).scalars()
        )


def events(evaluation: Any, dossier_id: str, type_: str) -> list[dict[str, Any]]:
    return [e["payload"] for e in kit.events(evaluation, dossier_id, type_)]


# --- withdrawal and decisions ---------------------------------------------------------------


def test_a_recognised_dossier_cannot_be_withdrawn(
    registration, evaluation, eval_call, commune_officer, people
) -> None:
    cert = certify(registration, evaluation, commune_officer, people)
    dossier = read(people, cert["dossier_id"])
    assert dossier["decided_outcome"] == "recognised"
    assert dossier["certificate"]["number"] == cert["number"]
    refused_withdrawal(registration, people, cert["dossier_id"])
    # The certificate stays valid and the case recognised: nothing reached evaluation.
    assert case_of(evaluation, cert["dossier_id"]).stage == "recognised"
    assert eval_call("GET", f"/api/v1/certificates/{cert['number']}").body["status"] == "valid"


def test_a_dossier_the_commune_rejected_cannot_be_withdrawn_one_it_returned_can(
    registration, evaluation, commune_officer, officer, people
) -> None:
    rejected, returned = (
        accepted(registration, evaluation, commune_officer, people) for _ in range(2)
    )
    for dossier, proposal in ((rejected, "reject"), (returned, "return")):
        case = officer("GET", f"/api/v1/cases/{dossier['id']}").body
        reply = officer(
            "POST",
            f"/api/v1/cases/{dossier['id']}/commune-review",
            json=kit.review_body(case["version"], proposal, "Thiếu giấy kiểm nghiệm"),
        )
        assert reply.status == 200, reply.body
        deliver(evaluation, registration, dossier["id"])

    assert read(people, rejected["id"])["decided_outcome"] == "rejected"
    refused_withdrawal(registration, people, rejected["id"])

    # A return for completion is no decision: the applicant may still withdraw.
    current = read(people, returned["id"])
    assert (current["status"], current["decided_outcome"]) == ("returned", None)
    assert "withdraw" in current["allowed_actions"]
    reply = flows.act(people["registration_applicant"], current, "withdraw")
    assert reply.status == 200, reply.body


def test_a_case_withdrawn_under_evaluation_ends_its_open_evaluation(
    registration, evaluation, commune_officer, officer, secretariat, council, people
) -> None:
    dossier = accepted(registration, evaluation, commune_officer, people)
    kit.propose(officer, dossier["id"])
    assigned = kit.assign(secretariat, dossier["id"], council.id)
    assert assigned.status == 201, assigned.body
    evaluation_id = assigned.body["id"]
    assert kit.declare(council.chair, evaluation_id).status == 201

    current = read(people, dossier["id"])
    assert current["decided_outcome"] is None and "withdraw" in current["allowed_actions"]
    reply = flows.act(people["registration_applicant"], current, "withdraw", reason="Ngừng SX")
    assert reply.status == 200, reply.body
    assert deliver(registration, evaluation, dossier["id"]) == 1

    assert case_of(evaluation, dossier["id"]).stage == "withdrawn"
    with evaluation.db.reader() as session:
        ended = session.get_one(Evaluation, uuid.UUID(evaluation_id))
        assert (ended.status, ended.closed_at is not None) == ("withdrawn", True)
    # Nobody scores a withdrawn case any more.
    sheet = kit.submit(council.chair, evaluation_id, answers_for(60, marks=3))
    assert sheet.status == 409, sheet.body
    assert kit.finalise(council.chair, evaluation_id).status == 409


def test_a_case_awaiting_the_decision_may_still_be_withdrawn_and_is_then_not_decided(
    registration, evaluation, commune_officer, people
) -> None:
    dossier = accepted(registration, evaluation, commune_officer, people)
    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=3, level="district", closed_on=days_ago(3)
    )
    deliver(evaluation, registration, dossier["id"])
    current = read(people, dossier["id"])
    assert current["decided_outcome"] is None  # a council's close is not the decision
    reply = flows.act(people["registration_applicant"], current, "withdraw")
    assert reply.status == 200, reply.body
    deliver(registration, evaluation, dossier["id"])
    assert case_of(evaluation, dossier["id"]).stage == "withdrawn"
    late = decide(people["district_authority"], dossier["id"], version, days_ago(1))
    assert late.status == 409, late.body
    assert certificates_of(evaluation, dossier["id"]) == []


# --- an upgrade is of the certificate's product, one at a time ------------------------------


def test_an_upgrade_naming_another_products_certificate_is_refused(
    registration, evaluation, commune_officer, people
) -> None:
    cert = certify(registration, evaluation, commune_officer, people, set_code=SET)
    with registration.db.reader() as session:
        before = session.execute(select(func.count()).select_from(Dossier)).scalar_one()
    for registration_type in ("upgrade", "re_evaluation"):
        reply = file(people, registration_type, cert["number"], set_code=OTHER_SET)
        body = assert_problem(reply, 422, "validation-error")
        assert body["field_codes"] == {"certificate_number": "certificate.other_product"}
        given = body["field_params"]["certificate_number"]
        assert (given["certificate_set"], given["dossier_set"]) == (SET, OTHER_SET)
    with registration.db.reader() as session:
        after = session.execute(select(func.count()).select_from(Dossier)).scalar_one()
    assert after == before
    # The certificate's own product may.
    assert file(people, "upgrade", cert["number"], set_code=SET).status == 201


def test_one_upgrade_of_a_certificate_at_a_time(
    registration, evaluation, commune_officer, people
) -> None:
    cert = certify(registration, evaluation, commune_officer, people)
    first, second = (file(people, "upgrade", cert["number"]) for _ in range(2))
    assert first.status == second.status == 201  # drafts are not under way
    assert submit(people, first.body).status == 200

    # While the first is under way, a second is neither filed nor opened.
    before = registration_state(registration, second.body["id"])
    refused = submit(people, second.body)
    body = assert_problem(refused, 422, "validation-error")
    assert body["field_codes"] == {"certificate_number": "certificate.upgrade_under_way"}
    assert body["field_params"]["certificate_number"]["dossier_id"] == first.body["id"]
    assert registration_state(registration, second.body["id"])[:3] == before[:3]
    assert_problem(file(people, "upgrade", cert["number"]), 422, "validation-error")
    # A re-evaluation is not an upgrade: its own rules apply (the window, here not open yet).
    assert file(people, "re_evaluation", cert["number"]).status == 201

    # Withdrawn, the first is no longer under way: the second may be filed.
    current = read(people, first.body["id"])
    assert flows.act(people["registration_applicant"], current, "withdraw").status == 200
    assert (
        flows.act(
            people["registration_applicant"], read(people, second.body["id"]), "submit"
        ).status
        == 200
    )


# --- a result not above the certificate's rank ----------------------------------------------


def test_an_upgrade_scored_at_the_certificates_rank_recognises_nothing_new(
    registration,
    evaluation,
    notification,
    commune_officer,
    officer,
    secretariat,
    council,
    eval_call,
    people,
) -> None:
    cert = certify(registration, evaluation, commune_officer, people, star_rank=3)
    dossier = accepted(registration, evaluation, commune_officer, people, "upgrade", cert["number"])
    kit.propose(officer, dossier["id"])
    assigned = kit.assign(secretariat, dossier["id"], council.id)
    assert assigned.status == 201, assigned.body
    evaluation_id = assigned.body["id"]
    kit.score_all(council, evaluation_id, [answers_for(t, marks=3) for t in (60, 62, 58)])
    closed = kit.finalise(council.secretary, evaluation_id)
    assert closed.status == 200, closed.body
    assert (closed.body["outcome"], closed.body["star_rank"]) == ("not_recognised", 3)
    assert closed.body["reason_code"] == "rank_not_higher"
    answered = officer("GET", f"/api/v1/cases/{dossier['id']}").body
    assert answered["reason_code"] == "rank_not_higher"

    case = case_of(evaluation, dossier["id"])
    assert (case.stage, case.pending_rank) == ("not_recognised", None)
    assert kit.event_types(evaluation, dossier["id"])[-1] == "evaluation.decided"
    [decided] = events(evaluation, dossier["id"], "evaluation.decided")
    assert decided["outcome"] == "not_recognised"
    assert (decided["reason_code"], decided["certificate_number"]) == (
        "rank_not_higher",
        cert["number"],
    )
    assert (decided["star_rank"], decided["certificate_star_rank"]) == (3, 3)
    assert events(evaluation, dossier["id"], "evaluation.awaiting_decision") == []

    # No second certificate; the first stands.
    assert certificates_of(evaluation, dossier["id"]) == []
    held = eval_call("GET", f"/api/v1/certificates/{cert['number']}").body
    assert (held["status"], held["superseded_by"]) == ("valid", None)

    # Registration: decided (no withdrawal), and its status line says why.
    deliver(evaluation, registration, dossier["id"])
    upgrade = read(people, dossier["id"])
    assert (upgrade["decided_outcome"], upgrade["certificate"]) == ("not_recognised", None)
    assert upgrade["public_status_key"] == "decided.not_higher"
    assert cert["number"] in upgrade["public_status"]
    refused_withdrawal(registration, people, dossier["id"])
    # A decided upgrade is no longer under way: the certificate may be upgraded again.
    assert file(people, "upgrade", cert["number"]).status == 201

    # The applicant is told, in their language, with the reason in words.
    deliver_accounts(registration, notification)
    deliver(evaluation, notification, dossier["id"])
    with notification.db.reader() as session:
        told = list(
            session.execute(
                select(Delivery).where(
                    Delivery.dossier_id == uuid.UUID(dossier["id"]),
                    Delivery.event_type == "evaluation.decided",
                )
            ).scalars()
        )
    audiences = {d.audience for d in told}
    assert {"applicant", "commune"} <= audiences
    [mail] = [d for d in told if str(d.account_id) == people["applicant"].account["id"]]
    assert mail.language == "vi"
    assert f"không cao hơn hạng của giấy chứng nhận số {cert['number']} (3 sao)" in mail.body_text
    assert "rank_not_higher" not in mail.body_text + mail.body_html
    # Nothing here sends mail: what was queued goes, so that no later module's sender sends it.
    with notification.db.unit_of_work() as uow:
        uow.session.execute(delete(Delivery).where(Delivery.dossier_id == uuid.UUID(dossier["id"])))
        uow.commit()


# --- a superseded certificate ---------------------------------------------------------------


def test_a_superseded_certificates_dossier_names_its_successor(
    registration, evaluation, commune_officer, people
) -> None:
    old = certify(registration, evaluation, commune_officer, people, star_rank=3)
    assert read(people, old["dossier_id"])["certificate"]["status"] == "valid"
    dossier = accepted(registration, evaluation, commune_officer, people, "upgrade", old["number"])
    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=4, level="province", closed_on=days_ago(4)
    )
    reply = decide(people["province_authority"], dossier["id"], version, days_ago(1))
    assert reply.status == 201, reply.body
    new = reply.body["certificate"]
    deliver(evaluation, registration, dossier["id"])

    before = read(people, old["dossier_id"])
    assert before["certificate"] == {
        "number": old["number"],
        "star_rank": 3,
        "issued_on": old["issued_on"],
        "expires_on": old["expires_on"],
        "status": "superseded",
        "superseded_by": new["number"],
    }
    assert before["public_status_key"] == "certificate.superseded"
    assert before["public_status_params"] == {
        "number": old["number"],
        "superseded_by": new["number"],
        "star_rank": 4,
    }
    assert new["number"] in before["public_status"]
    # The listing says the same; the successor's dossier holds the valid one.
    page = people["registration_applicant"](
        "GET", "/api/v1/dossiers", query_string={"producer_id": people["producer_id"]}
    ).body
    [listed] = [d for d in page["items"] if d["id"] == old["dossier_id"]]
    assert listed["certificate"]["superseded_by"] == new["number"]
    after = read(people, dossier["id"])
    assert after["certificate"]["number"] == new["number"]
    assert (after["certificate"]["status"], after["certificate"]["superseded_by"]) == (
        "valid",
        None,
    )
    assert after["decided_outcome"] == "recognised"


def test_certificate_reads_before_a_decision_are_empty(
    registration, evaluation, commune_officer, people
) -> None:
    draft = file(people)
    assert draft.status == 201, draft.body
    assert (draft.body["certificate"], draft.body["decided_outcome"]) == (None, None)
    assert read(people, draft.body["id"])["certificate"] is None
