"""At a scoring level: assignment, conflicts of interest, score sheets and their revisions."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest

from services.evaluation import models
from shared.calendar import TIMEZONE
from tests.support import councils as kit
from tests.support import flows
from tests.unit.evaluation.sheets import answers_for


@pytest.fixture(scope="module")
def council(admin, eval_call, evaluation) -> kit.Council:
    """Chair, secretary and two members: a quorum is 3 sheets with the chair's."""
    return kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=2
    )


@pytest.fixture()
def proposed(registration, evaluation, owner, commune_officer, officer) -> dict:
    """A case awaiting assignment at the district."""
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    return kit.propose(officer, dossier["id"])


@pytest.fixture()
def opened(secretariat, council, proposed) -> tuple[str, dict]:
    """A case assigned to the district council: (dossier id, evaluation)."""
    reply = kit.assign(secretariat, proposed["dossier_id"], council.id)
    assert reply.status == 201, reply.body
    return proposed["dossier_id"], reply.body


# --- assignment -----------------------------------------------------------------------------


def datetime_today() -> date:
    return datetime.now(TIMEZONE).date()


def test_assignment_opens_an_evaluation(evaluation, secretariat, council, proposed) -> None:
    today = datetime_today()
    round_id = kit.schedule_round(
        evaluation,
        level="district",
        unit=kit.DISTRICT,
        proposals_due=today + timedelta(days=20),
        closes_on=today + timedelta(days=60),
    )
    reply = kit.assign(secretariat, proposed["dossier_id"], council.id, round_id=round_id)
    assert reply.status == 201, reply.body
    body = reply.body
    assert (body["status"], body["level"], body["council_id"]) == ("open", "district", council.id)
    assert body["round_id"] == round_id and body["rescore_count"] == 0
    assert body["quorum"] == {
        "eligible": 4,
        "sheets": 0,
        "required": 3,
        "chair_required": True,
        "chair_in": False,
        "met": False,
        "declared": 0,
        "conflicted": 0,
    }

    case = secretariat("GET", f"/api/v1/cases/{proposed['dossier_id']}").body
    assert (case["level"], case["stage"]) == ("district", "in_evaluation")
    assert [e["id"] for e in case["evaluations"]] == [body["id"]]
    assert case["evaluations"][0]["result"] is None

    opened = kit.events(evaluation, proposed["dossier_id"], "evaluation.opened")[-1]["payload"]
    assert opened["evaluation_id"] == body["id"] and opened["level"] == "district"
    assert opened["chair_id"] == council.chair.account["id"]
    assert opened["secretary_id"] == council.secretary.account["id"]
    assert sorted(opened["council_member_ids"]) == sorted(p.account["id"] for p in council.everyone)
    assert opened["round_id"] == round_id
    assert opened["round_closes_on"] == (today + timedelta(days=60)).isoformat()


def test_without_a_round_the_one_taking_proposals_today_is_used(
    evaluation, secretariat, council, proposed
) -> None:
    today = datetime_today()
    kit.schedule_round(
        evaluation, level="district", unit=kit.DISTRICT, proposals_due=today, closes_on=today
    )
    reply = kit.assign(secretariat, proposed["dossier_id"], council.id)
    assert reply.status == 201, reply.body
    with evaluation.db.reader() as session:
        round_ = session.get(models.Round, uuid.UUID(reply.body["round_id"]))
        assert round_ is not None
        # The earliest due date still open today: nothing can come before today's.
        assert (round_.proposals_due, round_.closes_on) == (today, today)


