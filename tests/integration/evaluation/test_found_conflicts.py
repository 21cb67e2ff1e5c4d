"""A conflict of interest found by the secretariat of the level or the council's chair and
recorded for a member: the same effects as the member's own declaration, and a sheet the member
handed in before is set aside."""

from __future__ import annotations

import uuid

import pytest

from tests.support import councils as kit
from tests.support import flows
from tests.unit.evaluation.sheets import answers_for

REASON = "Con gái là thành viên hợp tác xã của chủ thể"


@pytest.fixture(scope="module")
def secretariats(admin, eval_call) -> dict[str, flows.Actor]:
    return {
        name: kit.official(admin, eval_call, ["secretariat"], unit)
        for name, unit in (
            ("district", kit.DISTRICT),
            ("other_district", kit.OTHER_DISTRICT),
            ("province", kit.PROVINCE),
        )
    } | {
        # Reads every case of the province as its auditor: oversees, but not of the level.
        "auditing_province": kit.official(
            admin, eval_call, ["secretariat", "auditor"], kit.PROVINCE
        )
    }


@pytest.fixture(scope="module")
def council(admin, eval_call, evaluation) -> kit.Council:
    """Chair, secretary and three members: five seats, quorum 4 (3 once one is conflicted)."""
    return kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=3
    )


@pytest.fixture()
def opened(registration, evaluation, owner, commune_officer, officer, secretariats, council):
    """A case under evaluation by the district council: (dossier id, evaluation id)."""
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    kit.propose(officer, dossier["id"])
    reply = kit.assign(secretariats["district"], dossier["id"], council.id)
    assert reply.status == 201, reply.body
    return dossier["id"], reply.body["id"]


def record(actor: flows.Actor, evaluation_id: str, member_id: str, **body) -> flows.Reply:
    payload = {"account_id": member_id, "reason": REASON} | body
    return actor("POST", f"/api/v1/evaluations/{evaluation_id}/conflicts/found", json=payload)


def test_a_found_conflict_sets_the_members_sheet_aside(
    evaluation, eval_call, owner, secretariats, council, opened
) -> None:
    dossier_id, ev = opened
    found = council.members[2]
    # Everyone scores; the member with the undisclosed tie scores far above the others.
    kit.score_all(
        council,
        ev,
        [answers_for(80, marks=4)] * 4 + [answers_for(100, marks=5)],
    )
    spread = council.chair("GET", f"/api/v1/evaluations/{ev}").body["spread"]
    assert spread["exceeded"] is True  # with the 100 the council could not close

    secretariat = secretariats["district"]
    reply = record(secretariat, ev, found.account["id"])
    assert reply.status == 201, reply.body
    assert (reply.body["account_id"], reply.body["conflicted"]) == (found.account["id"], True)
    assert reply.body["recorded_by"] == secretariat.account["id"]
    assert reply.body["reason"] == REASON
    event = kit.events(evaluation, dossier_id, "evaluation.conflict_declared")[-1]
    assert event["actor"]["user_id"] == secretariat.account["id"]
    payload = event["payload"]
    assert (payload["account_id"], payload["conflicted"], payload["reason"]) == (
        found.account["id"],
        True,
        REASON,
    )
    assert payload["recorded_by"] == secretariat.account["id"]
    assert payload["sheet_set_aside"] is True

    # The member reads and scores nothing more, and cannot declare over the finding: from the
    # finding the case does not exist for them (ADR 0009: 404; before, 403 and 409).
    before = kit.snapshot(evaluation, dossier_id)
    for reply in (
        found("GET", f"/api/v1/evaluations/{ev}/dossier"),
        kit.revise(found, ev, answers_for(90), revision=1),
        kit.declare(found, ev),
        found("GET", f"/api/v1/evaluations/{ev}/sheets/mine"),
        found("GET", f"/api/v1/cases/{dossier_id}"),
    ):
        assert reply.status == 404 and reply.body["type"] == "urn:ocop:problem:not-found"
        assert REASON not in str(reply.body)
    assert kit.snapshot(evaluation, dossier_id) == before

    # Quorum and spread count without the member; the result leaves the sheet out.
    standing = council.chair("GET", f"/api/v1/evaluations/{ev}").body
    quorum = standing["quorum"]
    assert (quorum["eligible"], quorum["sheets"], quorum["conflicted"]) == (4, 4, 1)
    assert standing["spread"]["totals"] == [80, 80, 80, 80]
    closed = kit.finalise(council.chair, ev)
    assert closed.status == 200, closed.body
    assert (closed.body["status"], closed.body["result"]["total"]) == ("closed", 80.0)
    assert closed.body["result"]["members"] == 4

    # After closing the sheet is kept, marked as set aside; its author still reads nothing.
    sheets = secretariat("GET", f"/api/v1/evaluations/{ev}/sheets")
    assert sheets.status == 200, sheets.body
    aside = {s["account_id"]: s["set_aside"] for s in sheets.body["items"]}
    assert aside == {p.account["id"]: p is found for p in council.everyone}
    assert found("GET", f"/api/v1/evaluations/{ev}/sheets").status == 404
    # The applicant reads its case, never the council's evaluation nor its sheets.
    applicant = kit.on_evaluation(eval_call, owner)
    assert applicant("GET", f"/api/v1/cases/{dossier_id}").status == 200
    for path in (f"/api/v1/evaluations/{ev}", f"/api/v1/evaluations/{ev}/sheets"):
        reply = applicant("GET", path)
        assert reply.status == 404 and "items" not in reply.body, reply.body


