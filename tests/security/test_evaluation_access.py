"""docs/quality.md 11 and 18 for the evaluation and notification services: every route is classified
(who may call it), anonymous calls to the others answer 401, and the object-level matrix holds
on every route that takes an id, over the people on a case (ADR 0009).

The cases and the people are tests/security/people_on_a_case.py's: real cases driven through
the APIs, and their events handed to the other services as the broker would, so each
service's ``case_participants`` rows come from real events. The evaluation service answers
the applicant about its own cases, and officials about the cases they are on (the handler, the
secretariat of a level the case reached, the members seated on its council less one with a
conflict, the authority once its decision is awaited) and auditors about their jurisdiction;
consultants see nothing of the councils' work, and an evaluation is the officials' alone. Who
reaches a council is its seats and the officials overseeing its unit. A dossier's delivery log
(notification) is read like the dossier in registration.

Outside reach an object answers 404, the same as a missing id; inside it, a caller without the
right 403; a right caller at the wrong stage 409. Writes are sent so that a caller with the
right is stopped after every access check without changing anything (a stale version, a
finding about someone not on the council, a revocation found in the future: 409 or 422), so
every cell, allowed ones included, is checked; the one write that cannot be (a seat removed)
is undone after it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from services.evaluation import models
from tests.security import people_on_a_case as people
from tests.security.conftest import assert_problem
from tests.security.people_on_a_case import (
    ACCEPTED,
    FAR,
    MISSING,
    OBJECTS,
    ON_CASE,
    OWNERS_CASES,
    PERSONS,
    SCORED,
    World,
    applicant_side,
    auditing,
)
from tests.support import councils as kit
from tests.support import flows

# --- the route tables -----------------------------------------------------------------------

PUBLIC = "public"  # no sign-in needed (probes, documents, label checks)
SIGNED_IN = "signed-in"  # any signed-in caller; the answer holds only what is in reach
ROLE = "role"  # a role (and unit) decides; no object in the path
OBJECT = "object"  # an object in the path (or the query): the matrix below

EVALUATION_ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("/healthz", "GET"): (PUBLIC, "probe"),
    ("/readyz", "GET"): (PUBLIC, "probe"),
    ("/metrics", "GET"): (PUBLIC, "Prometheus"),
    ("/static/<path:filename>", "GET"): (PUBLIC, "Flask's static files"),
    ("/api/v1/openapi.json", "GET"): (PUBLIC, "the API document"),
    ("/api/v1/certificates/<path:number>", "GET"): (PUBLIC, "label check"),
    ("/api/v1/register", "GET"): (PUBLIC, "the public register"),
    ("/api/v1/register/<path:number>", "GET"): (PUBLIC, "the public register"),
    ("/api/v1/register.csv", "GET"): (PUBLIC, "the public register's open data"),
    ("/api/v1/register.json", "GET"): (PUBLIC, "the public register's open data"),
    ("/api/v1/rubrics/<string(maxlength=20):version>/sheets/<string(length=2):set_code>", "GET"): (
        PUBLIC,
        "the official sheets",
    ),
    ("/api/v1/cases", "GET"): (SIGNED_IN, "cases in reach"),
    ("/api/v1/evaluations", "GET"): (SIGNED_IN, "evaluations of one's seats or in reach"),
    ("/api/v1/councils", "GET"): (SIGNED_IN, "councils sat on or overseen"),
    ("/api/v1/rounds", "GET"): (SIGNED_IN, "the calendar"),
    ("/api/v1/rounds/<uuid:round_id>", "GET"): (SIGNED_IN, "the calendar"),
    ("/api/v1/councils", "POST"): (ROLE, "secretariat of the council's unit"),
    ("/api/v1/rounds", "POST"): (ROLE, "secretariat of the round's unit"),
    ("/api/v1/rounds/defaults", "POST"): (ROLE, "secretariat of the unit"),
    ("/api/v1/officials", "GET"): (ROLE, "secretariat and admin, listing officials in reach"),
    ("/api/v1/statistics", "GET"): (ROLE, "officials, counting what they reach"),
    ("/api/v1/statistics/export.csv", "GET"): (ROLE, "officials, counting what they reach"),
    ("/api/v1/certificates", "GET"): (OBJECT, "read-certificates"),
    ("/api/v1/certificates/<path:number>/revocation", "POST"): (OBJECT, "revoke"),
    ("/api/v1/cases/<uuid:dossier_id>", "GET"): (OBJECT, "read-case"),
    ("/api/v1/cases/<uuid:dossier_id>/commune-review", "POST"): (OBJECT, "commune-review"),
    ("/api/v1/cases/<uuid:dossier_id>/evaluations", "POST"): (OBJECT, "assign"),
    ("/api/v1/cases/<uuid:dossier_id>/decisions", "POST"): (OBJECT, "decide"),
    ("/api/v1/councils/<uuid:council_id>", "GET"): (OBJECT, "read-council"),
    ("/api/v1/councils/<uuid:council_id>/members", "GET"): (OBJECT, "read-members"),
    ("/api/v1/councils/<uuid:council_id>/members", "POST"): (OBJECT, "seat-member"),
    ("/api/v1/councils/<uuid:council_id>/members/<uuid:account_id>", "DELETE"): (
        OBJECT,
        "unseat-member",
    ),
    ("/api/v1/evaluations/<uuid:evaluation_id>", "GET"): (OBJECT, "read-evaluation"),
    ("/api/v1/evaluations/<uuid:evaluation_id>/conflicts", "POST"): (OBJECT, "declare"),
    ("/api/v1/evaluations/<uuid:evaluation_id>/conflicts/found", "POST"): (OBJECT, "record"),
    ("/api/v1/evaluations/<uuid:evaluation_id>/dossier", "GET"): (OBJECT, "read-dossier"),
    ("/api/v1/evaluations/<uuid:evaluation_id>/finalise", "POST"): (OBJECT, "finalise"),
    ("/api/v1/evaluations/<uuid:evaluation_id>/sheets", "GET"): (OBJECT, "read-sheets"),
    ("/api/v1/evaluations/<uuid:evaluation_id>/sheets", "POST"): (OBJECT, "submit-sheet"),
    ("/api/v1/evaluations/<uuid:evaluation_id>/sheets/mine", "GET"): (OBJECT, "read-my-sheet"),
    ("/api/v1/evaluations/<uuid:evaluation_id>/sheets/mine", "PUT"): (OBJECT, "revise-sheet"),
}

NOTIFICATION_ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("/healthz", "GET"): (PUBLIC, "probe"),
    ("/readyz", "GET"): (PUBLIC, "probe"),
    ("/metrics", "GET"): (PUBLIC, "Prometheus"),
    ("/static/<path:filename>", "GET"): (PUBLIC, "Flask's static files"),
    ("/api/v1/openapi.json", "GET"): (PUBLIC, "the API document"),
    ("/api/v1/deliveries", "GET"): (OBJECT, "a dossier's deliveries, to those who reach it"),
    ("/api/v1/deliveries/mine", "GET"): (SIGNED_IN, "one's own emails"),
    ("/api/v1/deliveries/failed", "GET"): (ROLE, "operators (admin)"),
    ("/api/v1/deliveries/<uuid:delivery_id>/replay", "POST"): (
        OBJECT,
        "operators (admin); 404 to anyone else",
    ),
    ("/api/v1/preferences/me", "GET"): (SIGNED_IN, "one's own preferences"),
    ("/api/v1/preferences/me", "PUT"): (SIGNED_IN, "one's own preferences"),
}


def route_table(app: Any) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


# --- the services and the world -------------------------------------------------------------


@pytest.fixture(scope="module")
def world(
    call: flows.Transport,
    eval_call: flows.Transport,
    sec_admin: flows.Actor,
    registration: Any,
    evaluation: Any,
    notification: Any,
) -> World:
    built = people.build(
        call=call,
        eval_call=eval_call,
        admin=sec_admin,
        registration=registration,
        evaluation=evaluation,
    )
    built.feed(notification, registration, evaluation)
    return built


@pytest.mark.parametrize("service", ["evaluation", "notification"])
def test_every_route_is_classified(service: str, request: pytest.FixtureRequest) -> None:
    app = request.getfixturevalue(f"{service}_app")
    table = EVALUATION_ROUTES if service == "evaluation" else NOTIFICATION_ROUTES
    found = route_table(app)
    unclassified = sorted(found - set(table))
    assert not unclassified, f"classify these {service} routes: {unclassified}"
    stale = sorted(set(table) - found)
    assert not stale, f"the {service} table names routes the app no longer has: {stale}"


# Bodies that pass validation, so that an anonymous call reaches the authentication check.
_ID = "01890000-0000-7000-8000-000000000000"
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/councils", "POST"): {"name": "HĐ", "level": "district", "unit": kit.DISTRICT},
    ("/api/v1/rounds", "POST"): {
        "level": "district",
        "unit": kit.DISTRICT,
        "name": "Đợt 9",
        "proposals_due": "2030-04-30",
        "closes_on": "2030-06-30",
    },
    ("/api/v1/rounds/defaults", "POST"): {"level": "province", "unit": kit.PROVINCE, "year": 2030},
    ("/api/v1/cases/<uuid:dossier_id>/commune-review", "POST"): kit.review_body(1),
    ("/api/v1/cases/<uuid:dossier_id>/evaluations", "POST"): {"version": 1, "council_id": _ID},
    ("/api/v1/cases/<uuid:dossier_id>/decisions", "POST"): {
        "version": 1,
        "decision_number": "12/QĐ-UBND",
        "decided_on": "2026-12-01",
    },
    ("/api/v1/certificates/<path:number>/revocation", "POST"): {
        "ground": "mark_misuse",
        "found_on": "2026-12-01",
    },
    ("/api/v1/councils/<uuid:council_id>/members", "POST"): {"account_id": _ID, "role": "member"},
    ("/api/v1/evaluations/<uuid:evaluation_id>/conflicts", "POST"): {"conflicted": False},
    ("/api/v1/evaluations/<uuid:evaluation_id>/conflicts/found", "POST"): {
        "account_id": _ID,
        "reason": "Họ hàng",
    },
    ("/api/v1/evaluations/<uuid:evaluation_id>/finalise", "POST"): {"version": 1},
    ("/api/v1/evaluations/<uuid:evaluation_id>/sheets", "POST"): {"answers": {"1.1": "a"}},
    ("/api/v1/evaluations/<uuid:evaluation_id>/sheets/mine", "PUT"): {
        "answers": {"1.1": "a"},
        "revision": 1,
    },
    ("/api/v1/preferences/me", "PUT"): {"language": "vi"},
}
QUERIES: dict[tuple[str, str], str] = {
    ("/api/v1/certificates", "GET"): f"?dossier_id={_ID}",
    ("/api/v1/deliveries", "GET"): f"?dossier_id={_ID}",
    ("/api/v1/statistics/export.csv", "GET"): "?group_by=star_rank",
}


def _concrete(rule: str) -> str:
    """The rule with every argument filled in (ids that exist nowhere)."""
    path = rule
    for pattern, value in (
        ("<uuid:", _ID),
        ("<string(maxlength=40):", "OCOP-45-2026-00001"),
        ("<string(maxlength=20):", "qd26-2026"),
        ("<string(length=2):", "06"),
        ("<path:", "x.css"),
    ):
        while pattern in path:
            start = path.index(pattern)
            path = path[:start] + value + path[path.index(">", start) + 1 :]
    return path


def _anonymous_cases() -> list[tuple[str, str, str]]:
    return [
        (service, rule, method)
        for service, table in (
            ("evaluation", EVALUATION_ROUTES),
            ("notification", NOTIFICATION_ROUTES),
        )
        for (rule, method), (kind, _) in sorted(table.items())
        if kind != PUBLIC
    ]


@pytest.mark.parametrize(("service", "rule", "method"), _anonymous_cases())
def test_anonymous_calls_answer_401(
    service: str, rule: str, method: str, request: pytest.FixtureRequest
) -> None:
    client = request.getfixturevalue(f"{service}_app").test_client()
    path = _concrete(rule) + QUERIES.get((rule, method), "")
    reply = client.open(path, method=method, json=BODIES.get((rule, method)))
    assert reply.status_code == 401, (rule, method, reply.status_code, reply.get_json())
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.get_json()["type"] == "urn:ocop:problem:unauthorized"


def test_public_routes_answer_without_a_token(evaluation_app: Any, notification_app: Any) -> None:
    for app, table in (
        (evaluation_app, EVALUATION_ROUTES),
        (notification_app, NOTIFICATION_ROUTES),
    ):
        client = app.test_client()
        for (rule, method), (kind, _) in table.items():
            if kind == PUBLIC and "<path:" not in rule:
                reply = client.open(_concrete(rule), method=method)
                assert reply.status_code in (200, 404), (rule, reply.status_code)


# --- the object-level matrix of the evaluation service --------------------------------------

COUNCIL_OBJ = "the council"  # the district council scoring COUNCIL, DECISION and RECOGNISED
CERTIFICATE = people.RECOGNISED  # the certificate its recognition issued
STALE = 9999  # a version no object has: a caller with the right meets 409 conflict


def reads_case(person: str, obj: str) -> bool:
    """The evaluation service's case reach: the owner of its case, officials on it, auditors
    of its jurisdiction; only cases the commune accepted exist there."""
    if obj not in ACCEPTED:
        return False
    return (person == "owner" and obj in OWNERS_CASES) or reads_evaluation(person, obj)


def reads_evaluation(person: str, obj: str) -> bool:
    """An evaluation: the officials on its case and auditors (not the applicant's side)."""
    return obj in ACCEPTED and (person in ON_CASE[obj] or auditing(person, obj))


# Who reaches the council: its seats now (the conflicted member still sits on it), officials
# overseeing its unit (district 461, in province 45).
COUNCIL_READERS = frozenset(
    {"chair", "member", "conflicted_member"}
    | {"secretariat", "province_secretariat", "authority", "auditor"}
)

Answer = int | tuple[int, str]  # a status, or a status and the problem's type
CONFLICT: Answer = (409, "conflict")  # the right caller, stopped by a stale version/revision
WRONG_STAGE: Answer = (409, "transition-not-allowed")
INVALID: Answer = (422, "validation-error")


def _case_write(person: str, obj: str, actor: str, stage_obj: str) -> Answer:
    """A write on a case that ``actor`` may take at ``stage_obj``'s stage."""
    if not reads_case(person, obj):
        return 404
    if person != actor:
        return 403
    return CONFLICT if obj == stage_obj else WRONG_STAGE


def _evaluation_act(person: str, obj: str, seats: frozenset[str], open_answer: Answer) -> Answer:
    if not reads_evaluation(person, obj):
        return 404
    if person not in seats:
        return 403
    return open_answer if obj == people.COUNCIL else WRONG_STAGE


EXPECTED: dict[str, Callable[[str, str], Answer]] = {
    "read-case": lambda p, o: 200 if reads_case(p, o) else 404,
    "read-certificates": lambda p, o: 200 if reads_case(p, o) else 404,
    # The handler does the commune review; the district secretariat assigns a council; the
    # district authority decides (each only at its stage).
    "commune-review": lambda p, o: _case_write(p, o, "handler", people.REVIEW),
    "assign": lambda p, o: _case_write(p, o, "secretariat", people.FORWARDED),
    "decide": lambda p, o: _case_write(p, o, "authority", people.DECISION),
    # The recognising authority revokes (here stopped by a finding dated in the future).
    "revoke": lambda p, o: (INVALID if p == "authority" else 403) if reads_case(p, o) else 404,
    "read-council": lambda p, o: 200 if p in COUNCIL_READERS and o == COUNCIL_OBJ else 404,
    "read-members": lambda p, o: 200 if p in COUNCIL_READERS and o == COUNCIL_OBJ else 404,
    # The council's own unit's secretariat seats (here someone who is no official: 422) and
    # unseats (the spare member, seated again after).
    "seat-member": lambda p, o: (
        404
        if p not in COUNCIL_READERS or o != COUNCIL_OBJ
        else INVALID
        if p == "secretariat"
        else 403
    ),
    "unseat-member": lambda p, o: (
        404 if p not in COUNCIL_READERS or o != COUNCIL_OBJ else 200 if p == "secretariat" else 403
    ),
    "read-evaluation": lambda p, o: 200 if reads_evaluation(p, o) else 404,
    # Seats declared once (409), closed evaluations take no more (409).
    "declare": lambda p, o: _evaluation_act(p, o, people.SEATED, CONFLICT),
    # The level's secretariat or the chair record a finding (here about a non-member: 422).
    "record": lambda p, o: _evaluation_act(p, o, frozenset({"secretariat", "chair"}), INVALID),
    # Seats that declared no conflict read the dossier, open or closed.
    "read-dossier": lambda p, o: (
        404 if not reads_evaluation(p, o) else 200 if p in people.SEATED else 403
    ),
    "finalise": lambda p, o: _evaluation_act(p, o, frozenset({"chair"}), CONFLICT),
    # Sealed until the council closes, then read by everyone who reaches the evaluation.
    "read-sheets": lambda p, o: (
        404 if not reads_evaluation(p, o) else 403 if o == people.COUNCIL else 200
    ),
    "submit-sheet": lambda p, o: _evaluation_act(p, o, people.SEATED, CONFLICT),
    "read-my-sheet": lambda p, o: (
        404 if not reads_evaluation(p, o) else 200 if p in people.SEATED else 403
    ),
    "revise-sheet": lambda p, o: _evaluation_act(p, o, people.SEATED, CONFLICT),
}

CASE_KINDS = ("read-case", "read-certificates", "commune-review", "assign", "decide")
COUNCIL_KINDS = ("read-council", "read-members", "seat-member", "unseat-member")
TARGETS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(CASE_KINDS, OBJECTS),
    "revoke": (CERTIFICATE, MISSING),
    **dict.fromkeys(COUNCIL_KINDS, (COUNCIL_OBJ, MISSING)),
    **dict.fromkeys(
        set(EXPECTED) - set(CASE_KINDS) - set(COUNCIL_KINDS) - {"revoke"}, (*SCORED, MISSING)
    ),
}