def test_bad_assignments_change_nothing(
    admin, eval_call, evaluation, owner, officer, secretariat, council, proposed
) -> None:
    dossier_id = proposed["dossier_id"]
    path = f"/api/v1/cases/{dossier_id}/evaluations"
    version = proposed["version"]
    province = kit.form_council(
        admin, eval_call, evaluation, level="province", unit=kit.PROVINCE, members=0
    )
    chairless = kit.seat_council(
        evaluation, level="district", unit=kit.DISTRICT, chair=None, members=[council.members[0]]
    )
    other_district = kit.seat_council(
        evaluation, level="district", unit=kit.OTHER_DISTRICT, chair=council.chair
    )
    past_round = kit.schedule_round(
        evaluation,
        level="district",
        unit=kit.DISTRICT,
        proposals_due=date(2020, 4, 30),
        closes_on=date(2020, 6, 30),
    )
    before = kit.snapshot(evaluation, dossier_id)

    def post(who, **body):
        return who("POST", path, json={"version": version, "council_id": council.id, **body})

    for council_id in (province.id, chairless, other_district, str(uuid.uuid4())):
        reply = post(secretariat, council_id=council_id)
        assert reply.status == 422 and "council_id" in reply.body["errors"], reply.body
    reply = post(secretariat, round_id=past_round)
    assert reply.status == 422 and "closed" in str(reply.body["errors"]["round_id"])
    assert post(secretariat, status="closed").status == 422
    stale = post(secretariat, version=version - 1)
    assert stale.status == 409 and stale.body["current_version"] == version

    # In reach, wrong role or wrong level: 403 (the handler reads on, the owner, an auditor of
    # the province, the operator; a province secretariat that also audits reads it, but the
    # case is the district's to assign).
    for who in (
        officer,
        kit.on_evaluation(eval_call, owner),
        kit.official(admin, eval_call, ["auditor"], kit.PROVINCE),
        kit.official(admin, eval_call, ["admin"], None),
        kit.official(admin, eval_call, ["secretariat", "auditor"], kit.PROVINCE),
    ):
        assert post(who).status == 403
    # Not on the case: 404 (ADR 0009). The province's secretariat until the case is forwarded
    # there, and a council's members until it is assigned to their council (before, both
    # reached it by their unit and got 403); other units' secretariats.
    for who in (
        kit.official(admin, eval_call, ["secretariat"], kit.PROVINCE),
        council.chair,
        kit.official(admin, eval_call, ["secretariat"], kit.OTHER_DISTRICT),
        kit.official(admin, eval_call, ["secretariat"], kit.OTHER_PROVINCE),
    ):
        reply = post(who)
        assert reply.status == 404 and proposed["product_name"] not in str(reply.body)
    assert kit.snapshot(evaluation, dossier_id) == before

    # Once assigned, the case is no longer awaiting assignment.
    assert post(secretariat).status == 201
    again = kit.assign(secretariat, dossier_id, council.id)
    assert again.status == 409 and again.body["type"] == "urn:ocop:problem:transition-not-allowed"


def test_a_case_still_at_the_commune_cannot_be_assigned(
    admin,
    eval_call,
    registration,
    evaluation,
    owner,
    commune_officer,
    officer,
    secretariat,
    council,
) -> None:
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    case = officer("GET", f"/api/v1/cases/{dossier['id']}")
    assert case.status == 200 and case.body["stage"] == "commune_review", case.body
    path = f"/api/v1/cases/{dossier['id']}/evaluations"
    body = {"version": case.body["version"], "council_id": council.id}
    before = kit.snapshot(evaluation, dossier["id"])
    # The district secretariat is not on a case the commune has not proposed (ADR 0009): no
    # such case for it (before, it read it by its unit and was refused the step, 409).
    reply = secretariat("POST", path, json=body)
    assert reply.status == 404 and case.body["product_name"] not in str(reply.body)
    # A district secretariat that also audits the district reads it: the step is refused.
    auditing = kit.official(admin, eval_call, ["secretariat", "auditor"], kit.DISTRICT)
    reply = auditing("POST", path, json=body)
    assert reply.status == 409 and reply.body["type"] == "urn:ocop:problem:transition-not-allowed"
    assert kit.snapshot(evaluation, dossier["id"]) == before


# --- conflicts of interest ------------------------------------------------------------------


