"""Finalising a council's scoring in the four-level regime: quorum, spread, the mean result, its
star rank, and where the case goes next."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.evaluation import models
from shared.ids import new_id
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import happened
from tests.unit.evaluation.sheets import answers_for

CLOSING = {"evaluation.forwarded", "evaluation.handed_back", "evaluation.decided"}


@pytest.fixture(scope="module")
def secretariats(admin, eval_call) -> dict[str, object]:
    return {
        level: kit.official(admin, eval_call, ["secretariat"], unit)
        for level, unit in (
            ("district", kit.DISTRICT),
            ("province", kit.PROVINCE),
            ("national", "national"),
        )
    }


@pytest.fixture(scope="module")
def councils(admin, eval_call, evaluation) -> dict[str, kit.Council]:
    """District: 4 seats (quorum 3); province: 3 seats (quorum 3); national: 2 (quorum 2)."""
    return {
        level: kit.form_council(admin, eval_call, evaluation, level=level, unit=unit, members=n)
        for level, unit, n in (
            ("district", kit.DISTRICT, 2),
            ("province", kit.PROVINCE, 1),
            ("national", "national", 0),
        )
    }


@pytest.fixture()
def at_district(registration, evaluation, owner, commune_officer, officer, secretariats, councils):
    """A new case under evaluation by the district council: (dossier id, evaluation id)."""
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    kit.propose(officer, dossier["id"])
    reply = kit.assign(secretariats["district"], dossier["id"], councils["district"].id)
    assert reply.status == 201, reply.body
    return dossier["id"], reply.body["id"]


def _score(council: kit.Council, evaluation_id: str, *specs: tuple[int, int]) -> None:
    """Seats in order (chair, secretary, members) score (total, marks met)."""
    kit.score_all(council, evaluation_id, [answers_for(t, marks=m) for t, m in specs])


def _close(council: kit.Council, evaluation_id: str) -> dict:
    reply = kit.finalise(council.secretary or council.chair, evaluation_id)
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "closed", reply.body
    return reply.body


def _case(secretariat, dossier_id: str) -> dict:
    reply = secretariat("GET", f"/api/v1/cases/{dossier_id}")
    assert reply.status == 200, reply.body
    return reply.body


def _move_up(secretariats, councils, dossier_id: str, level: str) -> str:
    reply = kit.assign(secretariats[level], dossier_id, councils[level].id)
    assert reply.status == 201, reply.body
    return reply.body["id"]


def test_five_stars_climb_from_district_to_national(
    evaluation, secretariats, councils, at_district
) -> None:
    dossier_id, district_ev = at_district
    _score(councils["district"], district_ev, (100, 5), (100, 5), (100, 5))
    closed = _close(councils["district"], district_ev)
    assert (closed["outcome"], closed["star_rank"]) == ("forwarded", 5)
    assert closed["result"] == {
        "parts": {"A": 40.0, "B": 25.0, "C": 35.0},
        "total": 100.0,
        "band": 5,
        "marks_met_level": 5,
        "star_rank": 5,
        "members": 3,
        "findings": [],
    }
    case = _case(secretariats["province"], dossier_id)
    assert (case["level"], case["stage"], case["pending_rank"]) == (
        "province",
        "awaiting_assignment",
        None,
    )
    forwarded = kit.events(evaluation, dossier_id, "evaluation.forwarded")[-1]["payload"]
    assert (forwarded["level"], forwarded["to_level"], forwarded["star_rank"]) == (
        "district",
        "province",
        5,
    )
    assert forwarded["result"] == closed["result"]
    assert forwarded["evaluation_id"] == district_ev

    province_ev = _move_up(secretariats, councils, dossier_id, "province")
    _score(councils["province"], province_ev, (95, 5), (92, 5), (96, 5))
    closed = _close(councils["province"], province_ev)
    assert closed["outcome"] == "forwarded" and closed["result"]["total"] == pytest.approx(
        (95 + 92 + 96) / 3
    )
    forwarded = kit.events(evaluation, dossier_id, "evaluation.forwarded")[-1]["payload"]
    assert (forwarded["level"], forwarded["to_level"]) == ("province", "national")

    national_ev = _move_up(secretariats, councils, dossier_id, "national")
    _score(councils["national"], national_ev, (92, 5), (96, 5))
    closed = _close(councils["national"], national_ev)
    assert (closed["outcome"], closed["star_rank"], closed["result"]["total"]) == (
        "recognised",
        5,
        94.0,
    )
    case = _case(secretariats["national"], dossier_id)
    assert (case["level"], case["stage"], case["pending_rank"]) == (
        "national",
        "awaiting_decision",
        5,
    )
    # Recognition is the minister's act: the council's close says a decision awaits, not one.
    assert kit.event_types(evaluation, dossier_id)[-1] == "evaluation.awaiting_decision"
    awaiting = kit.events(evaluation, dossier_id)[-1]["payload"]
    assert (awaiting["level"], awaiting["star_rank"], awaiting["result"]["total"]) == (
        "national",
        5,
        94.0,
    )
    assert [e["level"] for e in case["evaluations"]] == ["district", "province", "national"]
    assert [e["outcome"] for e in case["evaluations"]] == ["forwarded", "forwarded", "recognised"]
    assert all(e["result"] for e in case["evaluations"])

    # Closed: sheets are disclosed, and nothing about the scoring changes any more.
    chair = councils["national"].chair
    sheets = chair("GET", f"/api/v1/evaluations/{national_ev}/sheets")
    assert sheets.status == 200
    assert sorted(s["total"] for s in sheets.body["items"]) == [92, 96]
    # One page holds them by default; a page of one names the next.
    first = chair("GET", f"/api/v1/evaluations/{national_ev}/sheets?limit=1").body
    assert first["items"] == sheets.body["items"][:1] and first["next"] == first["items"][0]["id"]
    rest = chair("GET", f"/api/v1/evaluations/{national_ev}/sheets?after={first['next']}").body
    assert (rest["items"], rest["next"]) == (sheets.body["items"][1:], None)
    assert sheets.body["next"] is None
    assert (
        secretariats["national"]("GET", f"/api/v1/evaluations/{national_ev}/sheets").status == 200
    )
    before = kit.snapshot(evaluation, dossier_id)
    assert kit.revise(chair, national_ev, answers_for(90), revision=1).status == 409
    assert kit.declare(chair, national_ev).status == 409
    assert kit.finalise(chair, national_ev).status == 409
    assert kit.snapshot(evaluation, dossier_id) == before


def test_three_stars_at_district_await_the_district_decision(
    evaluation, secretariats, councils, at_district
) -> None:
    dossier_id, ev = at_district
    _score(councils["district"], ev, (60, 3), (62, 3), (58, 3))
    closed = _close(councils["district"], ev)
    assert (closed["outcome"], closed["star_rank"], closed["result"]["total"]) == (
        "recognised",
        3,
        60.0,
    )
    case = _case(secretariats["district"], dossier_id)
    assert (case["level"], case["stage"], case["pending_rank"]) == (
        "district",
        "awaiting_decision",
        3,
    )
    assert not CLOSING & set(kit.event_types(evaluation, dossier_id)[-3:])


def test_province_result_below_its_authority_is_handed_back(
    evaluation, secretariats, councils, at_district
) -> None:
    dossier_id, ev = at_district
    _score(councils["district"], ev, (80, 4), (78, 4), (82, 4))
    assert _close(councils["district"], ev)["outcome"] == "forwarded"  # 4★ is above the district

    province_ev = _move_up(secretariats, councils, dossier_id, "province")
    _score(councils["province"], province_ev, (64, 3), (60, 3), (62, 3))
    closed = _close(councils["province"], province_ev)
    assert (closed["outcome"], closed["star_rank"]) == ("handed_back", 3)
    case = _case(secretariats["district"], dossier_id)
    assert (case["level"], case["stage"], case["pending_rank"]) == (
        "district",
        "awaiting_decision",
        3,
    )
    handed = kit.events(evaluation, dossier_id, "evaluation.handed_back")
    assert len(handed) == 1
    payload = handed[0]["payload"]
    assert (payload["level"], payload["to_level"], payload["star_rank"]) == (
        "province",
        "district",
        3,
    )
    assert payload["result"]["total"] == 62.0 and payload["evaluation_id"] == province_ev


def test_an_unmet_star_mark_caps_the_rank_below_the_band(
    evaluation, secretariats, councils, at_district
) -> None:
    dossier_id, ev = at_district
    capped = answers_for(93, marks=5, c1_5="c")  # 93 points, the 5★ mark on 1.5 unmet
    kit.score_all(councils["district"], ev, [capped, capped, capped])
    assert _close(councils["district"], ev)["star_rank"] == 4

    province_ev = _move_up(secretariats, councils, dossier_id, "province")
    kit.score_all(councils["province"], province_ev, [capped, capped, capped])
    closed = _close(councils["province"], province_ev)
    result = closed["result"]
    assert (result["total"], result["band"], result["marks_met_level"]) == (93.0, 5, 4)
    assert (closed["outcome"], closed["star_rank"]) == ("recognised", 4)  # stays at the province
    case = _case(secretariats["province"], dossier_id)
    assert (case["level"], case["stage"], case["pending_rank"]) == (
        "province",
        "awaiting_decision",
        4,
    )


def test_below_three_stars_is_not_recognised(evaluation, secretariats, councils, at_district):
    dossier_id, ev = at_district
    _score(councils["district"], ev, (40, 2), (45, 2), (40, 2))
    closed = _close(councils["district"], ev)
    assert (closed["outcome"], closed["star_rank"]) == ("not_recognised", 2)
    assert closed["reason_code"] == "below_three_stars"
    case = _case(secretariats["district"], dossier_id)
    assert (case["stage"], case["pending_rank"]) == ("not_recognised", None)
    # The API answers the reason the event carries, on the case and on its evaluation.
    assert case["reason_code"] == case["evaluations"][-1]["reason_code"] == "below_three_stars"
    [decided] = kit.events(evaluation, dossier_id, "evaluation.decided")
    assert decided["payload"]["outcome"] == "not_recognised"
    assert decided["payload"]["reason_code"] == "below_three_stars"
    assert decided["payload"]["star_rank"] == 2
    assert decided["payload"]["result"]["total"] == pytest.approx(125 / 3)


def test_spread_over_the_limit_reopens_the_sheets(evaluation, councils, at_district) -> None:
    dossier_id, ev = at_district
    council = councils["district"]
    _score(council, ev, (100, 5), (100, 5), (85, 5))
    reply = kit.finalise(council.chair, ev)
    assert reply.status == 200, reply.body
    assert (reply.body["status"], reply.body["rescore_count"]) == ("open", 1)
    assert reply.body["spread"]["exceeded"] is True and reply.body["spread"]["spread"] == 15
    [rescore] = kit.events(evaluation, dossier_id, "evaluation.rescore_requested")
    assert (rescore["payload"]["spread"], rescore["payload"]["max_spread"]) == (15, 10)
    assert not CLOSING & set(kit.event_types(evaluation, dossier_id)[-4:])

    # The member who scored 85 reconsiders; the council closes on the revised sheets.
    low = council.members[0]
    assert kit.revise(low, ev, answers_for(95, marks=5), revision=1).status == 200
    closed = _close(council, ev)
    assert closed["rescore_count"] == 1
    assert closed["result"]["total"] == pytest.approx(295 / 3)
    assert closed["outcome"] == "forwarded"


def test_no_quorum_is_refused_and_changes_nothing(evaluation, councils, at_district) -> None:
    dossier_id, ev = at_district
    council = councils["district"]
    _score(council, ev, (80, 4), (80, 4))  # chair and secretary: 2 of 4, 3 needed
    before = kit.snapshot(evaluation, dossier_id)
    reply = kit.finalise(council.chair, ev)
    assert reply.status == 409, reply.body
    assert reply.body["type"] == "urn:ocop:problem:transition-not-allowed"
    assert reply.body["code"] == "evaluation.no_quorum"
    assert reply.body["params"] == {"sheets": 2, "eligible": 4, "required": 3}
    assert kit.snapshot(evaluation, dossier_id) == before


def test_the_chairs_sheet_is_part_of_the_quorum(
    registration, evaluation, owner, commune_officer, officer, admin, eval_call, secretariats
) -> None:
    council = kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=2
    )
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    kit.propose(officer, dossier["id"])
    ev = kit.assign(secretariats["district"], dossier["id"], council.id).body["id"]
    for person in council.everyone[1:]:  # everyone but the chair
        assert kit.declare(person, ev).status == 201
        assert kit.submit(person, ev, answers_for(80, marks=4)).status == 201
    before = kit.snapshot(evaluation, dossier["id"])
    reply = kit.finalise(council.secretary, ev)
    assert reply.status == 409 and reply.body["code"] == "evaluation.no_quorum_without_chair"
    assert kit.snapshot(evaluation, dossier["id"]) == before


def test_conflicted_members_are_left_out_of_the_quorum(evaluation, councils, at_district):
    _, ev = at_district
    council = councils["district"]
    for member in council.members:
        assert kit.declare(member, ev, conflicted=True, reason="Họ hàng với chủ thể").status == 201
    _score(council, ev, (80, 4), (84, 4))  # chair and secretary: 2 of 2 eligible
    view = council.chair("GET", f"/api/v1/evaluations/{ev}").body
    assert view["quorum"] == {
        "eligible": 2,
        "sheets": 2,
        "required": 2,
        "chair_required": True,
        "chair_in": True,
        "met": True,
        "declared": 4,
        "conflicted": 2,
    }
    closed = _close(council, ev)
    assert closed["result"]["members"] == 2 and closed["result"]["total"] == 82.0
    # Even after the close, a conflicted member reads nothing of the scoring: the case does not
    # exist for them (ADR 0009: 404; before, 403), while the chair reads the closed sheets.
    assert council.chair("GET", f"/api/v1/evaluations/{ev}/sheets").status == 200
    base = f"/api/v1/evaluations/{ev}"
    for path in (f"{base}/sheets", f"{base}/dossier", base):
        reply = council.members[0]("GET", path)
        assert reply.status == 404 and "items" not in reply.body, (path, reply.body)


def test_a_member_who_left_the_council_no_longer_counts(
    registration, evaluation, owner, commune_officer, officer, admin, eval_call, secretariats
) -> None:
    council = kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=2
    )
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    kit.propose(officer, dossier["id"])
    ev = kit.assign(secretariats["district"], dossier["id"], council.id).body["id"]
    _score(council, ev, (80, 4), (80, 4), (80, 4), (88, 4))
    leaver = council.members[1]
    with evaluation.db.unit_of_work() as uow:  # what the councils API does on removal
        seat = uow.session.execute(
            select(models.CouncilMember).where(
                models.CouncilMember.council_id == uuid.UUID(council.id),
                models.CouncilMember.account_id == uuid.UUID(leaver.account["id"]),
            )
        ).scalar_one()
        seat.removed_at = datetime.now(UTC)
        uow.commit()
    quorum = council.chair("GET", f"/api/v1/evaluations/{ev}").body["quorum"]
    assert (quorum["eligible"], quorum["sheets"]) == (3, 3)
    closed = _close(council, ev)
    assert (closed["result"]["members"], closed["result"]["total"]) == (3, 80.0)


def test_only_the_chair_or_secretary_finalises(
    admin, eval_call, evaluation, secretariats, councils, at_district
) -> None:
    dossier_id, ev = at_district
    council = councils["district"]
    _score(council, ev, (80, 4), (80, 4), (80, 4))
    version = council.chair("GET", f"/api/v1/evaluations/{ev}").body["version"]
    path = f"/api/v1/evaluations/{ev}/finalise"
    before = kit.snapshot(evaluation, dossier_id)

    for who in (council.members[0], secretariats["district"]):
        reply = who("POST", path, json={"version": version})
        assert reply.status == 403 and reply.body["type"] == "urn:ocop:problem:forbidden"
    stranger = kit.official(admin, eval_call, ["council_chair"], kit.OTHER_PROVINCE)
    assert stranger("POST", path, json={"version": version}).status == 404
    missing = f"/api/v1/evaluations/{uuid.uuid4()}/finalise"
    assert council.chair("POST", missing, json={"version": version}).status == 404
    stale = council.chair("POST", path, json={"version": version - 1})
    assert stale.status == 409 and stale.body["current_version"] == version
    smuggled = council.chair("POST", path, json={"version": version, "star_rank": 5})
    assert smuggled.status == 422 and "star_rank" in smuggled.body["errors"]
    assert kit.snapshot(evaluation, dossier_id) == before

    assert council.chair("POST", path, json={"version": version}).status == 200


# --- the two-tier regime (26/2026): commune review → province 3★/4★ → national 5★ -----------

T2_PROVINCE = "2025:province:01"  # Hà Nội in the current tree
T2_COMMUNE = "2025:commune:00004"  # Phường Ba Đình


def _two_tier_case(evaluation, owner, officer) -> str:
    """A case filed under the two-tier regime (registration here files four-level ones, so it
    is written as the dossier.accepted consumer would write it), accepted by ``officer``, who
    handles it (ADR 0009)."""
    now = datetime.now(UTC)
    dossier_id = new_id()
    with evaluation.db.unit_of_work() as uow:
        case = models.Case(
            dossier_id=dossier_id,
            producer_id=new_id(),
            producer_name="HTX Ba Đình",
            owner_account_id=uuid.UUID(owner.account["id"]),
            consultant_account_ids=[],
            product_name="Gạo nếp cái hoa vàng",
            product_code=f"01-00004-{dossier_id.int % 1000:03d}-2026",
            product_set_code=kit.SET_CODE,
            registration_type="first",
            rubric_version="qd26-2026",
            regime="two-tier",
            unit_tree="2025",
            province_code="01",
            district_code=None,
            commune_code="00004",
            self_assessment=flows.complete_answers(kit.SET_CODE),
            level="commune",
            stage="commune_review",
            opened_at=now,
            updated_at=now,
        )
        uow.session.add(case)
        uow.session.flush()
        happened(uow.session, case, "dossier.accepted", handler_account_id=officer.account["id"])
        uow.commit()
    return str(dossier_id)


def test_two_tier_goes_from_the_commune_to_the_province_and_back_from_central(
    admin, eval_call, evaluation, owner
) -> None:
    officer = kit.official(admin, eval_call, ["commune_officer"], T2_COMMUNE)
    dossier_id = _two_tier_case(evaluation, owner, officer)
    case = kit.propose(officer, dossier_id)
    assert (case["level"], case["stage"]) == ("province", "awaiting_assignment")
    forwarded = kit.events(evaluation, dossier_id, "evaluation.forwarded")[-1]["payload"]
    assert (forwarded["level"], forwarded["to_level"]) == ("commune", "province")

    province = kit.form_council(
        admin, eval_call, evaluation, level="province", unit=T2_PROVINCE, members=1
    )
    province_secretariat = kit.official(admin, eval_call, ["secretariat"], T2_PROVINCE)
    ev = kit.assign(province_secretariat, dossier_id, province.id)
    assert ev.status == 201, ev.body
    _score(province, ev.body["id"], (96, 5), (94, 5), (95, 5))
    closed = _close(province, ev.body["id"])
    assert (closed["outcome"], closed["star_rank"]) == ("forwarded", 5)
    forwarded = kit.events(evaluation, dossier_id, "evaluation.forwarded")[-1]["payload"]
    assert (forwarded["level"], forwarded["to_level"]) == ("province", "national")

    central = kit.form_council(
        admin, eval_call, evaluation, level="national", unit="national", members=0
    )
    central_secretariat = kit.official(admin, eval_call, ["secretariat"], "national")
    ev = kit.assign(central_secretariat, dossier_id, central.id)
    assert ev.status == 201, ev.body
    _score(central, ev.body["id"], (84, 4), (86, 4))
    closed = _close(central, ev.body["id"])
    assert (closed["outcome"], closed["star_rank"]) == ("handed_back", 4)
    case = _case(central_secretariat, dossier_id)
    assert (case["level"], case["stage"], case["pending_rank"]) == (
        "province",
        "awaiting_decision",
        4,
    )
    handed = kit.events(evaluation, dossier_id, "evaluation.handed_back")[-1]["payload"]
    assert (handed["level"], handed["to_level"], handed["star_rank"]) == ("national", "province", 4)
    # The province chair, whose decision it now awaits, reaches it (no awaiting_decision event).
    chair = kit.official(admin, eval_call, ["decision_authority"], T2_PROVINCE)
    assert _case(chair, dossier_id)["pending_rank"] == 4


def test_a_knockout_finding_ends_the_evaluation_whatever_the_score(
    evaluation, eval_call, secretariats, councils, at_district
) -> None:
    dossier_id, district_ev = at_district
    case = _case(secretariats["district"], dossier_id)
    sheet = eval_call(
        "GET",
        f"/api/v1/rubrics/qd26-2026/sheets/{case['product_set_code']}",
        token=councils["district"].chair.token,
    )
    assert sheet.status == 200, sheet.body
    knockout = next(r for r in sheet.body["rules"] if r["type"] == "knockout")
    _score(councils["district"], district_ev, (100, 5), (100, 5), (100, 5))
    closer = councils["district"].secretary or councils["district"].chair
    current = closer("GET", f"/api/v1/evaluations/{district_ev}").body
    before = kit.snapshot(evaluation, dossier_id)
    wrong = closer(
        "POST",
        f"/api/v1/evaluations/{district_ev}/finalise",
        json={"version": current["version"], "findings": [len(sheet.body["rules"])]},
    )
    assert wrong.status == 422 and "findings" in wrong.body["errors"]
    assert kit.snapshot(evaluation, dossier_id) == before
    reply = closer(
        "POST",
        f"/api/v1/evaluations/{district_ev}/finalise",
        json={"version": current["version"], "findings": [knockout["index"]]},
    )
    assert reply.status == 200, reply.body
    assert reply.body["outcome"] == "not_recognised"
    assert reply.body["result"]["findings"] == [knockout["text"]]
    decided = kit.events(evaluation, dossier_id, "evaluation.decided")
    assert decided[-1]["payload"]["result"]["findings"] == [knockout["text"]]
    # A knockout refuses a 100-point result: the reason says which rule, not the score.
    assert reply.body["reason_code"] == decided[-1]["payload"]["reason_code"] == "knocked_out"