Request = Callable[[World, flows.Actor, str], flows.Reply]


def _case(w: World, o: str, tail: str = "") -> str:
    return f"/api/v1/cases/{w.dossier_id(o)}{tail}"


def _ev(w: World, o: str, tail: str = "") -> str:
    evaluation = str(uuid.uuid4()) if o == MISSING else w.evaluations[o]
    return f"/api/v1/evaluations/{evaluation}{tail}"


def _council(w: World, o: str, tail: str = "") -> str:
    return f"/api/v1/councils/{w.council_id if o == COUNCIL_OBJ else uuid.uuid4()}{tail}"


def _certificate(w: World, o: str) -> str:
    return w.certificate if o == CERTIFICATE else "OCOP-45-2026-99999"


REQUESTS: dict[str, Request] = {
    "read-case": lambda w, a, o: a("GET", _case(w, o)),
    "commune-review": lambda w, a, o: a(
        "POST", _case(w, o, "/commune-review"), json=kit.review_body(STALE)
    ),
    "assign": lambda w, a, o: a(
        "POST", _case(w, o, "/evaluations"), json={"version": STALE, "council_id": w.council_id}
    ),
    "decide": lambda w, a, o: a(
        "POST",
        _case(w, o, "/decisions"),
        json={
            "version": STALE,
            "decision_number": "9/QĐ-UBND",
            "decided_on": people.vietnam_today(),
        },
    ),
    "read-certificates": lambda w, a, o: a(
        "GET", f"/api/v1/certificates?dossier_id={w.dossier_id(o)}"
    ),
    "revoke": lambda w, a, o: a(
        "POST",
        f"/api/v1/certificates/{_certificate(w, o)}/revocation",
        json={"ground": "mark_misuse", "found_on": str(date.today() + timedelta(days=30))},
    ),
    "read-council": lambda w, a, o: a("GET", _council(w, o)),
    "read-members": lambda w, a, o: a("GET", _council(w, o, "/members")),
    "seat-member": lambda w, a, o: a(
        "POST",
        _council(w, o, "/members"),
        json={"account_id": w.account_id("owner"), "role": "member"},
    ),
    "unseat-member": lambda w, a, o: a(
        "DELETE", _council(w, o, f"/members/{w.spare_member.account['id']}")
    ),
    "read-evaluation": lambda w, a, o: a("GET", _ev(w, o)),
    "declare": lambda w, a, o: a(
        "POST", _ev(w, o, "/conflicts"), json={"conflicted": True, "reason": "Họ hàng"}
    ),
    "record": lambda w, a, o: a(
        "POST",
        _ev(w, o, "/conflicts/found"),
        json={"account_id": w.account_id("owner"), "reason": "Họ hàng"},
    ),
    "read-dossier": lambda w, a, o: a("GET", _ev(w, o, "/dossier")),
    "finalise": lambda w, a, o: a("POST", _ev(w, o, "/finalise"), json={"version": STALE}),
    "read-sheets": lambda w, a, o: a("GET", _ev(w, o, "/sheets")),
    "submit-sheet": lambda w, a, o: a(
        "POST", _ev(w, o, "/sheets"), json={"answers": people.THREE_STARS}
    ),
    "read-my-sheet": lambda w, a, o: a("GET", _ev(w, o, "/sheets/mine")),
    "revise-sheet": lambda w, a, o: a(
        "PUT", _ev(w, o, "/sheets/mine"), json={"answers": people.THREE_STARS, "revision": STALE}
    ),
}


