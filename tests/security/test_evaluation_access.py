"""QUALITY 11 for the evaluation and notification services: every route is classified (who may
call it), anonymous calls to the others answer 401, and the object-level matrix holds on every
route that takes an id of the evaluation service.

The world: case A of the owner applicant, in flows.COMMUNE (district 461, province 45), under
evaluation by a district council (chair and member), with a round of that district, and a
certificate of an earlier case of the owner. Another district's secretariat and another
applicant are outside its reach (404, as a missing id); inside it, a caller without the right
gets 403; both as problem+json with no object data, and nothing changes. Successful writes are
shown by tests/integration/evaluation; here an allowed writer is only checked not to be refused
for its role (``ALLOWED``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from services.evaluation import models
from tests.security.conftest import assert_problem
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import make_case

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
    ("/api/v1/certificates/<string(maxlength=40):number>", "GET"): (PUBLIC, "label check"),
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
    ("/api/v1/certificates/<string(maxlength=40):number>/revocation", "POST"): (OBJECT, "revoke"),
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


@pytest.fixture(scope="module")
def notification_app(registration: Any, migrated: Any) -> Any:
    from services.notification.app import create_app
    from services.notification.runtime import Notification
    from shared.auth import TokenVerifier

    verifier = TokenVerifier(
        issuer=registration.settings.jwt_issuer,
        audience=registration.settings.jwt_audience,
        resolve_key=registration.keyring.public_key,
    )
    runtime = Notification()
    yield create_app(runtime, verifier=verifier)
    runtime.db.dispose()


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
    ("/api/v1/certificates/<string(maxlength=40):number>/revocation", "POST"): {
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

ROLES = (
    "owner",
    "other_applicant",
    "commune_officer",
    "district_secretariat",
    "other_district_secretariat",
    "province_auditor",
    "district_authority",
    "chair",
    "member",
)
# Who reaches case A (its owner; officials whose jurisdiction holds it), its evaluation (the
# council's seats and officials in reach) and its council (seats; overseeing officials).
CASE_READERS = {
    "owner",
    "commune_officer",
    "district_secretariat",
    "province_auditor",
    "district_authority",
    "chair",
    "member",
}
EVALUATION_READERS = CASE_READERS - {"owner"}
COUNCIL_READERS = {
    "district_secretariat",
    "province_auditor",
    "district_authority",
    "chair",
    "member",
}
SEATS = {"chair", "member"}


@dataclass
class World:
    actors: dict[str, flows.Actor]
    dossier_id: str
    evaluation_id: str
    council_id: str
    certificate: tuple[str, str]  # (number, the earlier case's dossier id)
    product_name: str


@pytest.fixture(scope="module")
def world(
    registration: Any, evaluation: Any, call: flows.Transport, admin: flows.Actor, eval_call: Any
) -> World:
    def official(role: str, unit: str) -> flows.Actor:
        return kit.official(admin, eval_call, [role], unit)

    owner = kit.applicant(call)
    commune_officer = official("commune_officer", flows.COMMUNE)
    actors = {
        "owner": kit.on_evaluation(eval_call, owner),
        "other_applicant": kit.on_evaluation(eval_call, kit.applicant(call)),
        "commune_officer": commune_officer,
        "district_secretariat": official("secretariat", kit.DISTRICT),
        "other_district_secretariat": official("secretariat", kit.OTHER_DISTRICT),
        "province_auditor": official("auditor", kit.PROVINCE),
        "district_authority": official("decision_authority", kit.DISTRICT),
        "chair": official("council_chair", kit.DISTRICT),
        "member": official("council_member", kit.DISTRICT),
    }
    council_id = kit.seat_council(
        evaluation,
        level="district",
        unit=kit.DISTRICT,
        chair=actors["chair"],
        members=[actors["member"]],
    )
    on_registration = flows.Actor(call, commune_officer.token, commune_officer.account)
    dossier = kit.accepted_case(registration, evaluation, owner, on_registration)
    kit.propose(commune_officer, dossier["id"])
    opened = kit.assign(actors["district_secretariat"], dossier["id"], council_id)
    assert opened.status == 201, opened.body
    return World(
        actors,
        dossier["id"],
        opened.body["id"],
        council_id,
        _certificate(evaluation, owner),
        dossier["product_name"],
    )


def _certificate(evaluation: Any, owner: flows.Actor) -> tuple[str, str]:
    """A district 3★ certificate of an earlier case of the owner, written behind the API."""
    number = f"OCOP-45.461-2026-{uuid.uuid4().int % 10**5:05d}"
    with evaluation.db.unit_of_work() as uow:
        case = make_case(uow, owner_account_id=uuid.UUID(owner.account["id"]))
        council = models.Council(
            name="HĐ cũ", level="district", unit=kit.DISTRICT, created_at=datetime.now(UTC)
        )
        uow.session.add(council)
        uow.session.flush()
        earlier = models.Evaluation(
            dossier_id=case.dossier_id,
            level="district",
            council_id=council.id,
            status="closed",
            opened_at=datetime.now(UTC),
        )
        uow.session.add(earlier)
        uow.session.flush()
        today = datetime.now(UTC).date()
        uow.session.add(
            models.Certificate(
                number=number,
                dossier_id=case.dossier_id,
                evaluation_id=earlier.id,
                product_name=case.product_name,
                product_code=case.product_code,
                producer_name=case.producer_name,
                star_rank=3,
                level="district",
                authority_unit=kit.DISTRICT,
                decision_number="7/QĐ-UBND",
                decided_on=today,
                decided_by=uuid.uuid4(),
                issued_on=today,
                expires_on=date(today.year + 3, today.month, min(today.day, 28)),
                status="valid",
            )
        )
        uow.commit()
        return number, str(case.dossier_id)


Request = Callable[[World, flows.Actor, bool], flows.Reply]


def _ids(w: World, missing: bool) -> tuple[str, str, str, str, str]:
    """(dossier, evaluation, council, certificate, its case) of A, or ids that exist nowhere."""
    if missing:
        return (
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            str(uuid.uuid4()),
            "OCOP-45-2026-99999",
            str(uuid.uuid4()),
        )
    return w.dossier_id, w.evaluation_id, w.council_id, *w.certificate


def _ev(w: World, missing: bool, tail: str = "") -> str:
    return f"/api/v1/evaluations/{_ids(w, missing)[1]}{tail}"


def _case(w: World, missing: bool, tail: str = "") -> str:
    return f"/api/v1/cases/{_ids(w, missing)[0]}{tail}"


def _council(w: World, missing: bool, tail: str = "") -> str:
    return f"/api/v1/councils/{_ids(w, missing)[2]}{tail}"


REQUESTS: dict[str, Request] = {
    "read-case": lambda w, a, m: a("GET", _case(w, m)),
    "commune-review": lambda w, a, m: a(
        "POST", _case(w, m, "/commune-review"), json=kit.review_body(2)
    ),
    "assign": lambda w, a, m: a(
        "POST", _case(w, m, "/evaluations"), json={"version": 2, "council_id": w.council_id}
    ),
    "decide": lambda w, a, m: a(
        "POST",
        _case(w, m, "/decisions"),
        json={"version": 3, "decision_number": "9/QĐ-UBND", "decided_on": str(date.today())},
    ),
    "read-certificates": lambda w, a, m: a(
        "GET", f"/api/v1/certificates?dossier_id={_ids(w, m)[4]}"
    ),
    "revoke": lambda w, a, m: a(
        "POST",
        f"/api/v1/certificates/{_ids(w, m)[3]}/revocation",
        json={"ground": "mark_misuse", "found_on": str(date.today())},
    ),
    "read-council": lambda w, a, m: a("GET", _council(w, m)),
    "read-members": lambda w, a, m: a("GET", _council(w, m, "/members")),
    "seat-member": lambda w, a, m: a(
        "POST",
        _council(w, m, "/members"),
        json={"account_id": w.actors["commune_officer"].account["id"], "role": "member"},
    ),
    "unseat-member": lambda w, a, m: a(
        "DELETE", _council(w, m, f"/members/{w.actors['member'].account['id']}")
    ),
    "read-evaluation": lambda w, a, m: a("GET", _ev(w, m)),
    "declare": lambda w, a, m: a(
        "POST", _ev(w, m, "/conflicts"), json={"conflicted": True, "reason": "Họ hàng"}
    ),
    "record": lambda w, a, m: a(
        "POST",
        _ev(w, m, "/conflicts/found"),
        json={"account_id": w.actors["member"].account["id"], "reason": "Họ hàng"},
    ),
    "read-dossier": lambda w, a, m: a("GET", _ev(w, m, "/dossier")),
    "finalise": lambda w, a, m: a("POST", _ev(w, m, "/finalise"), json={"version": 1}),
    "read-sheets": lambda w, a, m: a("GET", _ev(w, m, "/sheets")),
    "submit-sheet": lambda w, a, m: a(
        "POST", _ev(w, m, "/sheets"), json={"answers": flows.complete_answers(kit.SET_CODE)}
    ),
    "read-my-sheet": lambda w, a, m: a("GET", _ev(w, m, "/sheets/mine")),
    "revise-sheet": lambda w, a, m: a(
        "PUT",
        _ev(w, m, "/sheets/mine"),
        json={"answers": flows.complete_answers(kit.SET_CODE), "revision": 1},
    ),
}

ALLOWED = "allowed"  # the role may do it; its success is shown by the integration tests
# kind → (who reaches the object, {role: answer other than 403 for those in reach})
RIGHTS: dict[str, tuple[set[str], dict[str, int | str]]] = {
    "read-case": (CASE_READERS, dict.fromkeys(CASE_READERS, 200)),
    "read-certificates": (CASE_READERS, dict.fromkeys(CASE_READERS, 200)),
    # The case is under evaluation: the right role meets the stage table's 409.
    "commune-review": (CASE_READERS, {"commune_officer": 409}),
    "assign": (CASE_READERS, {"district_secretariat": 409}),
    "decide": (CASE_READERS, {"district_authority": 409}),
    "revoke": (CASE_READERS, {"district_authority": ALLOWED}),
    "read-council": (COUNCIL_READERS, dict.fromkeys(COUNCIL_READERS, 200)),
    "read-members": (COUNCIL_READERS, dict.fromkeys(COUNCIL_READERS, 200)),
    "seat-member": (COUNCIL_READERS, {"district_secretariat": ALLOWED}),
    "unseat-member": (COUNCIL_READERS, {"district_secretariat": ALLOWED}),
    "read-evaluation": (EVALUATION_READERS, dict.fromkeys(EVALUATION_READERS, 200)),
    "declare": (EVALUATION_READERS, dict.fromkeys(SEATS, ALLOWED)),
    "record": (EVALUATION_READERS, {"district_secretariat": ALLOWED, "chair": ALLOWED}),
    "read-dossier": (EVALUATION_READERS, {}),  # seats must declare first: 403 until then
    "finalise": (EVALUATION_READERS, {"chair": 409}),  # no quorum yet
    "read-sheets": (EVALUATION_READERS, {}),  # sealed until the council closes
    "submit-sheet": (EVALUATION_READERS, {}),  # seats must declare first
    "read-my-sheet": (EVALUATION_READERS, dict.fromkeys(SEATS, 404)),  # none handed in
    "revise-sheet": (EVALUATION_READERS, {}),
}


def expected(kind: str, role: str) -> int | str:
    reach, answers = RIGHTS[kind]
    if role not in reach:
        return 404
    return answers.get(role, 403)


def test_matrix_covers_every_object_route() -> None:
    kinds = {name for kind, name in EVALUATION_ROUTES.values() if kind == OBJECT}
    assert kinds == set(REQUESTS) == set(RIGHTS)


def snapshot(evaluation: Any, world: World) -> tuple[Any, ...]:
    with evaluation.db.reader() as session:
        certificate = session.get_one(models.Certificate, world.certificate[0])
        seats = session.execute(
            select(func.count())
            .select_from(models.CouncilMember)
            .where(models.CouncilMember.removed_at.is_(None))
        ).scalar_one()
    return kit.snapshot(evaluation, world.dossier_id), certificate.status, seats


def _matrix_cases() -> list[tuple[str, str]]:
    return [
        (kind, role)
        for kind in sorted(REQUESTS)
        for role in ROLES
        if expected(kind, role) != ALLOWED
    ]


def _marker(world: World, kind: str) -> str:
    """What a successful read must carry: the object itself."""
    return {
        "read-certificates": world.certificate[0],
        "read-council": world.council_id,
        "read-members": world.actors["member"].account["id"],
        "read-evaluation": world.evaluation_id,
    }.get(kind, world.dossier_id)


@pytest.mark.parametrize(("kind", "role"), _matrix_cases())
def test_object_access(world: World, evaluation: Any, kind: str, role: str) -> None:
    want = expected(kind, role)
    before = snapshot(evaluation, world)
    reply = REQUESTS[kind](world, world.actors[role], False)
    if want == 200:
        assert reply.status == 200, (reply.status, reply.body)
        assert _marker(world, kind) in str(reply.body), reply.body
        return
    slug = {403: "forbidden", 404: "not-found", 409: "transition-not-allowed"}[int(want)]
    assert_problem(reply, int(want), slug)
    if want == 404:
        assert world.product_name not in str(reply.body)
    assert snapshot(evaluation, world) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_missing_ids_answer_404(world: World, evaluation: Any, kind: str, role: str) -> None:
    before = snapshot(evaluation, world)
    assert_problem(REQUESTS[kind](world, world.actors[role], True), 404, "not-found")
    assert snapshot(evaluation, world) == before


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_out_of_reach_is_indistinguishable_from_missing(world: World, kind: str) -> None:
    actor = world.actors["other_district_secretariat"]
    answers = []
    for missing in (False, True):
        reply = REQUESTS[kind](world, actor, missing)
        assert_problem(reply, 404, "not-found")
        answers.append({k: v for k, v in reply.body.items() if k not in ("instance", "request_id")})
    assert answers[0] == answers[1]


@pytest.mark.parametrize("role", ["owner", "other_applicant", "commune_officer", "chair"])
def test_only_admins_replay_deliveries(notification_app: Any, world: World, role: str) -> None:
    actor = flows.Actor(
        flows.flask_transport(notification_app.test_client()),
        world.actors[role].token,
        world.actors[role].account,
    )
    assert_problem(actor("POST", f"/api/v1/deliveries/{uuid.uuid4()}/replay"), 404, "not-found")
    assert_problem(actor("GET", "/api/v1/deliveries/failed"), 403, "forbidden")


@pytest.mark.parametrize("role", [r for r in ROLES if not r.endswith("secretariat")])
def test_only_secretariats_list_officials(world: World, role: str) -> None:
    assert_problem(world.actors[role]("GET", "/api/v1/officials"), 403, "forbidden")
