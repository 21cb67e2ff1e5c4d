"""The commune review (Form 03): propose upward, return to the applicant, or reject."""

from __future__ import annotations

import pytest

from tests.support import councils as kit
from tests.support import flows


@pytest.fixture()
def case(registration, evaluation, owner, commune_officer, officer) -> dict:
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    reply = officer("GET", f"/api/v1/cases/{dossier['id']}")
    assert reply.status == 200, reply.body
    return reply.body


def _review(officer, case: dict, proposal: str = "propose", reasons: str | None = None, **extra):
    body = kit.review_body(case["version"], proposal, reasons) | extra
    return officer("POST", f"/api/v1/cases/{case['dossier_id']}/commune-review", json=body)


def test_propose_moves_the_case_to_the_district(evaluation, officer, case) -> None:
    reply = _review(officer, case, reasons="Sản phẩm tiêu biểu của xã")
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["level"], body["stage"]) == ("district", "awaiting_assignment")
    assert body["version"] == case["version"] + 1
    review = body["commune_review"]
    assert review["proposal"] == "propose"
    assert review["local_criteria"]["idea_origin"]["rating"] == "partly"
    assert review["reviewed_by"] == officer.account["id"]

    forwarded = kit.events(evaluation, case["dossier_id"], "evaluation.forwarded")
    assert len(forwarded) == 1
    event = forwarded[0]
    assert (event["payload"]["level"], event["payload"]["to_level"]) == ("commune", "district")
    assert event["payload"]["reason"] == "Sản phẩm tiêu biểu của xã"
    assert event["payload"]["evaluation_id"] is None
    report = event["payload"]["commune_report"]
    assert report["proposal"] == "propose"
    assert report["local_criteria"] == review["local_criteria"]
    assert event["actor"] == {"user_id": officer.account["id"], "role": "commune_officer"}

    # Reviewed once: a second review of the same case is refused and changes nothing.
    before = kit.snapshot(evaluation, case["dossier_id"])
    again = _review(officer, body)
    assert again.status == 409 and again.body["type"] == "urn:ocop:problem:transition-not-allowed"
    assert kit.snapshot(evaluation, case["dossier_id"]) == before


@pytest.mark.parametrize(
    ("proposal", "stage", "outcome"),
    [("return", "returned", "returned"), ("reject", "not_recognised", "rejected")],
)
def test_return_or_reject_needs_reasons_and_tells_registration(
    evaluation, officer, case, proposal, stage, outcome
) -> None:
    before = kit.snapshot(evaluation, case["dossier_id"])
    bare = _review(officer, case, proposal)
    assert bare.status == 422 and "reasons" in bare.body["errors"]
    blank = _review(officer, case, proposal, reasons="   ")
    assert blank.status == 422
    assert kit.snapshot(evaluation, case["dossier_id"]) == before

    reasons = "Thiếu giấy chứng nhận an toàn thực phẩm còn hiệu lực"
    reply = _review(officer, case, proposal, reasons=reasons)
    assert reply.status == 200, reply.body
    assert (reply.body["level"], reply.body["stage"]) == ("commune", stage)
    assert reply.body["commune_review"]["reasons"] == reasons
    decided = kit.events(evaluation, case["dossier_id"], "evaluation.decided")
    assert [(e["payload"]["outcome"], e["payload"]["reason"]) for e in decided] == [
        (outcome, reasons)
    ]
    assert "evaluation.forwarded" not in kit.event_types(evaluation, case["dossier_id"])


def test_bad_reviews_change_nothing(admin, eval_call, evaluation, owner, officer, case) -> None:
    path = f"/api/v1/cases/{case['dossier_id']}/commune-review"
    before = kit.snapshot(evaluation, case["dossier_id"])

    incomplete = kit.review_body(case["version"])
    del incomplete["local_criteria"]["local_labour"]
    reply = officer("POST", path, json=incomplete)
    assert reply.status == 422 and "local_labour" in str(reply.body["errors"])

    bad_rating = kit.review_body(case["version"])
    bad_rating["local_criteria"]["local_identity"]["rating"] = "maybe"
    assert officer("POST", path, json=bad_rating).status == 422

    smuggled = officer(
        "POST", path, json=kit.review_body(case["version"]) | {"stage": "recognised"}
    )
    assert smuggled.status == 422 and "stage" in smuggled.body["errors"]
    assert officer("POST", path, json=kit.review_body(case["version"], "forward")).status == 422

    stale = officer("POST", path, json=kit.review_body(case["version"] - 1))
    assert stale.status == 409 and stale.body["current_version"] == case["version"]

    # In reach but not the officer handling the dossier: 403.
    for who in (
        kit.official(admin, eval_call, ["auditor"], kit.DISTRICT),
        kit.official(admin, eval_call, ["admin"], None),
        kit.on_evaluation(eval_call, owner),
    ):
        reply = who("POST", path, json=kit.review_body(case["version"]))
        assert reply.status == 403, reply.body
        assert reply.body["type"] == "urn:ocop:problem:forbidden"
    # Not on the case: 404, as for a missing case (ADR 0009). Another officer of the same
    # commune no longer sees a dossier its colleague took, and the district's secretariat and
    # officials see nothing until the commune proposes it (before, all of them reached it by
    # their unit and got 403).
    for who in (
        kit.official(admin, eval_call, ["commune_officer"], flows.COMMUNE),
        kit.official(admin, eval_call, ["secretariat"], kit.DISTRICT),
        kit.official(admin, eval_call, ["commune_officer"], kit.DISTRICT),
        kit.official(admin, eval_call, ["commune_officer"], flows.OTHER_COMMUNE),
    ):
        reply = who("POST", path, json=kit.review_body(case["version"]))
        assert reply.status == 404 and case["product_name"] not in str(reply.body)

    assert kit.snapshot(evaluation, case["dossier_id"]) == before


def test_returned_dossier_goes_back_to_the_applicant_and_starts_over(
    registration, evaluation, owner, commune_officer, officer, case
) -> None:
    from tests.support.cases import deliver

    dossier_id = case["dossier_id"]
    reasons = "Bổ sung phiếu kiểm nghiệm"
    assert _review(officer, case, "return", reasons=reasons).status == 200
    # Registration hears of it: the dossier is back in the applicant's hands.
    assert deliver(evaluation, registration, dossier_id) == 2
    dossier = owner("GET", f"/api/v1/dossiers/{dossier_id}").body
    assert dossier["status"] == "returned"
    assert dossier["missing_items"] == [{"item": "commune_review", "note": reasons}]
    returned = [
        e
        for e in kit.registration_events(registration, dossier_id)
        if e["type"] == "dossier.returned"
    ]
    assert returned[-1]["actor"] == {"user_id": officer.account["id"], "role": "commune_officer"}

    # The applicant completes it; the commune accepts it again; the review starts over.
    assert flows.upload(owner, dossier_id, "test_report").status == 201
    resubmitted = flows.act(owner, dossier, "resubmit").body
    accepted = flows.act(commune_officer, resubmitted, "accept")
    assert accepted.status == 200, accepted.body
    deliver(registration, evaluation, dossier_id)
    reopened = officer("GET", f"/api/v1/cases/{dossier_id}").body
    assert (reopened["level"], reopened["stage"]) == ("commune", "commune_review")
    assert kit.event_types(evaluation, dossier_id).count("evaluation.opened") == 2