def test_matrix_covers_every_object_route() -> None:
    kinds = {name for kind, name in EVALUATION_ROUTES.values() if kind == OBJECT}
    assert kinds == set(REQUESTS) == set(EXPECTED) == set(TARGETS)


def test_the_world_stands_where_it_should(world: World, evaluation: Any) -> None:
    assert people.stages(evaluation, world) == {
        people.REVIEW: "commune_review",
        people.FORWARDED: "awaiting_assignment",
        people.COUNCIL: "in_evaluation",
        people.DECISION: "awaiting_decision",
        people.RECOGNISED: "recognised",
        FAR: "commune_review",
    }


def snapshot(world: World) -> tuple[Any, ...]:
    """What a refused (or stopped) request must leave as it was, in one query: the outbox
    (every change here writes an event), the counted rows, this world's cases and evaluations
    (their versions move with every change), the certificate's status, the seats."""
    m = models
    ids = [uuid.UUID(world.dossier_id(o)) for o in ACCEPTED]
    tables = (world.evaluation.outbox, m.Case, m.CommuneReview, m.Evaluation)
    tables += (m.ConflictDeclaration, m.ScoreSheet, m.ScoreSheetRevision)
    figures = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
    figures += [
        select(func.sum(m.Case.version)).where(m.Case.dossier_id.in_(ids)).scalar_subquery(),
        select(func.sum(m.Evaluation.version))
        .where(m.Evaluation.dossier_id.in_(ids))
        .scalar_subquery(),
        select(m.Certificate.status)
        .where(m.Certificate.number == world.certificate)
        .scalar_subquery(),
        select(func.count())
        .select_from(m.CouncilMember)
        .where(m.CouncilMember.removed_at.is_(None))
        .scalar_subquery(),
    ]
    with world.evaluation.db.reader() as session:
        return tuple(session.execute(select(*figures)).one())