def test_members_declare_before_opening_the_dossier(
    admin, eval_call, evaluation, secretariat, council, opened
) -> None:
    dossier_id, ev = opened
    member, conflicted = council.members
    dossier_path = f"/api/v1/evaluations/{ev['id']}/dossier"

    before = kit.snapshot(evaluation, dossier_id)
    closed_door = member("GET", dossier_path)
    assert closed_door.status == 403 and closed_door.body["code"] == "evaluation.declare_first"
    assert closed_door.body["detail"] and "product_name" not in closed_door.body
    refused = kit.submit(member, ev["id"], answers_for(80, marks=4))
    assert refused.status == 403 and refused.body["code"] == "evaluation.declare_first"
    assert kit.snapshot(evaluation, dossier_id) == before

    declared = kit.declare(member, ev["id"])
    assert declared.status == 201, declared.body
    assert declared.body["conflicted"] is False
    assert declared.body["account_id"] == member.account["id"]
    event = kit.events(evaluation, dossier_id, "evaluation.conflict_declared")[-1]
    assert event["payload"]["account_id"] == member.account["id"]
    assert event["payload"]["conflicted"] is False
    assert event["actor"]["user_id"] == member.account["id"]

    view = member("GET", dossier_path)
    assert view.status == 200, view.body
    assert view.body["product_set_code"] == kit.SET_CODE
    assert view.body["self_assessment"] == flows.complete_answers(kit.SET_CODE)
    assert view.body["commune_review"]["proposal"] == "propose"
    assert [(d["kind"], d["sha256"]) for d in view.body["documents"]] == [
        ("business_registration", kit.PDF_SHA256)
    ]

    # Once only.
    before = kit.snapshot(evaluation, dossier_id)
    again = kit.declare(member, ev["id"], conflicted=True, reason="changed my mind")
    assert again.status == 409 and again.body["type"] == "urn:ocop:problem:conflict"
    assert again.body["code"] == "conflict_declaration.already_made"
    assert kit.snapshot(evaluation, dossier_id) == before

    # A conflicted member reads nothing and scores nothing; the quorum counts without them.
    # From the declaration the case no longer exists for them (ADR 0009): 404, as for a
    # stranger (before, they still reached the evaluation and were refused with 403).
    reason = "Thành viên hợp tác xã của chủ thể"
    assert kit.declare(conflicted, ev["id"], conflicted=True, reason=reason).status == 201
    before = kit.snapshot(evaluation, dossier_id)
    for reply in (
        conflicted("GET", dossier_path),
        kit.submit(conflicted, ev["id"], answers_for(80, marks=4)),
        conflicted("GET", f"/api/v1/evaluations/{ev['id']}/sheets"),
        conflicted("GET", f"/api/v1/evaluations/{ev['id']}"),
        conflicted("GET", f"/api/v1/cases/{dossier_id}"),
    ):
        assert reply.status == 404, reply.body
        assert reply.body["type"] == "urn:ocop:problem:not-found"
        assert "product_name" not in reply.body and "answers" not in reply.body
    assert kit.snapshot(evaluation, dossier_id) == before
    quorum = secretariat("GET", f"/api/v1/evaluations/{ev['id']}").body["quorum"]
    assert (quorum["eligible"], quorum["required"], quorum["conflicted"]) == (3, 3, 1)
    assert quorum["declared"] == 2

    # The secretariat oversees but does not sit: 403. A stranger: 404, as for a missing one.
    not_seated = kit.declare(secretariat, ev["id"])
    assert not_seated.status == 403 and not_seated.body["code"] == "evaluation.not_member"
    assert not_seated.body["detail"] == "Only members of the evaluation's council may do this."
    assert secretariat("GET", dossier_path).status == 403
    stranger = kit.official(admin, eval_call, ["council_member"], kit.OTHER_PROVINCE)
    for reply in (
        kit.declare(stranger, ev["id"]),
        stranger("GET", dossier_path),
        stranger("GET", f"/api/v1/evaluations/{ev['id']}"),
        kit.submit(stranger, ev["id"], answers_for(80, marks=4)),
        kit.declare(member, str(uuid.uuid4())),
    ):
        assert reply.status == 404, reply.body
    assert kit.declare(member, ev["id"]).status == 409  # still once


