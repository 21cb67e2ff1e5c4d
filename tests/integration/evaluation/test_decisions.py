"""Recognition decisions: the level's authority confirms a council's rank and a certificate is
issued (POST /api/v1/cases/{id}/decisions), over the API into the real database.

Scoring and finalising are built elsewhere; :func:`awaiting_decision` writes what a council's
close leaves behind (a closed evaluation with its result, the case awaiting a decision with a
pending rank) straight through the models, so these tests depend only on the decision rules. It
also puts on the case the people the events of that path would have (ADR 0009): the
secretariats of the levels it reached, the council, and the authority whose decision is awaited.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from services.evaluation.models import Case, Certificate, Council, Evaluation
from services.evaluation.service import certificates as certificate_service
from tests.support import flows
from tests.support.cases import deliver, happened
from tests.support.councils import decide, on_evaluation

DISTRICT = "pre2025:district:461"  # Đông Hà, which holds flows.COMMUNE
OTHER_DISTRICT = "pre2025:district:462"  # Thị xã Quảng Trị, same province
PROVINCE = "pre2025:province:45"  # Quảng Trị
OTHER_PROVINCE = "pre2025:province:01"  # Hà Nội

# A council result per rank, in the shape of shared.events.schemas_evaluation.Result.
TOTALS = {3: (22.0, 15.0, 23.0), 4: (30.0, 20.0, 25.0), 5: (38.0, 24.0, 30.0)}


def result_for(star_rank: int) -> dict[str, Any]:
    a, b, c = TOTALS[star_rank]
    return {
        "parts": {"A": a, "B": b, "C": c},
        "total": a + b + c,
        "band": star_rank,
        "marks_met_level": star_rank,
        "star_rank": star_rank,
        "members": 5,
        "findings": [],
    }


def _unit_of(case: Case, level: str) -> str:
    if level == "national":
        return "national"
    code = case.province_code if level == "province" else case.district_code
    return f"{case.unit_tree}:{level}:{code}"


def awaiting_decision(
    evaluation: Any,
    dossier_id: str,
    *,
    star_rank: int,
    level: str,
    closed_on: date,
    council_level: str | None = None,
    outcome: str = "recognised",
    regime: str | None = None,
) -> int:
    """Leave the case as a council's close would: at ``level`` awaiting the decision on
    ``star_rank``, with the closed evaluation (of a council at ``council_level``, default
    ``level``) behind it, and the people on it the events of that path would have put there:
    forwarded from the commune to the council's level, assigned to the council there, moved
    to ``level`` if that is another, and awaiting the decision of ``level``'s authority.
    Returns the case's version."""
    council_level = council_level or level
    closed_at = datetime.combine(closed_on, time(3, 0), tzinfo=UTC)  # 10:00 in Vietnam
    with evaluation.db.unit_of_work() as uow:
        case = uow.session.get_one(Case, uuid.UUID(dossier_id))
        council = Council(
            name=f"Hội đồng OCOP {council_level}",
            level=council_level,
            unit=_unit_of(case, council_level),
            created_at=closed_at - timedelta(days=30),
        )
        uow.session.add(council)
        uow.session.flush()
        uow.session.add(
            Evaluation(
                dossier_id=case.dossier_id,
                level=council_level,
                council_id=council.id,
                status="closed",
                result=result_for(star_rank),
                outcome=outcome,
                star_rank=star_rank,
                opened_at=closed_at - timedelta(days=7),
                closed_at=closed_at,
            )
        )
        if regime is not None:
            case.regime = regime
        happened(uow.session, case, "evaluation.forwarded", level="commune", to_level=council_level)
        happened(uow.session, case, "evaluation.opened", level=council_level, council_id=council.id)
        if level != council_level:
            moved = "evaluation.handed_back" if outcome == "handed_back" else "evaluation.forwarded"
            happened(uow.session, case, moved, level=council_level, to_level=level)
        happened(uow.session, case, "evaluation.awaiting_decision", level=level)
        case.level = level
        case.stage = "awaiting_decision"
        case.pending_rank = star_rank
        case.updated_at = closed_at
        uow.commit()
        return case.version


# --- the world ------------------------------------------------------------------------------