def _extra(answer: Answer) -> frozenset[str]:
    return frozenset({"current_version", "current_revision"}) if answer == CONFLICT else frozenset()


def _marker(world: World, kind: str, obj: str, actor: flows.Actor) -> str:
    """What a successful answer must hold: the object itself."""
    if kind in ("read-case", "read-dossier"):
        return world.dossier_id(obj)
    if kind == "read-certificates":
        return world.certificate if obj == CERTIFICATE else world.dossier_id(obj)
    if kind == "read-evaluation":
        return world.evaluations[obj]
    return {
        "read-council": world.council_id,
        "read-members": world.account_id("member"),
        "unseat-member": world.spare_member.account["id"],
        "read-sheets": world.account_id("member"),
        "read-my-sheet": actor.account["id"],
    }[kind]


def _reseat(world: World, call: flows.Transport) -> None:
    """Seat the spare member again (the one write a right caller makes here)."""
    secretariat = world.on(call, "secretariat")
    body = {"account_id": world.spare_member.account["id"], "role": "member"}
    reply = secretariat("POST", f"/api/v1/councils/{world.council_id}/members", json=body)
    assert reply.status == 201, reply.body


def cell_errors(world: World, kind: str, actor: flows.Actor, obj: str, want: Answer) -> list[str]:
    """Why ``actor``'s request of ``kind`` on ``obj`` is not answered ``want`` (none if it is)."""
    status, slug = want if isinstance(want, tuple) else (want, None)
    before = snapshot(world) if status != 200 else None
    reply = REQUESTS[kind](world, actor, obj)
    if status == 200:
        if kind == "unseat-member" and reply.status == 200:
            _reseat(world, actor.call)
        if reply.status != 200:
            return [f"answered {reply.status} {reply.body!r:.300}, not 200"]
        if kind == "read-certificates" and obj != CERTIFICATE:
            empty = {"items": [], "next": None}
            return [] if reply.body == empty else [f"certificates: {reply.body!r:.300}"]
        marker = _marker(world, kind, obj, actor)
        return (
            [] if marker and marker in str(reply.body) else [f"not the object: {reply.body!r:.300}"]
        )
    slug = slug or {403: "forbidden", 404: "not-found"}[status]
    try:
        assert_problem(reply, status, slug, extra=_extra(want))
    except AssertionError:
        return [f"answered {reply.status} {reply.body!r:.300}, not a {status} {slug}"]
    errors = [f"{m!r} leaked" for m in world.markers if m in str(reply.body)]
    if snapshot(world) != before:
        errors.append("a refused request changed something")
    return errors