# --- score sheets ---------------------------------------------------------------------------


def test_sheet_records_points_and_the_documents_the_member_had(evaluation, council, opened):
    dossier_id, ev = opened
    chair = council.chair
    assert kit.declare(chair, ev["id"]).status == 201
    answers = answers_for(85, marks=4)
    reply = kit.submit(chair, ev["id"], answers, "Bao bì đẹp")
    assert reply.status == 201, reply.body
    sheet = reply.body
    assert sheet["total"] == 85 and sum(sheet["part_points"].values()) == 85
    assert sheet["revision"] == 1 and sheet["answers"] == answers
    assert sheet["comment"] == "Bao bì đẹp" and sheet["revisions"] == []
    assert list(sheet["document_hashes"].values()) == [kit.PDF_SHA256]

    event = kit.events(evaluation, dossier_id, "evaluation.sheet_submitted")[-1]["payload"]
    assert event["sheet_id"] == sheet["id"] and event["total"] == 85
    assert event["answers"] == answers and event["document_hashes"] == sheet["document_hashes"]

    # One sheet per member.
    before = kit.snapshot(evaluation, dossier_id)
    twice = kit.submit(chair, ev["id"], answers)
    assert twice.status == 409 and twice.body["code"] == "sheet.already_handed_in"
    assert kit.snapshot(evaluation, dossier_id) == before


def test_bad_sheets_change_nothing(evaluation, council, opened) -> None:
    dossier_id, ev = opened
    member = council.members[0]
    assert kit.declare(member, ev["id"]).status == 201
    path = f"/api/v1/evaluations/{ev['id']}/sheets"
    before = kit.snapshot(evaluation, dossier_id)

    wrong = answers_for(80, marks=4) | {"1.1": "z", "99.9": "a"}
    reply = kit.submit(member, ev["id"], wrong)
    assert reply.status == 422, reply.body
    errors = reply.body["errors"]["answers"]
    assert "1.1" in errors and "99.9" in errors
    assert reply.body["field_codes"]["answers.1.1"] == "answer.unknown_option"
    assert reply.body["field_codes"]["answers.99.9"] == "answer.unknown_criterion"

    partial = dict(list(answers_for(80, marks=4).items())[:10])
    reply = kit.submit(member, ev["id"], partial)
    assert reply.status == 422
    assert "answer.missing" in reply.body["field_codes"].values()

    smuggled = member("POST", path, json={"answers": answers_for(80), "total": 100})
    assert smuggled.status == 422 and "total" in smuggled.body["errors"]
    assert member("POST", path, json={"comment": "no answers"}).status == 422
    assert member("POST", path, data="{not json", content_type="application/json").status == 400
    assert kit.snapshot(evaluation, dossier_id) == before