def sign_in_people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    """Signed-in people on the evaluation API, ``registration_applicant`` (the same applicant on
    registration's API) and its ``producer_id``: one applicant owns every dossier of a module."""
    officials = {
        "district_authority": (["decision_authority"], DISTRICT),
        "other_district_authority": (["decision_authority"], OTHER_DISTRICT),
        "province_authority": (["decision_authority"], PROVINCE),
        "other_province_authority": (["decision_authority"], OTHER_PROVINCE),
        "national_authority": (["decision_authority"], "national"),
        "province_secretariat": (["secretariat"], PROVINCE),
        # Reads every case of the district as its auditor (ADR 0009), and signs for the
        # district: an authority in reach of a case whose decision is another level's.
        "district_auditing_authority": (["decision_authority", "auditor"], DISTRICT),
        # The operator: reads every filed case, signs nothing.
        "operator": (["admin"], None),
    }
    # Each signs in from an address of its own: the per-address login limit would otherwise be
    # shared with every other sign-in of the suite from 127.0.0.1.
    actors = {"applicant": flows.register(call, own_address=True)}
    for name, (roles, unit) in officials.items():
        actors[name] = flows.create_official(admin, roles, unit, own_address=True)
    actors["commune_officer"] = commune_officer
    people: dict[str, Any] = {name: on_evaluation(eval_call, a) for name, a in actors.items()}
    people["registration_applicant"] = actors["applicant"]
    people["producer_id"] = flows.create_producer(actors["applicant"])["id"]
    return people


@pytest.fixture(scope="module")
def people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


def new_case(registration, evaluation, commune_officer, people) -> str:
    """A dossier filed, accepted at the commune and delivered to evaluation; its id."""
    applicant = people["registration_applicant"]
    dossier = flows.accepted_dossier(applicant, commune_officer, people["producer_id"])
    assert deliver(registration, evaluation, dossier["id"]) == 2
    return dossier["id"]


@pytest.fixture()
def case_id(registration, evaluation, commune_officer, people) -> str:
    return new_case(registration, evaluation, commune_officer, people)


def outbox_events(evaluation: Any, dossier_id: str) -> list[dict[str, Any]]:
    o = evaluation.outbox.c
    with evaluation.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).order_by(o.id)).all()
    return [env for (env,) in rows if env.get("dossier_id") == dossier_id]


def state(evaluation: Any, dossier_id: str) -> tuple[Any, ...]:
    """Everything a refused decision must leave alone."""
    with evaluation.db.reader() as session:
        case = session.get_one(Case, uuid.UUID(dossier_id))
        certificates = session.execute(
            select(func.count()).where(Certificate.dossier_id == case.dossier_id)
        ).scalar_one()
        outbox = session.execute(select(func.count()).select_from(evaluation.outbox)).scalar_one()
        return case.version, case.stage, case.level, case.pending_rank, certificates, outbox


def assert_problem(reply: flows.Reply, status: int, slug: str) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["type"] == f"urn:ocop:problem:{slug}"
    return reply.body


def days_ago(n: int) -> date:
    return certificate_service.today() - timedelta(days=n)


# --- recognition ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decided_on", "expires_on"),
    [
        (date(2026, 8, 31), date(2029, 8, 31)),
        # No 29 February in 2027: the month's last day (Civil Code Art. 148).
        (date(2024, 2, 29), date(2027, 2, 28)),
    ],
)
def test_district_authority_recognises_3_star(
    evaluation, people, case_id, decided_on, expires_on
) -> None:
    version = awaiting_decision(
        evaluation, case_id, star_rank=3, level="district", closed_on=decided_on - timedelta(3)
    )
    before = len(outbox_events(evaluation, case_id))

    reply = decide(people["district_authority"], case_id, version, decided_on)

    assert reply.status == 201, reply.body
    body = reply.body
    assert body["stage"] == "recognised" and body["version"] > version
    cert = body["certificate"]
    assert re.fullmatch(rf"OCOP-45\.461-{decided_on.year}-\d{{5}}", cert["number"]), cert
    assert cert["star_rank"] == 3 and cert["level"] == "district"
    assert cert["authority_unit"] == DISTRICT
    assert cert["issued_on"] == decided_on.isoformat()
    assert cert["expires_on"] == expires_on.isoformat()
    assert cert["decision_number"] == "1234/QĐ-UBND"
    assert cert["status"] == ("valid" if expires_on >= certificate_service.today() else "expired")

    with evaluation.db.reader() as session:
        row = session.get_one(Certificate, cert["number"])
        case = session.get_one(Case, uuid.UUID(case_id))
    assert row.decided_by == uuid.UUID(people["district_authority"].account["id"])
    assert row.expires_on == expires_on and row.status == "valid"
    assert (case.stage, case.pending_rank, case.version) == ("recognised", None, body["version"])

    new = outbox_events(evaluation, case_id)[before:]
    assert [e["type"] for e in new] == ["evaluation.decided", "certificate.issued"]
    decided, issued = (e["payload"] for e in new)
    assert decided["outcome"] == "recognised" and decided["star_rank"] == 3
    assert decided["result"] == result_for(3)
    assert decided["decision_number"] == "1234/QĐ-UBND" and decided["level"] == "district"
    assert issued["number"] == cert["number"] and issued["expires_on"] == expires_on.isoformat()
    assert new[0]["actor"]["user_id"] == people["district_authority"].account["id"]