def test_the_chair_records_a_conflict_before_the_member_declares(
    evaluation, council, opened
) -> None:
    dossier_id, ev = opened
    member = council.members[0]
    reply = record(council.chair, ev, member.account["id"])
    assert reply.status == 201, reply.body
    assert reply.body["recorded_by"] == council.chair.account["id"]
    payload = kit.events(evaluation, dossier_id, "evaluation.conflict_declared")[-1]["payload"]
    assert (payload["recorded_by"], payload["sheet_set_aside"]) == (
        council.chair.account["id"],
        False,
    )

    # From the finding the case does not exist for the member (ADR 0009: 404; before, the
    # declaration answered 409 and the rest 403).
    before = kit.snapshot(evaluation, dossier_id)
    assert kit.declare(member, ev).status == 404
    assert kit.submit(member, ev, answers_for(80, marks=4)).status == 404
    assert member("GET", f"/api/v1/evaluations/{ev}/dossier").status == 404
    # Recorded once: a second finding for the same member changes nothing.
    twice = record(council.chair, ev, member.account["id"], reason="Lần nữa")
    assert twice.status == 409 and twice.body["type"] == "urn:ocop:problem:conflict"
    assert kit.snapshot(evaluation, dossier_id) == before
    quorum = council.secretary("GET", f"/api/v1/evaluations/{ev}").body["quorum"]
    assert (quorum["eligible"], quorum["required"], quorum["conflicted"]) == (4, 3, 1)


def test_a_member_who_declared_a_conflict_needs_no_finding(evaluation, council, opened) -> None:
    dossier_id, ev = opened
    member = council.members[1]
    assert kit.declare(member, ev, conflicted=True, reason="Họ hàng").status == 201
    before = kit.snapshot(evaluation, dossier_id)
    assert record(council.chair, ev, member.account["id"]).status == 409
    assert kit.snapshot(evaluation, dossier_id) == before


@pytest.mark.parametrize(
    ("who", "status", "slug"),
    [
        ("secretary", 403, "forbidden"),  # sits on the council, but is not its chair
        ("member", 403, "forbidden"),
        ("auditing_province", 403, "forbidden"),  # oversees the case, not of its level
        # Not on the case (ADR 0009): the province's secretariat before the case reaches the
        # province (before, its unit reached it: 403), another district's, the applicant.
        ("province_secretariat", 404, "not-found"),
        ("other_district_secretariat", 404, "not-found"),
        ("owner", 404, "not-found"),
        # A chair who declared a conflict reaches nothing of the case any more (before: 403).
        ("conflicted_chair", 404, "not-found"),
    ],
)
def test_only_the_level_secretariat_or_the_chair_records(
    evaluation, owner, secretariats, council, opened, who, status, slug
) -> None:
    dossier_id, ev = opened
    target = council.members[2].account["id"]
    actor = {
        "secretary": council.secretary,
        "member": council.members[0],
        "province_secretariat": secretariats["province"],
        "auditing_province": secretariats["auditing_province"],
        "other_district_secretariat": secretariats["other_district"],
        "owner": kit.on_evaluation(council.chair.call, owner),
        "conflicted_chair": council.chair,
    }[who]
    if who == "conflicted_chair":
        assert kit.declare(council.chair, ev, conflicted=True, reason="Đồng sở hữu").status == 201
    before = kit.snapshot(evaluation, dossier_id)
    reply = record(actor, ev, target)
    assert (reply.status, reply.body["type"]) == (status, f"urn:ocop:problem:{slug}")
    assert "reason" not in reply.body and REASON not in str(reply.body)
    assert kit.snapshot(evaluation, dossier_id) == before


def test_bad_findings_change_nothing(evaluation, secretariats, council, opened, eval_call) -> None:
    dossier_id, ev = opened
    secretariat = secretariats["district"]
    target = council.members[0].account["id"]
    before = kit.snapshot(evaluation, dossier_id)
    bad = [
        ({"account_id": str(uuid.uuid4())}, "account_id"),  # not on the council
        ({"account_id": secretariat.account["id"]}, "account_id"),
        ({"reason": ""}, "reason"),
        ({"reason": None}, "reason"),
        ({"conflicted": False}, "conflicted"),  # a finding is always a conflict
        ({"recorded_by": target}, "recorded_by"),
    ]
    for body, field in bad:
        reply = record(secretariat, ev, target, **body)
        assert reply.status == 422, (body, reply.body)
        assert field in reply.body["errors"], (body, reply.body)
    own = record(council.chair, ev, council.chair.account["id"])
    assert own.status == 422 and "account_id" in own.body["errors"]
    missing = record(secretariat, str(uuid.uuid4()), target)
    assert missing.status == 404
    anonymous = eval_call(
        "POST",
        f"/api/v1/evaluations/{ev}/conflicts/found",
        json={"account_id": target, "reason": REASON},
    )
    assert anonymous.status == 401
    assert kit.snapshot(evaluation, dossier_id) == before


def test_no_finding_after_the_council_closes(evaluation, secretariats, council, opened) -> None:
    dossier_id, ev = opened
    kit.score_all(council, ev, [answers_for(80, marks=4)] * 5)
    assert kit.finalise(council.chair, ev).status == 200
    before = kit.snapshot(evaluation, dossier_id)
    reply = record(secretariats["district"], ev, council.members[0].account["id"])
    assert reply.status == 409 and reply.body["type"] == "urn:ocop:problem:transition-not-allowed"
    assert kit.snapshot(evaluation, dossier_id) == before