@pytest.mark.parametrize("person", PERSONS)
@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_object_access(world: World, eval_call: flows.Transport, kind: str, person: str) -> None:
    actor = world.on(eval_call, person)
    failures = [
        f"{obj}: {error}"
        for obj in TARGETS[kind]
        for error in cell_errors(world, kind, actor, obj, EXPECTED[kind](person, obj))
    ]
    assert not failures, f"{kind} by {person}:\n" + "\n".join(failures)


# Whom a case is out of reach of, though they are close to it: the answer is a missing id's.
OUTSIDERS = [
    ("granted_consultant", people.COUNCIL),  # nothing of the councils' work
    ("owner", people.COUNCIL),  # an evaluation is the officials'
    ("colleague", people.REVIEW),
    ("province_secretariat", people.FORWARDED),
    ("secretariat", people.REVIEW),
    ("unseated_member", people.COUNCIL),
    ("conflicted_member", people.DECISION),
    ("authority", people.COUNCIL),
    ("other_auditor", people.RECOGNISED),
]


def _outside() -> list[tuple[str, str, str]]:
    """(kind, person, object) where an outsider's object is that kind's one of the case."""
    cells = []
    for kind in sorted(REQUESTS):
        for person, obj in OUTSIDERS:
            target = {"revoke": CERTIFICATE, **dict.fromkeys(COUNCIL_KINDS, COUNCIL_OBJ)}
            chosen = target.get(kind, obj)
            if chosen in TARGETS[kind] and EXPECTED[kind](person, chosen) == 404:
                cells.append((kind, person, chosen))
    return cells