def test_province_numbers_follow_one_another(
    registration, evaluation, commune_officer, people
) -> None:
    year = days_ago(2).year

    def recognise() -> tuple[str, int]:
        dossier_id = new_case(registration, evaluation, commune_officer, people)
        version = awaiting_decision(
            evaluation, dossier_id, star_rank=4, level="province", closed_on=days_ago(10)
        )
        reply = decide(people["province_authority"], dossier_id, version, days_ago(2))
        assert reply.status == 201, reply.body
        assert reply.body["certificate"]["authority_unit"] == PROVINCE
        number = reply.body["certificate"]["number"]
        match = re.fullmatch(rf"OCOP-45-{year}-(\d{{5}})", number)
        assert match, number
        return number, int(match.group(1))

    first, serial = recognise()
    assert recognise()[1] == serial + 1

    # A unit of the other tree with the same code (a successor province) holds the next
    # number: the authority's next certificate skips it rather than failing.
    with evaluation.db.unit_of_work() as uow:
        taken = uow.session.get_one(Certificate, first)
        squatter = {c.key: getattr(taken, c.key) for c in Certificate.__table__.columns}
        squatter |= {
            "number": f"OCOP-45-{year}-{serial + 2:05d}",
            "authority_unit": "2025:province:45",
        }
        uow.session.add(Certificate(**squatter))
        uow.commit()
    assert recognise()[1] == serial + 3


def test_national_authority_recognises_5_star(evaluation, people, case_id) -> None:
    version = awaiting_decision(
        evaluation, case_id, star_rank=5, level="national", closed_on=days_ago(5)
    )
    # The authorities of the levels below were never awaited on this case: they are not on it
    # (ADR 0009; before, their jurisdiction reached it and they got 403). One that reads it
    # (as the district's auditor) still may not sign for another level.
    for who in ("province_authority", "district_authority"):
        assert_problem(decide(people[who], case_id, version, days_ago(1)), 404, "not-found")
    wrong_level = decide(people["district_auditing_authority"], case_id, version, days_ago(1))
    assert_problem(wrong_level, 403, "forbidden")
    reply = decide(people["national_authority"], case_id, version, days_ago(1))
    assert reply.status == 201, reply.body
    assert re.fullmatch(r"OCOP-TW-\d{4}-\d{5}", reply.body["certificate"]["number"])
    assert reply.body["certificate"]["authority_unit"] == "national"


def test_a_handed_back_rank_is_recognised_below(evaluation, people, case_id) -> None:
    # The province council found 3★: handed back to the district, whose authority signs.
    version = awaiting_decision(
        evaluation,
        case_id,
        star_rank=3,
        level="district",
        council_level="province",
        outcome="handed_back",
        closed_on=days_ago(4),
    )
    # The province's authority was not awaited (its council handed the case back): it is not on
    # the case (ADR 0009); the province secretariat, which had it, may read it but not sign.
    assert_problem(
        decide(people["province_authority"], case_id, version, days_ago(1)), 404, "not-found"
    )
    assert_problem(
        decide(people["province_secretariat"], case_id, version, days_ago(1)), 403, "forbidden"
    )
    reply = decide(people["district_authority"], case_id, version, days_ago(1))
    assert reply.status == 201, reply.body
    assert reply.body["certificate"]["level"] == "district"


