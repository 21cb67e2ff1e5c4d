"""Councils over the evaluation API: forming them, seating and removing officials, who reaches
them, the events written to the outbox, and bad input that changes nothing."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from services.evaluation.domain.council_rules import CouncilRules
from services.evaluation.models import Council, CouncilMember
from services.evaluation.service import councils as council_service
from tests.support import flows
from tests.support.cases import deliver_accounts

DISTRICT = "pre2025:district:461"  # Đông Hà, in Quảng Trị (province 45)
PROVINCE = "pre2025:province:45"
OTHER_PROVINCE = "pre2025:province:01"  # Hà Nội


def on_eval(eval_call: flows.Transport, actor: flows.Actor) -> flows.Actor:
    """The same signed-in person, talking to the evaluation API."""
    return flows.Actor(eval_call, actor.token, actor.account)


def problem(reply: flows.Reply, status: int, slug: str) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["type"] == f"urn:ocop:problem:{slug}"
    return reply.body


def membership_events(evaluation: Any, council_id: str) -> list[dict[str, Any]]:
    """Envelopes of council.* events about one council, in outbox order."""
    o = evaluation.outbox.c
    with evaluation.db.engine.connect() as conn:
        rows = conn.execute(
            select(o.envelope).where(o.type.like("council.%")).order_by(o.id)
        ).scalars()
        return [e for e in rows if e["payload"]["council_id"] == council_id]


def state(evaluation: Any) -> tuple[int, int, list[tuple[Any, ...]]]:
    """What a refused request must leave untouched: outbox, councils and every seat."""
    m = CouncilMember
    with evaluation.db.reader() as session:
        outbox = session.execute(select(func.count()).select_from(evaluation.outbox)).scalar_one()
        councils = session.execute(select(func.count()).select_from(Council)).scalar_one()
        seats = session.execute(
            select(m.council_id, m.account_id, m.role, m.removed_at).order_by(m.id)
        ).all()
    return outbox, councils, [tuple(row) for row in seats]


@pytest.fixture(scope="module")
def district_secretariat(admin, eval_call) -> flows.Actor:
    return on_eval(eval_call, flows.create_official(admin, ["secretariat"], DISTRICT))


@pytest.fixture(scope="module")
def officials(admin, registration, evaluation) -> list[flows.Actor]:
    """Five council members of the district, known to evaluation through account.created."""
    made = [flows.create_official(admin, ["council_member"], DISTRICT) for _ in range(5)]
    deliver_accounts(registration, evaluation)
    return made


def form(secretariat: flows.Actor, **body: Any) -> dict[str, Any]:
    reply = secretariat(
        "POST",
        "/api/v1/councils",
        json={"name": "Hội đồng OCOP TP Đông Hà", "level": "district", "unit": DISTRICT} | body,
    )
    assert reply.status == 201, reply.body
    return reply.body


def seat(secretariat: flows.Actor, council_id: str, account_id: str, role: str) -> flows.Reply:
    return secretariat(
        "POST",
        f"/api/v1/councils/{council_id}/members",
        json={"account_id": account_id, "role": role},
    )


ROLES = ("chair", "secretary", "member", "member", "member")


@pytest.fixture()
def council(district_secretariat, officials) -> dict[str, Any]:
    """A district council with a chair, a secretary and three members."""
    body = form(district_secretariat)
    for person, role in zip(officials, ROLES, strict=True):
        assert seat(district_secretariat, body["id"], person.account["id"], role).status == 201
    return district_secretariat("GET", f"/api/v1/councils/{body['id']}").body


def test_secretariat_forms_a_council_and_seats_it(
    district_secretariat, officials, evaluation, eval_call
) -> None:
    created = form(district_secretariat)
    # Rules left out take the provincial defaults: 3/4 with the chair, 10 points of spread.
    assert created["level"] == "district" and created["unit"] == DISTRICT
    assert (created["quorum_numerator"], created["quorum_denominator"]) == (3, 4)
    assert created["chair_required"] is True and created["max_spread"] == 10.0
    assert created["members"] == []

    for person, role in zip(officials, ROLES, strict=True):
        reply = seat(district_secretariat, created["id"], person.account["id"], role)
        assert reply.status == 201, reply.body
        assert reply.body["account_id"] == person.account["id"] and reply.body["role"] == role
        assert reply.body["display_name"] == person.account["display_name"]
        assert reply.body["removed_at"] is None

    shown = district_secretariat("GET", f"/api/v1/councils/{created['id']}").body
    assert [s["role"] for s in shown["members"]] == list(ROLES)
    assert [s["account_id"] for s in shown["members"]] == [p.account["id"] for p in officials]

    # One event per seat, written once each, naming the council, the seat and the actor.
    events = membership_events(evaluation, created["id"])
    assert [e["type"] for e in events] == ["council.member_added"] * 5
    assert [(e["payload"]["account_id"], e["payload"]["role"]) for e in events] == [
        (p.account["id"], role) for p, role in zip(officials, ROLES, strict=True)
    ]
    for event in events:
        assert event["payload"] | {"account_id": None, "role": None} == {
            "council_id": created["id"],
            "council_name": "Hội đồng OCOP TP Đông Hà",
            "level": "district",
            "unit": DISTRICT,
            "account_id": None,
            "role": None,
        }
        assert event["actor"]["user_id"] == district_secretariat.account["id"]
        assert event["producer"] == "evaluation"
    assert len({e["event_id"] for e in events}) == 5

    # What the evaluations use case reads: rules, seats and each official's role.
    council_id = uuid.UUID(created["id"])
    with evaluation.db.reader() as session:
        found = session.get(Council, council_id)
        assert council_service.rules_of(found) == CouncilRules()
        members = council_service.active_members(session, council_id)
        assert [str(m.account_id) for m in members] == [p.account["id"] for p in officials]
        assert council_service.role_of(session, council_id, officials[0].account["id"]) == "chair"
        assert council_service.role_of(session, council_id, officials[1].account["id"]) == (
            "secretary"
        )
        assert council_service.role_of(session, council_id, str(uuid.uuid4())) is None

    # A member reaches the council it sits on, and sees it in its list.
    chair = on_eval(eval_call, officials[0])
    assert chair("GET", f"/api/v1/councils/{created['id']}").status == 200
    assert created["id"] in [c["id"] for c in chair("GET", "/api/v1/councils").body["items"]]


def test_council_rules_are_per_council(district_secretariat, evaluation) -> None:
    created = form(
        district_secretariat,
        quorum_numerator=2,
        quorum_denominator=3,
        chair_required=False,
        max_spread=7.5,
    )
    with evaluation.db.reader() as session:
        rules = council_service.rules_of(session.get(Council, uuid.UUID(created["id"])))
    assert rules == CouncilRules(2, 3, False, 7.5)
    before = state(evaluation)
    reply = district_secretariat(
        "POST",
        "/api/v1/councils",
        json={
            "name": "x",
            "level": "district",
            "unit": DISTRICT,
            "quorum_numerator": 5,
            "quorum_denominator": 4,
        },
    )
    assert "quorum_numerator" in problem(reply, 422, "validation-error")["errors"]
    assert state(evaluation) == before


def test_one_chair_and_one_secretary_each_account_once(
    council, district_secretariat, admin, registration, evaluation
) -> None:
    spare = flows.create_official(admin, ["council_member"], DISTRICT)
    deliver_accounts(registration, evaluation)
    before = state(evaluation)
    for role in ("chair", "secretary"):
        reply = seat(district_secretariat, council["id"], spare.account["id"], role)
        body = problem(reply, 409, "conflict")
        assert (body["code"], body["params"]) == ("council.seat_taken", {"seat": role})
    sitting = council["members"][2]["account_id"]
    for role in ("member", "chair"):
        problem(seat(district_secretariat, council["id"], sitting, role), 409, "conflict")
    assert state(evaluation) == before
    # As an ordinary member the spare official is welcome.
    assert seat(district_secretariat, council["id"], spare.account["id"], "member").status == 201


def test_only_known_officials_sit_on_councils(council, district_secretariat, call, evaluation):
    applicant = flows.register(call, "applicant")  # an account, but not an official
    before = state(evaluation)
    for account_id in (str(uuid.uuid4()), applicant.account["id"]):
        reply = seat(district_secretariat, council["id"], account_id, "member")
        assert "account_id" in problem(reply, 422, "validation-error")["errors"]
    for body in ({"account_id": "not-a-uuid", "role": "member"}, {"role": "member"}):
        reply = district_secretariat("POST", f"/api/v1/councils/{council['id']}/members", json=body)
        assert "account_id" in problem(reply, 422, "validation-error")["errors"]
    reply = seat(district_secretariat, council["id"], str(uuid.uuid4()), "vice_chair")
    assert "role" in problem(reply, 422, "validation-error")["errors"]
    assert state(evaluation) == before


def test_commune_officers_and_applicants_form_no_councils(
    council, commune_officer, call, eval_call, officials, evaluation
) -> None:
    applicant = on_eval(eval_call, flows.register(call, "applicant"))
    officer = on_eval(eval_call, commune_officer)
    before = state(evaluation)
    for actor in (officer, applicant):
        reply = actor(
            "POST", "/api/v1/councils", json={"name": "x", "level": "district", "unit": DISTRICT}
        )
        problem(reply, 403, "forbidden")
        # The district's council is outside a commune's (or an applicant's) reach.
        problem(actor("GET", f"/api/v1/councils/{council['id']}"), 404, "not-found")
        problem(seat(actor, council["id"], officials[0].account["id"], "member"), 404, "not-found")
        listed = actor("GET", "/api/v1/councils")
        assert listed.status == 200 and council["id"] not in [c["id"] for c in listed.body["items"]]
    assert state(evaluation) == before


def test_reach_follows_the_administrative_tree(
    council, district_secretariat, admin, eval_call, registration, evaluation
) -> None:
    far = on_eval(eval_call, flows.create_official(admin, ["secretariat"], OTHER_PROVINCE))
    mine = on_eval(eval_call, flows.create_official(admin, ["secretariat"], PROVINCE))
    auditor = on_eval(eval_call, flows.create_official(admin, ["auditor"], PROVINCE))
    other_district = on_eval(
        eval_call, flows.create_official(admin, ["secretariat"], "pre2025:district:462")
    )
    spare = flows.create_official(admin, ["council_member"], DISTRICT)
    deliver_accounts(registration, evaluation)
    before = state(evaluation)
    path = f"/api/v1/councils/{council['id']}"
    # Another province (or a neighbouring district) does not know the council exists.
    for outsider in (far, other_district):
        body = problem(outsider("GET", path), 404, "not-found")
        assert council["name"] not in str(body)
        problem(outsider("GET", f"{path}/members"), 404, "not-found")
        problem(seat(outsider, council["id"], spare.account["id"], "member"), 404, "not-found")
        problem(
            outsider("DELETE", f"{path}/members/{council['members'][4]['account_id']}"),
            404,
            "not-found",
        )
        listed = outsider("GET", "/api/v1/councils").body["items"]
        assert council["id"] not in [c["id"] for c in listed]
    # The enclosing province's secretariat and auditor read it; only the district seats people.
    for overseer in (mine, auditor):
        assert overseer("GET", path).body["members"] == council["members"]
        assert council["id"] in [
            c["id"] for c in overseer("GET", f"/api/v1/councils?unit={DISTRICT}").body["items"]
        ]
        problem(seat(overseer, council["id"], spare.account["id"], "member"), 403, "forbidden")
    assert state(evaluation) == before
    # A district secretariat cannot form its province's council.
    reply = district_secretariat(
        "POST", "/api/v1/councils", json={"name": "x", "level": "province", "unit": PROVINCE}
    )
    problem(reply, 403, "forbidden")
    assert state(evaluation) == before


def test_unknown_fields_are_refused(council, district_secretariat, officials, evaluation) -> None:
    before = state(evaluation)
    smuggled = [
        ("/api/v1/councils", {"name": "x", "level": "district", "unit": DISTRICT, "id": "x"}),
        ("/api/v1/councils", {"name": "x", "level": "district", "unit": DISTRICT, "members": []}),
        (
            f"/api/v1/councils/{council['id']}/members",
            {"account_id": officials[0].account["id"], "role": "member", "removed_at": None},
        ),
    ]
    for path, body in smuggled:
        errors = problem(district_secretariat("POST", path, json=body), 422, "validation-error")
        assert set(errors["errors"]) & {"id", "members", "removed_at"}
    malformed = district_secretariat(
        "POST", "/api/v1/councils", data="{", headers={"Content-Type": "application/json"}
    )
    problem(malformed, 400, "malformed-request")
    assert state(evaluation) == before


def test_removal_keeps_history_and_is_an_event(council, district_secretariat, evaluation) -> None:
    leaving = council["members"][3]
    path = f"/api/v1/councils/{council['id']}/members"
    reply = district_secretariat("DELETE", f"{path}/{leaving['account_id']}")
    assert reply.status == 200, reply.body
    assert reply.body["account_id"] == leaving["account_id"] and reply.body["removed_at"]

    shown = district_secretariat("GET", f"/api/v1/councils/{council['id']}").body
    assert leaving["account_id"] not in [s["account_id"] for s in shown["members"]]
    assert len(shown["members"]) == 4
    history = district_secretariat("GET", f"{path}?include_removed=true").body["items"]
    assert len(history) == 5
    # A page at a time, keyed by the seat (an official may hold several in the history).
    paged, after = [], ""
    for _ in range(3):
        reply = district_secretariat("GET", f"{path}?include_removed=true&limit=2{after}").body
        paged += reply["items"]
        after = f"&after={reply['next']}"
    assert paged == history and reply["next"] is None
    (closed,) = [s for s in history if s["removed_at"]]
    assert closed["account_id"] == leaving["account_id"] and closed["role"] == "member"

    events = membership_events(evaluation, council["id"])
    removed = [e for e in events if e["type"] == "council.member_removed"]
    assert len(removed) == 1
    assert removed[0]["payload"]["account_id"] == leaving["account_id"]
    assert removed[0]["payload"]["role"] == "member"
    with evaluation.db.reader() as session:
        council_id = uuid.UUID(council["id"])
        assert council_service.role_of(session, council_id, leaving["account_id"]) is None
        assert len(council_service.active_members(session, council_id)) == 4

    # Leaving twice is not possible; the freed seat can be taken again (a new history row).
    before = state(evaluation)
    problem(district_secretariat("DELETE", f"{path}/{leaving['account_id']}"), 404, "not-found")
    assert state(evaluation) == before
    assert seat(district_secretariat, council["id"], leaving["account_id"], "member").status == 201
    history = district_secretariat("GET", f"{path}?include_removed=true").body["items"]
    assert len(history) == 6


def test_a_removed_chair_frees_the_chair(council, district_secretariat) -> None:
    path = f"/api/v1/councils/{council['id']}/members"
    chair, member = council["members"][0], council["members"][4]
    assert district_secretariat("DELETE", f"{path}/{chair['account_id']}").status == 200
    reply = district_secretariat("DELETE", f"{path}/{member['account_id']}")
    assert reply.status == 200
    assert seat(district_secretariat, council["id"], member["account_id"], "chair").status == 201


def test_levels_follow_the_four_level_regime(district_secretariat, admin, eval_call, evaluation):
    before = state(evaluation)
    for level, unit in (
        ("commune", "pre2025:commune:19333"),  # the commune reviews; it has no council
        ("county", "national"),  # no such level
        ("province", DISTRICT),  # a province council serves a province
        ("district", "national"),
        ("district", "pre2025:district:999"),  # no such district
        ("district", "district-461"),
    ):
        reply = district_secretariat(
            "POST", "/api/v1/councils", json={"name": "x", "level": level, "unit": unit}
        )
        assert set(problem(reply, 422, "validation-error")["errors"]) <= {"level", "unit"}
    assert state(evaluation) == before
    national = on_eval(eval_call, flows.create_official(admin, ["secretariat"], "national"))
    created = national(
        "POST",
        "/api/v1/councils",
        json={"name": "Hội đồng OCOP trung ương", "level": "national", "unit": "national"},
    )
    assert created.status == 201 and created.body["unit"] == "national"


@pytest.fixture()
def two_tier_call(evaluation, registration) -> Iterator[flows.Transport]:
    """The evaluation API of a deployment configured for the two-tier regime (26/2026)."""
    from services.evaluation.app import create_app
    from services.evaluation.runtime import Evaluation
    from shared.auth import TokenVerifier

    runtime = Evaluation(dataclasses.replace(evaluation.settings, regime="two-tier"))
    verifier = TokenVerifier(
        issuer=registration.settings.jwt_issuer,
        audience=registration.settings.jwt_audience,
        resolve_key=registration.keyring.public_key,
    )
    yield flows.flask_transport(create_app(runtime, verifier=verifier).test_client())
    runtime.close()


NAT = "national"


def test_levels_follow_the_two_tier_regime(two_tier_call, admin, evaluation) -> None:
    province = flows.Actor(
        two_tier_call,
        flows.create_official(admin, ["secretariat"], "2025:province:44").token,
        {},
    )
    central = flows.Actor(
        two_tier_call, flows.create_official(admin, ["secretariat"], "national").token, {}
    )
    district = flows.Actor(
        two_tier_call, flows.create_official(admin, ["secretariat"], DISTRICT).token, {}
    )
    before = state(evaluation)
    for actor, level, unit in (
        (district, "district", DISTRICT),  # no district level any more
        (province, "commune", "2025:commune:19333"),
    ):
        reply = actor("POST", "/api/v1/councils", json={"name": "x", "level": level, "unit": unit})
        assert "level" in problem(reply, 422, "validation-error")["errors"]
    assert state(evaluation) == before
    for name, (actor, level, unit) in enumerate(
        (
            (province, "province", "2025:province:44"),
            (central, NAT, NAT),  # one name for the top level (ADR 0011)
            (central, "central", NAT),  # its former two-tier name, read as national
        )
    ):
        reply = actor(
            "POST", "/api/v1/councils", json={"name": f"x{name}", "level": level, "unit": unit}
        )
        assert reply.status == 201, reply.body
        assert (reply.body["level"], reply.body["unit"]) == (level.replace("central", NAT), unit)


def test_a_deactivated_official_is_not_seated(
    council, district_secretariat, admin, registration, evaluation
) -> None:
    leaving = flows.create_official(admin, ["council_member"], DISTRICT)
    reply = admin("PATCH", f"/api/v1/accounts/{leaving.account['id']}", json={"active": False})
    assert reply.status == 200, reply.body
    deliver_accounts(registration, evaluation)
    before = state(evaluation)
    reply = seat(district_secretariat, council["id"], leaving.account["id"], "member")
    assert problem(reply, 422, "validation-error")["errors"]["account_id"]
    assert state(evaluation) == before