@pytest.mark.parametrize(("kind", "person", "obj"), _outside())
def test_out_of_reach_is_indistinguishable_from_missing(
    world: World, eval_call: flows.Transport, kind: str, person: str, obj: str
) -> None:
    actor = world.on(eval_call, person)
    answers = []
    for chosen in (obj, MISSING):
        reply = REQUESTS[kind](world, actor, chosen)
        assert_problem(reply, 404, "not-found")
        answers.append({k: v for k, v in reply.body.items() if k not in ("instance", "request_id")})
    assert answers[0] == answers[1]


@pytest.mark.parametrize("person", [p for p in PERSONS if "secretariat" not in p])
def test_only_secretariats_list_officials(
    world: World, eval_call: flows.Transport, person: str
) -> None:
    """Secretariats list the officials they may seat; a commune officer only its commune's
    officers (to hand a dossier on); nobody else lists officials."""
    reply = world.on(eval_call, person)("GET", "/api/v1/officials?limit=200")
    if person not in people.COMMUNE_OFFICERS:
        assert_problem(reply, 403, "forbidden")
        return
    assert reply.status == 200, reply.body
    unit = people.OFFICIALS[person][1]
    assert world.account_id(person) in {o["account_id"] for o in reply.body["items"]}
    assert {(o["unit"], "commune_officer" in o["roles"]) for o in reply.body["items"]} == {
        (unit, True)
    }