def test_two_tier_province_recognises_3_star(evaluation, people, case_id) -> None:
    version = awaiting_decision(
        evaluation,
        case_id,
        star_rank=3,
        level="province",
        regime="two-tier",
        closed_on=days_ago(6),
    )
    # No district level in this regime: its authority is not on the case (ADR 0009); the
    # district's auditor reads it but signs for no level of it.
    assert_problem(
        decide(people["district_authority"], case_id, version, days_ago(1)), 404, "not-found"
    )
    wrong_level = decide(people["district_auditing_authority"], case_id, version, days_ago(1))
    assert_problem(wrong_level, 403, "forbidden")
    reply = decide(people["province_authority"], case_id, version, days_ago(1))
    assert reply.status == 201, reply.body
    assert reply.body["certificate"]["star_rank"] == 3
    assert reply.body["certificate"]["authority_unit"] == PROVINCE


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "slug"),
    [
        ("district_auditing_authority", 403, "forbidden"),  # in reach, the wrong level
        ("operator", 403, "forbidden"),  # in reach (everything filed), no authority
        ("province_secretariat", 403, "forbidden"),  # on the case, not its authority
        ("applicant", 403, "forbidden"),  # the owner, who signs nothing
        ("commune_officer", 403, "forbidden"),  # its handler, who reads on
        # Authorities whose decision this case never awaited are not on it (ADR 0009): no
        # such case, as for another province's (before, their jurisdiction reached it: 403).
        ("district_authority", 404, "not-found"),
        ("national_authority", 404, "not-found"),
        ("other_province_authority", 404, "not-found"),  # another province: no such case
    ],
)
def test_only_the_recognising_authority_decides(
    evaluation, people, case_id, who, status, slug
) -> None:
    version = awaiting_decision(
        evaluation, case_id, star_rank=4, level="province", closed_on=days_ago(5)
    )
    before = state(evaluation, case_id)
    problem = assert_problem(decide(people[who], case_id, version, days_ago(1)), status, slug)
    assert "certificate" not in problem and case_id not in str(problem.get("detail"))
    assert state(evaluation, case_id) == before


def test_another_districts_authority_does_not_see_the_case(evaluation, people, case_id) -> None:
    version = awaiting_decision(
        evaluation, case_id, star_rank=3, level="district", closed_on=days_ago(5)
    )
    before = state(evaluation, case_id)
    reply = decide(people["other_district_authority"], case_id, version, days_ago(1))
    assert_problem(reply, 404, "not-found")
    assert state(evaluation, case_id) == before
    missing = decide(people["district_authority"], str(uuid.uuid4()), 1, days_ago(1))
    assert_problem(missing, 404, "not-found")


def test_only_a_case_awaiting_a_decision(evaluation, people, case_id) -> None:
    with evaluation.db.reader() as session:
        case = session.get_one(Case, uuid.UUID(case_id))
    assert case.stage == "commune_review"
    before = state(evaluation, case_id)
    # Before its decision is awaited the authority is not on the case (ADR 0009): no such
    # case for it; one who reads it (the district's auditing authority) may not decide yet.
    reply = decide(people["province_authority"], case_id, case.version, days_ago(1))
    assert_problem(reply, 404, "not-found")
    reply = decide(people["district_auditing_authority"], case_id, case.version, days_ago(1))
    assert_problem(reply, 409, "transition-not-allowed")
    assert state(evaluation, case_id) == before

    version = awaiting_decision(
        evaluation, case_id, star_rank=4, level="province", closed_on=days_ago(5)
    )
    done = decide(people["province_authority"], case_id, version, days_ago(1))
    assert done.status == 201, done.body
    before = state(evaluation, case_id)
    again = decide(people["province_authority"], case_id, done.body["version"], days_ago(1))
    assert_problem(again, 409, "transition-not-allowed")
    assert state(evaluation, case_id) == before


def test_bad_input_changes_nothing(evaluation, people, case_id) -> None:
    closed_on = days_ago(5)
    version = awaiting_decision(
        evaluation, case_id, star_rank=4, level="province", closed_on=closed_on
    )
    authority = people["province_authority"]
    before = state(evaluation, case_id)

    future = assert_problem(
        decide(authority, case_id, version, days_ago(-1)), 422, "validation-error"
    )
    assert "decided_on" in future["errors"]
    early = assert_problem(
        decide(authority, case_id, version, closed_on - timedelta(days=1)), 422, "validation-error"
    )
    assert "decided_on" in early["errors"]
    smuggled = decide(authority, case_id, version, days_ago(1), star_rank=5, status="valid")
    assert set(assert_problem(smuggled, 422, "validation-error")["errors"]) == {
        "star_rank",
        "status",
    }
    no_number = authority(
        "POST",
        f"/api/v1/cases/{case_id}/decisions",
        json={"decided_on": days_ago(1).isoformat(), "version": version},
    )
    assert "decision_number" in assert_problem(no_number, 422, "validation-error")["errors"]
    not_a_date = authority(
        "POST",
        f"/api/v1/cases/{case_id}/decisions",
        json={"decision_number": "1/QĐ", "decided_on": "30/11/2026", "version": version},
    )
    assert "decided_on" in assert_problem(not_a_date, 422, "validation-error")["errors"]
    stale = assert_problem(decide(authority, case_id, version - 1, days_ago(1)), 409, "conflict")
    assert stale["current_version"] == version
    assert state(evaluation, case_id) == before

    # The same decision with good input goes through: the refusals were about the input.
    assert decide(authority, case_id, version, closed_on).status == 201
