"""Evaluation rounds over the evaluation API: the 26/2026 default calendar, extra rounds, the
round a proposal goes to, and bad input that changes nothing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from services.evaluation.models import Round
from services.evaluation.service import rounds as round_service
from tests.support import flows
from tests.support.councils import on_evaluation as on_eval

PROVINCE = "pre2025:province:45"
DISTRICT = "pre2025:district:461"


def problem(reply: flows.Reply, status: int, slug: str) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["type"] == f"urn:ocop:problem:{slug}"
    return reply.body


def rounds_at(evaluation: Any, level: str, unit: str) -> list[tuple[Any, ...]]:
    """Every round of one calendar, as stored."""
    with evaluation.db.reader() as session:
        rows = session.execute(
            select(Round.id, Round.name, Round.proposals_due, Round.closes_on)
            .where(Round.level == level, Round.unit == unit)
            .order_by(Round.closes_on, Round.id)
        ).all()
    return [tuple(row) for row in rows]


def outbox_count(evaluation: Any) -> int:
    with evaluation.db.reader() as session:
        return session.execute(select(func.count()).select_from(evaluation.outbox)).scalar_one()


@pytest.fixture(scope="module")
def province_secretariat(admin, eval_call) -> flows.Actor:
    return on_eval(eval_call, flows.create_official(admin, ["secretariat"], PROVINCE))


def test_default_calendar_of_a_province(province_secretariat, evaluation) -> None:
    body = {"level": "province", "unit": PROVINCE, "year": 2027}
    # 26/2026 Art. 5: closing 30 June for proposals by 30 April, 30 December for 30 October.
    expected = [(date(2027, 4, 30), date(2027, 6, 30)), (date(2027, 10, 30), date(2027, 12, 30))]
    already = [r for r in rounds_at(evaluation, "province", PROVINCE) if r[2:] in expected]

    first = province_secretariat("POST", "/api/v1/rounds/defaults", json=body)
    assert first.status == 200, first.body
    assert first.body["created"] == 2 - len(already)
    dates = [(r["proposals_due"], r["closes_on"]) for r in first.body["items"]]
    assert dates == [(d.isoformat(), c.isoformat()) for d, c in expected]
    assert all(r["level"] == "province" and r["unit"] == PROVINCE for r in first.body["items"])

    # Idempotent: the same rounds come back and nothing is added.
    stored = rounds_at(evaluation, "province", PROVINCE)
    again = province_secretariat("POST", "/api/v1/rounds/defaults", json=body)
    assert again.status == 200 and again.body["created"] == 0
    assert [r["id"] for r in again.body["items"]] == [r["id"] for r in first.body["items"]]
    assert rounds_at(evaluation, "province", PROVINCE) == stored
    assert sum(1 for r in stored if r[2:] in expected) == 2

    listed = province_secretariat("GET", f"/api/v1/rounds?level=province&unit={PROVINCE}").body
    ids = [r["id"] for r in listed["items"]]
    june_at, december_at = (ids.index(r["id"]) for r in first.body["items"])
    assert june_at < december_at  # in date order
    one = province_secretariat("GET", f"/api/v1/rounds/{first.body['items'][1]['id']}")
    assert one.status == 200 and one.body == first.body["items"][1]

    # A proposal goes to the first round still taking proposals.
    june, december = (uuid.UUID(r["id"]) for r in first.body["items"])
    with evaluation.db.reader() as session:
        assert round_service.current_for(session, "province", PROVINCE, date(2027, 4, 30)).id == (
            june
        )
        assert round_service.current_for(session, "province", PROVINCE, date(2027, 5, 1)).id == (
            december
        )
        assert (
            round_service.current_for(session, "province", "pre2025:province:01", date(2027, 5, 1))
            is None
        )


def test_an_existing_round_on_the_default_dates_is_kept(province_secretariat, evaluation) -> None:
    extra = province_secretariat(
        "POST",
        "/api/v1/rounds",
        json={
            "level": "province",
            "unit": PROVINCE,
            "name": "Đợt 1 năm 2031",
            "proposals_due": "2031-04-30",
            "closes_on": "2031-06-30",
        },
    )
    assert extra.status == 201, extra.body
    reply = province_secretariat(
        "POST",
        "/api/v1/rounds/defaults",
        json={"level": "province", "unit": PROVINCE, "year": 2031},
    )
    assert reply.status == 200 and reply.body["created"] == 1
    assert reply.body["items"][0] == extra.body
    assert reply.body["items"][1]["closes_on"] == "2031-12-30"


def test_the_national_council_uses_the_ministry_calendar(admin, eval_call) -> None:
    national = on_eval(eval_call, flows.create_official(admin, ["secretariat"], "national"))
    reply = national(
        "POST",
        "/api/v1/rounds/defaults",
        json={"level": "national", "unit": "national", "year": 2028},
    )
    assert reply.status == 200, reply.body
    assert [(r["proposals_due"], r["closes_on"]) for r in reply.body["items"]] == [
        ("2028-01-30", "2028-03-30"),
        ("2028-07-30", "2028-09-30"),
    ]


def test_extra_rounds_and_their_dates(province_secretariat, secretariat, evaluation):
    body = {
        "level": "province",
        "unit": PROVINCE,
        "name": "Đợt bổ sung 2029",
        "proposals_due": "2029-08-15",
        "closes_on": "2029-09-15",
    }
    created = province_secretariat("POST", "/api/v1/rounds", json=body)
    assert created.status == 201, created.body
    assert {k: created.body[k] for k in body} == body

    before = (rounds_at(evaluation, "province", PROVINCE), outbox_count(evaluation))
    # Proposals due after the round closes: refused.
    late = body | {"proposals_due": "2029-09-16"}
    errors = problem(
        province_secretariat("POST", "/api/v1/rounds", json=late), 422, "validation-error"
    )
    assert "proposals_due" in errors["errors"]
    # The very same dates twice: refused as a duplicate.
    problem(province_secretariat("POST", "/api/v1/rounds", json=body), 409, "conflict")
    # Unknown fields, bad dates and missing fields: refused.
    for bad in (
        body | {"id": str(uuid.uuid4())},
        body | {"closes_on": "2029-02-30"},
        {k: v for k, v in body.items() if k != "name"},
    ):
        problem(province_secretariat("POST", "/api/v1/rounds", json=bad), 422, "validation-error")
    assert (rounds_at(evaluation, "province", PROVINCE), outbox_count(evaluation)) == before

    # A district has no default calendar; its secretariat schedules rounds itself. (Other
    # tests of the session may have scheduled the district's rounds: the refusal adds none.)
    district_before = rounds_at(evaluation, "district", DISTRICT)
    reply = secretariat(
        "POST",
        "/api/v1/rounds/defaults",
        json={"level": "district", "unit": DISTRICT, "year": 2029},
    )
    assert "level" in problem(reply, 422, "validation-error")["errors"]
    assert rounds_at(evaluation, "district", DISTRICT) == district_before
    reply = secretariat(
        "POST",
        "/api/v1/rounds",
        json=body | {"level": "district", "unit": DISTRICT, "name": "Đợt 1 năm 2029"},
    )
    assert reply.status == 201, reply.body
    assert len(rounds_at(evaluation, "district", DISTRICT)) == len(district_before) + 1


def test_only_the_levels_secretariat_schedules(
    commune_officer, call, admin, eval_call, secretariat, evaluation
) -> None:
    officer = on_eval(eval_call, commune_officer)
    applicant = on_eval(eval_call, flows.register(call, "applicant"))
    far = on_eval(eval_call, flows.create_official(admin, ["secretariat"], "pre2025:province:01"))
    auditor = on_eval(eval_call, flows.create_official(admin, ["auditor"], PROVINCE))
    body = {"level": "province", "unit": PROVINCE, "year": 2030}
    before = (rounds_at(evaluation, "province", PROVINCE), outbox_count(evaluation))
    for actor in (officer, applicant, far, auditor, secretariat):
        problem(actor("POST", "/api/v1/rounds/defaults", json=body), 403, "forbidden")
        extra = {"level": "province", "unit": PROVINCE, "name": "x"}
        dates = {"proposals_due": "2030-01-01", "closes_on": "2030-02-01"}
        problem(actor("POST", "/api/v1/rounds", json=extra | dates), 403, "forbidden")
    assert (rounds_at(evaluation, "province", PROVINCE), outbox_count(evaluation)) == before
    # Every signed-in caller reads the published calendar; nobody without a token does.
    assert applicant("GET", "/api/v1/rounds").status == 200
    problem(eval_call("GET", "/api/v1/rounds"), 401, "unauthorized")
    problem(applicant("GET", f"/api/v1/rounds/{uuid.uuid4()}"), 404, "not-found")


def test_round_levels_follow_the_regime(province_secretariat, evaluation) -> None:
    before = rounds_at(evaluation, "national", "national")
    for body, field in (
        ({"level": "county", "unit": "national", "year": 2027}, "level"),
        ({"level": "province", "unit": DISTRICT, "year": 2027}, "unit"),
        ({"level": "province", "unit": PROVINCE, "year": 1999}, "year"),
        ({"level": "province", "unit": PROVINCE}, "year"),
    ):
        reply = province_secretariat("POST", "/api/v1/rounds/defaults", json=body)
        assert field in problem(reply, 422, "validation-error")["errors"]
    assert rounds_at(evaluation, "national", "national") == before