# --- the notification service: a dossier's delivery log -------------------------------------


def reads_log(person: str, obj: str) -> bool:
    """The log of a case someone was written to about (none of a draft), read as the dossier
    is in registration: the applicant's side its events listed, the officials on the case,
    auditors of its jurisdiction."""
    if obj in (people.DRAFT, MISSING):
        return False
    return applicant_side(person, obj) or person in ON_CASE[obj] or auditing(person, obj)


def _deliveries(notification: Any) -> int:
    from services.notification.models import Delivery

    with notification.db.reader() as session:
        return session.execute(select(func.count()).select_from(Delivery)).scalar_one()


@pytest.mark.parametrize("person", PERSONS)
def test_delivery_logs(
    world: World, note_call: flows.Transport, notification: Any, person: str
) -> None:
    actor = world.on(note_call, person)
    failures = []
    for obj in OBJECTS:
        before = _deliveries(notification)
        reply = actor("GET", f"/api/v1/deliveries?dossier_id={world.dossier_id(obj)}")
        if reads_log(person, obj):
            if reply.status != 200 or not reply.body["items"]:
                failures.append(f"{obj}: {reply.status} {reply.body!r:.300}")
            elif {d["dossier_id"] for d in reply.body["items"]} != {world.dossier_id(obj)}:
                failures.append(f"{obj}: another case's deliveries")
            continue
        try:
            assert_problem(reply, 404, "not-found")
        except AssertionError:
            failures.append(f"{obj}: {reply.status} {reply.body!r:.300}, not a 404")
            continue
        failures += [f"{obj}: {m!r} leaked" for m in world.markers if m in str(reply.body)]
        if _deliveries(notification) != before:
            failures.append(f"{obj}: a refused read changed something")
    assert not failures, f"deliveries read by {person}:\n" + "\n".join(failures)