def test_revisions_keep_old_and_new_values(evaluation, council, opened) -> None:
    dossier_id, ev = opened
    member = council.members[0]
    assert kit.declare(member, ev["id"]).status == 201
    first, second = answers_for(75, marks=4), answers_for(82, marks=4)
    assert kit.submit(member, ev["id"], first, "lần 1").status == 201

    revised = kit.revise(member, ev["id"], second, revision=1, comment="lần 2")
    assert revised.status == 200, revised.body
    assert (revised.body["revision"], revised.body["total"]) == (2, 82)
    [rev] = revised.body["revisions"]
    assert (rev["revision"], rev["old_total"], rev["new_total"]) == (2, 75, 82)
    assert rev["old_answers"] == first and rev["new_answers"] == second
    assert (rev["old_comment"], rev["new_comment"]) == ("lần 1", "lần 2")

    event = kit.events(evaluation, dossier_id, "evaluation.sheet_revised")[-1]["payload"]
    assert (event["revision"], event["old_total"], event["total"]) == (2, 75, 82)
    assert event["old_answers"] == first and event["answers"] == second

    # A client that read revision 1 is out of date now.
    before = kit.snapshot(evaluation, dossier_id)
    stale = kit.revise(member, ev["id"], first, revision=1)
    assert stale.status == 409 and stale.body["current_revision"] == 2
    invalid = kit.revise(member, ev["id"], first | {"2.1": "q"}, revision=2)
    assert invalid.status == 422 and "2.1" in invalid.body["errors"]["answers"]
    assert kit.snapshot(evaluation, dossier_id) == before
    third = kit.revise(member, ev["id"], first, revision=2)
    assert third.status == 200 and third.body["total"] == 75
    mine = member("GET", f"/api/v1/evaluations/{ev['id']}/sheets/mine").body
    assert mine["revision"] == 3 and [r["revision"] for r in mine["revisions"]] == [2, 3]

    # Revising a sheet never handed in: there is none.
    other = council.members[1]
    assert kit.declare(other, ev["id"]).status == 201
    assert kit.revise(other, ev["id"], first, revision=1).status == 404


def test_members_never_see_each_others_sheets_before_close(evaluation, council, opened) -> None:
    dossier_id, ev = opened
    totals = [90, 86, 84]
    kit.score_all(council, ev["id"], [answers_for(t, marks=4) for t in totals])
    member = council.members[0]  # the third scorer (chair, secretary, member)
    before = kit.snapshot(evaluation, dossier_id)

    sealed = member("GET", f"/api/v1/evaluations/{ev['id']}/sheets")
    assert sealed.status == 403 and sealed.body["code"] == "sheet.sealed"
    assert set(sealed.body) <= {
        *("type", "title", "status", "detail", "instance", "request_id", "code", "params")
    }
    assert sealed.body["params"] == {}
    for person, total in zip(council.everyone, totals, strict=False):
        mine = person("GET", f"/api/v1/evaluations/{ev['id']}/sheets/mine")
        assert mine.status == 200 and mine.body["total"] == total
        assert mine.body["account_id"] == person.account["id"]

    # A plain member sees the quorum, not the totals; chair and secretary see the totals only.
    plain = member("GET", f"/api/v1/evaluations/{ev['id']}").body
    assert plain["spread"] is None
    assert plain["mine"] == {
        "seat": "member",
        "declared": True,
        "conflicted": False,
        "sheet_revision": 1,
    }
    assert plain["quorum"]["sheets"] == 3 and plain["quorum"]["met"] is True
    assert plain["quorum"]["chair_in"] is True
    for closer in (council.chair, council.secretary):
        spread = closer("GET", f"/api/v1/evaluations/{ev['id']}").body["spread"]
        assert spread == {"totals": [84, 86, 90], "spread": 6, "max_spread": 10, "exceeded": False}
        assert closer("GET", f"/api/v1/evaluations/{ev['id']}/sheets").status == 403
    assert kit.snapshot(evaluation, dossier_id) == before


def test_withdrawal_stops_the_open_evaluation(registration, evaluation, owner, council, opened):
    from tests.support.cases import deliver

    dossier_id, ev = opened
    dossier = owner("GET", f"/api/v1/dossiers/{dossier_id}").body
    withdrawn = flows.act(owner, dossier, "withdraw", reason="Ngừng sản xuất")
    assert withdrawn.status == 200, withdrawn.body
    assert deliver(registration, evaluation, dossier_id) == 1  # only the new event is news
    with evaluation.db.reader() as session:
        case = session.get(models.Case, uuid.UUID(dossier_id))
        scoring = session.get(models.Evaluation, uuid.UUID(ev["id"]))
        assert case.stage == "withdrawn"
        assert scoring.status == "withdrawn" and scoring.closed_at is not None
    member = council.members[0]
    reply = kit.declare(member, ev["id"])
    assert reply.status == 409, reply.body