def test_every_case_has_a_delivery_log(world: World, note_call: flows.Transport) -> None:
    """Guard for the log's matrix: the owner's cases were written about (their logs exist),
    the draft was not; the other province's case is its auditor's to read."""
    owner = world.on(note_call, "owner")
    for obj in OWNERS_CASES:
        reply = owner("GET", f"/api/v1/deliveries?dossier_id={world.dossier_id(obj)}")
        assert reply.status == (404 if obj == people.DRAFT else 200), (obj, reply.body)
    reply = world.on(note_call, "other_auditor")(
        "GET", f"/api/v1/deliveries?dossier_id={world.dossier_id(FAR)}"
    )
    assert reply.status == 200 and reply.body["items"], reply.body


@pytest.mark.parametrize("person", PERSONS)
def test_only_admins_replay_deliveries(
    world: World, note_call: flows.Transport, person: str
) -> None:
    actor = world.on(note_call, person)
    assert_problem(actor("POST", f"/api/v1/deliveries/{uuid.uuid4()}/replay"), 404, "not-found")
    assert_problem(actor("GET", "/api/v1/deliveries/failed"), 403, "forbidden")


# --- a conflict ends a member's reach, from the declaration on ------------------------------


def test_a_declared_conflict_ends_the_members_reach_in_every_service(
    world: World,
    call: flows.Transport,
    eval_call: flows.Transport,
    note_call: flows.Transport,
    registration: Any,
    evaluation: Any,
    notification: Any,
) -> None:
    """A seated member reaches a case assigned to the council until declaring a conflict on it;
    from then on every service answers 404, as for a case the member never heard of."""
    owner, handler = world.people["owner"], world.people["handler"]
    producer = flows.create_producer(owner)
    dossier = flows.accepted_dossier(owner, handler, producer["id"], people.SET_CODE)
    world.feed.dossiers.add(dossier["id"])
    world.feed(evaluation, registration)
    kit.propose(world.on(eval_call, "handler"), dossier["id"])
    opened = kit.assign(world.on(eval_call, "secretariat"), dossier["id"], world.council_id)
    assert opened.status == 201, opened.body
    world.feed(registration, evaluation)
    world.feed(notification, registration, evaluation)

    member = "conflicted_member"
    paths = {
        eval_call: [f"/api/v1/evaluations/{opened.body['id']}", f"/api/v1/cases/{dossier['id']}"],
        call: [f"/api/v1/dossiers/{dossier['id']}", f"/api/v1/dossiers/{dossier['id']}/documents"],
        note_call: [f"/api/v1/deliveries?dossier_id={dossier['id']}"],
    }
    for transport, urls in paths.items():
        for url in urls:
            assert world.on(transport, member)("GET", url).status == 200, url

    declared = kit.declare(world.on(eval_call, member), opened.body["id"], True, "Họ hàng")
    assert declared.status == 201, declared.body
    world.feed(registration, evaluation)
    world.feed(notification, registration, evaluation)
    for transport, urls in paths.items():
        for url in urls:
            assert_problem(world.on(transport, member)("GET", url), 404, "not-found")
    # The member who declared none reads on.
    assert world.on(call, "member")("GET", f"/api/v1/dossiers/{dossier['id']}").status == 200


def test_the_operator_reads_every_log(
    world: World, sec_admin: flows.Actor, note_call: flows.Transport
) -> None:
    """An admin without a unit (the operator) reads the log of every case written about."""
    operator = flows.create_official(sec_admin, ["admin"], None)
    for obj in OBJECTS:
        reply = note_call(
            "GET", f"/api/v1/deliveries?dossier_id={world.dossier_id(obj)}", token=operator.token
        )
        assert reply.status == (404 if obj in (people.DRAFT, MISSING) else 200), (obj, reply.body)
