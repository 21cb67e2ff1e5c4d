"""QUALITY 11 and 12: the object-level access matrix, generated from the route table, the
role × transition matrix, and mass assignment.

Objects: A is the owner applicant's dossier (and producer) in COMMUNE, B another applicant's in
OTHER_COMMUNE (same district and province), C a third applicant's in another province
(Hà Nội), and a missing id. Outside the caller's reach an object answers 404; inside it but
without the right 403; both as problem+json with no object data, and nothing changes.

This file covers the registration service's routes; test_evaluation_access.py classifies every
route of the evaluation and notification services the same way (a new route fails until it
has a line there) and runs their matrix.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select

from services.registration.domain import lifecycle
from tests.security.conftest import (
    assert_problem,
    document_version_count,
    dossier_state,
    grant,
    new_account,
    new_official,
    outbox_count,
)
from tests.support import flows

FAR_COMMUNE = "pre2025:commune:00001"  # Phường Phúc Xá, Ba Đình, Hà Nội (province 01)

ROLES = (
    "owner",
    "other_applicant",
    "granted_consultant",
    "ungranted_consultant",
    "commune_officer",
    "other_commune_officer",
    "district_secretariat",
    "province_auditor",
    "other_province_auditor",
)
OBJECTS = ("A", "B", "C", "missing")

# Which objects each role may read (its reach) ...
READ = {
    "owner": {"A"},
    "other_applicant": {"B"},
    "granted_consultant": {"A"},
    "ungranted_consultant": set(),
    "commune_officer": {"A"},
    "other_commune_officer": {"B"},
    "district_secretariat": {"A", "B"},
    "province_auditor": {"A", "B"},
    "other_province_auditor": {"C"},
}
# ... may act for as the producer (file, edit, upload) ...
PRODUCER_SIDE = {"owner": {"A"}, "other_applicant": {"B"}, "granted_consultant": {"A"}}
# ... and owns (grants consultants).
OWNS = {"owner": {"A"}, "other_applicant": {"B"}}
# ... and reads the whole case file (export, verification, report): auditors in reach.
AUDITS = {"province_auditor": {"A", "B"}, "other_province_auditor": {"C"}}


# --- the world ------------------------------------------------------------------------------


@dataclass
class World:
    actors: dict[str, flows.Actor]
    producers: dict[str, dict[str, Any]]
    dossiers: dict[str, dict[str, Any]]
    documents: dict[str, str]  # object → document id (version 1)
    content: dict[str, bytes]
    markers: list[str]  # strings that only object data contains
    spare_consultant: flows.Actor
    c_owner: flows.Actor
    c_officer: flows.Actor
    registration: Any
    cache: dict[str, Any] = field(default_factory=dict)

    def producer_id(self, obj: str) -> str:
        return str(uuid.uuid4()) if obj == "missing" else self.producers[obj]["id"]

    def dossier_id(self, obj: str) -> str:
        return str(uuid.uuid4()) if obj == "missing" else self.dossiers[obj]["id"]


def _pdf(tag: str) -> bytes:
    return flows.PDF.replace(b"%%EOF", f"% {tag}\n%%EOF".encode())


@pytest.fixture(scope="module")
def world(call: flows.Transport, sec_admin: flows.Actor, registration: Any) -> World:
    owner = new_account(call, "applicant")
    other = new_account(call, "applicant")
    c_owner = new_account(call, "applicant")
    granted = new_account(call, "consultant")
    ungranted = new_account(call, "consultant")
    spare = new_account(call, "consultant")
    actors = {
        "owner": owner,
        "other_applicant": other,
        "granted_consultant": granted,
        "ungranted_consultant": ungranted,
        "commune_officer": new_official(sec_admin, ["commune_officer"], flows.COMMUNE),
        "other_commune_officer": new_official(sec_admin, ["commune_officer"], flows.OTHER_COMMUNE),
        "district_secretariat": new_official(sec_admin, ["secretariat"], "pre2025:district:461"),
        "province_auditor": new_official(sec_admin, ["auditor"], "pre2025:province:45"),
        "other_province_auditor": new_official(sec_admin, ["auditor"], "pre2025:province:01"),
    }
    c_officer = new_official(sec_admin, ["commune_officer"], FAR_COMMUNE)
    markers: list[str] = []
    producers, dossiers, documents, content = {}, {}, {}, {}
    for obj, who, unit in (
        ("A", owner, flows.COMMUNE),
        ("B", other, flows.OTHER_COMMUNE),
        ("C", c_owner, FAR_COMMUNE),
    ):
        tag = f"SECRET-{obj}-{uuid.uuid4().hex[:8]}"
        body = flows.producer_body(unit) | {"name": f"HTX {tag}"}
        reply = who("POST", "/api/v1/producers", json=body)
        assert reply.status == 201, reply.body
        producers[obj] = reply.body
        body = flows.dossier_body(reply.body["id"]) | {"product_name": f"Sản phẩm {tag}"}
        reply = who("POST", "/api/v1/dossiers", json=body)
        assert reply.status == 201, reply.body
        dossiers[obj] = reply.body
        content[obj] = _pdf(tag)
        up = flows.upload(
            who, reply.body["id"], "business_registration", f"{tag}.pdf", content[obj]
        )
        assert up.status == 201, up.body
        documents[obj] = up.body["download_url"].split("/")[6]
        markers += [tag, who.account["email"], who.account["id"]]
    grant(owner, producers["A"], granted)
    return World(
        actors,
        producers,
        dossiers,
        documents,
        content,
        markers,
        spare,
        c_owner,
        c_officer,
        registration,
    )


def snapshot(registration: Any, world: World) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    from services.registration.models import ConsultantGrant

    with registration.db.reader() as session:
        grants = session.execute(select(func.count()).select_from(ConsultantGrant)).scalar_one()
    return (
        outbox_count(registration),
        document_version_count(registration),
        grants,
        *(dossier_state(registration, d["id"]) for d in world.dossiers.values()),
    )


def assert_refused(reply: flows.Reply, status: int, world: World) -> None:
    assert_problem(reply, status, {403: "forbidden", 404: "not-found"}[status])
    text = str(reply.body)
    for marker in world.markers:
        assert marker not in text, f"{marker!r} leaked in {reply.body}"


# --- the route table ------------------------------------------------------------------------

# How each endpoint that takes an id is checked. A new route fails
# test_every_route_with_an_id_is_classified until it gets a line here.
TRANSITION = "transition"  # covered by the role × transition matrix below
NO_OBJECT = "no-object"
ACCOUNT = "account"  # one's own, or any for an admin: test_accounts_are_ones_own below

ROUTES: dict[tuple[str, str], str] = {
    ("/static/<path:filename>", "GET"): NO_OBJECT,  # Flask's static files: no object behind it
    ("/api/v1/accounts/<uuid:account_id>", "GET"): ACCOUNT,
    ("/api/v1/accounts/<uuid:account_id>", "PATCH"): ACCOUNT,
    ("/api/v1/producers/<uuid:producer_id>", "GET"): "read-producer",
    ("/api/v1/producers/<uuid:producer_id>/consultants", "POST"): "grant-consultant",
    ("/api/v1/dossiers/<uuid:dossier_id>", "GET"): "read-dossier",
    ("/api/v1/dossiers/<uuid:dossier_id>", "PATCH"): "edit-dossier",
    ("/api/v1/dossiers/<uuid:dossier_id>/submit", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/resubmit", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/return", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/accept", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/withdraw", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/documents", "GET"): "list-documents",
    ("/api/v1/dossiers/<uuid:dossier_id>/documents", "POST"): "upload-document",
    (
        "/api/v1/dossiers/<uuid:dossier_id>/documents/<uuid:document_id>"
        "/versions/<int:number>/content",
        "GET",
    ): "download-document",
    ("/api/v1/dossiers/<uuid:dossier_id>/history", "GET"): "read-history",
    ("/api/v1/dossiers/<uuid:dossier_id>/case-file", "GET"): "export-case-file",
    ("/api/v1/dossiers/<uuid:dossier_id>/case-file/verification", "GET"): "verify-case-file",
    ("/api/v1/dossiers/<uuid:dossier_id>/case-file/report", "GET"): "report-case-file",
}


def routes_with_arguments(app: Any) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.arguments:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found.add((rule.rule, method))
    return found


def test_every_route_with_an_id_is_classified(registration_app: Any) -> None:
    found = routes_with_arguments(registration_app)
    assert any("<uuid:" in r for r, _ in found), "the route table has no id-taking route?"
    unclassified = sorted(found - set(ROUTES))
    assert not unclassified, f"classify these routes in ROUTES: {unclassified}"
    stale = sorted(set(ROUTES) - found)
    assert not stale, f"ROUTES names routes the app no longer has: {stale}"


def test_every_transition_route_is_in_the_lifecycle(registration_app: Any) -> None:
    actions = {r.rsplit("/", 1)[-1] for (r, _), kind in ROUTES.items() if kind == TRANSITION}
    assert actions == {a.value for a in lifecycle.Action} == set(TRANSITIONS)


# --- the object-level access matrix ---------------------------------------------------------

Request = Callable[[World, flows.Actor, str], flows.Reply]


def _current_version(world: World, obj: str) -> int:
    if obj == "missing":
        return 1
    return dossier_state(world.registration, world.dossiers[obj]["id"])[0]


def _download_path(world: World, obj: str) -> str:
    document = str(uuid.uuid4()) if obj == "missing" else world.documents[obj]
    return f"/api/v1/dossiers/{world.dossier_id(obj)}/documents/{document}/versions/1/content"


REQUESTS: dict[str, Request] = {
    "read-producer": lambda w, a, o: a("GET", f"/api/v1/producers/{w.producer_id(o)}"),
    "grant-consultant": lambda w, a, o: a(
        "POST",
        f"/api/v1/producers/{w.producer_id(o)}/consultants",
        json={"email": w.spare_consultant.account["email"], "granted": True},
    ),
    "read-dossier": lambda w, a, o: a("GET", f"/api/v1/dossiers/{w.dossier_id(o)}"),
    "edit-dossier": lambda w, a, o: a(
        "PATCH",
        f"/api/v1/dossiers/{w.dossier_id(o)}",
        json={"version": _current_version(w, o), "samples_count": 5},
    ),
    "list-documents": lambda w, a, o: a("GET", f"/api/v1/dossiers/{w.dossier_id(o)}/documents"),
    "upload-document": lambda w, a, o: flows.upload(
        a, w.dossier_id(o), "other", "bang-chung.pdf", _pdf("matrix")
    ),
    "download-document": lambda w, a, o: a("GET", _download_path(w, o)),
    "read-history": lambda w, a, o: a("GET", f"/api/v1/dossiers/{w.dossier_id(o)}/history"),
    "export-case-file": lambda w, a, o: a("GET", f"/api/v1/dossiers/{w.dossier_id(o)}/case-file"),
    "verify-case-file": lambda w, a, o: a(
        "GET", f"/api/v1/dossiers/{w.dossier_id(o)}/case-file/verification"
    ),
    "report-case-file": lambda w, a, o: a(
        "GET", f"/api/v1/dossiers/{w.dossier_id(o)}/case-file/report"
    ),
}

# Which right each kind of endpoint needs, and what its success looks like.
RIGHTS: dict[str, tuple[dict[str, set[str]], int]] = {
    "read-producer": (READ, 200),
    "grant-consultant": (OWNS, 200),
    "read-dossier": (READ, 200),
    "edit-dossier": (PRODUCER_SIDE, 200),
    "list-documents": (READ, 200),
    "upload-document": (PRODUCER_SIDE, 201),
    "download-document": (READ, 200),
    "read-history": (READ, 200),
    "export-case-file": (AUDITS, 200),
    "verify-case-file": (AUDITS, 200),
    "report-case-file": (AUDITS, 200),
}


def expected(kind: str, role: str, obj: str) -> int:
    allowed, success = RIGHTS[kind]
    if obj in allowed.get(role, set()):
        return success
    return 403 if obj in READ[role] else 404


def _check_success(kind: str, reply: flows.Reply, world: World, obj: str) -> None:
    if kind == "read-history":
        assert isinstance(reply.body["items"], list)
    elif kind == "export-case-file":
        assert reply.body.startswith(b"PK")
    elif kind == "report-case-file":
        assert world.dossiers[obj]["product_name"].encode() in reply.body
    elif kind == "verify-case-file":
        assert reply.body["dossier_id"] == world.dossier_id(obj)
    elif kind == "download-document":
        assert reply.body == world.content[obj]
    elif kind == "list-documents":
        assert world.documents[obj] in [d["id"] for d in reply.body]
    elif kind == "upload-document":
        assert reply.body["download_url"].startswith(f"/api/v1/dossiers/{world.dossier_id(obj)}/")
    elif kind in ("read-producer", "grant-consultant"):
        assert reply.body["id"] == world.producer_id(obj)
    else:
        assert reply.body["id"] == world.dossier_id(obj)


def test_matrix_covers_every_classified_route() -> None:
    kinds = {k for k in ROUTES.values() if k not in (TRANSITION, NO_OBJECT, ACCOUNT)}
    assert kinds == set(REQUESTS) == set(RIGHTS)


@pytest.mark.parametrize("role", ROLES)
def test_accounts_are_ones_own(world: World, role: str) -> None:
    """Everyone reads their own account; another's, existing or not, is out of reach (404) and
    only an administrator changes it (403 for anyone else, before any lookup)."""
    actor = world.actors[role]
    own = f"/api/v1/accounts/{actor.account['id']}"
    assert actor("GET", own).status == 200
    for other in (world.actors["owner" if role != "owner" else "other_applicant"], None):
        path = f"/api/v1/accounts/{other.account['id'] if other else uuid.uuid4()}"
        # (The problem's "instance" echoes the path, so the id the caller sent is in it.)
        assert_problem(actor("GET", path), 404, "not-found")
        assert_problem(actor("PATCH", path, json={"display_name": "x"}), 403, "forbidden")


@pytest.mark.parametrize("obj", OBJECTS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_object_access(world: World, registration: Any, kind: str, role: str, obj: str) -> None:
    want = expected(kind, role, obj)
    before = snapshot(registration, world)
    reply = REQUESTS[kind](world, world.actors[role], obj)
    if want in (200, 201):
        assert reply.status == want, (reply.status, reply.body)
        _check_success(kind, reply, world, obj)
        return
    assert_refused(reply, want, world)
    assert snapshot(registration, world) == before


@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_out_of_reach_is_indistinguishable_from_missing(world: World, kind: str) -> None:
    # "Outside the caller's reach an object answers 404, the same as a missing one."
    actor = world.actors["ungranted_consultant"]
    answers = []
    for obj in ("A", "missing"):
        reply = REQUESTS[kind](world, actor, obj)
        assert_refused(reply, 404, world)
        answers.append({k: v for k, v in reply.body.items() if k not in ("instance", "request_id")})
    assert answers[0] == answers[1]


# Ids that arrive in a body or a query string, not in the path, are checked the same way.


@pytest.mark.parametrize("obj", OBJECTS)
@pytest.mark.parametrize("role", ROLES)
def test_filing_a_dossier_for_a_producer(
    world: World, registration: Any, role: str, obj: str
) -> None:
    want = expected("edit-dossier", role, obj)
    want = 201 if want == 200 else want
    before = snapshot(registration, world), _dossier_count(registration)
    body = flows.dossier_body(world.producer_id(obj))
    reply = world.actors[role]("POST", "/api/v1/dossiers", json=body)
    if want == 201:
        assert reply.status == 201, reply.body
        assert reply.body["producer_id"] == world.producer_id(obj)
        return
    assert_refused(reply, want, world)
    assert (snapshot(registration, world), _dossier_count(registration)) == before


@pytest.mark.parametrize("role", ROLES)
def test_listings_hold_only_objects_in_reach(world: World, role: str) -> None:
    actor = world.actors[role]
    for obj in ("A", "B", "C"):
        reply = actor("GET", f"/api/v1/dossiers?producer_id={world.producer_id(obj)}&limit=200")
        assert reply.status == 200, reply.body
        ids = {d["id"] for d in reply.body["items"]}
        assert (world.dossiers[obj]["id"] in ids) == (obj in READ[role]), (role, obj)
        assert {d["producer_id"] for d in reply.body["items"]} <= {world.producer_id(obj)}
        if obj not in READ[role]:
            assert reply.body["items"] == []
    for unit in (flows.COMMUNE, flows.OTHER_COMMUNE, FAR_COMMUNE, "national"):
        reply = actor("GET", f"/api/v1/dossiers?unit={unit}&limit=200")
        assert reply.status == 200, reply.body
        visible = {d["id"] for d in reply.body["items"]}
        for obj in ("A", "B", "C"):
            if obj not in READ[role]:
                assert world.dossiers[obj]["id"] not in visible, (role, unit, obj)
    producers = actor("GET", "/api/v1/producers")
    assert producers.status == 200, producers.body
    seen = {p["id"] for p in producers.body} & {world.producer_id(o) for o in "ABC"}
    assert seen <= {world.producer_id(o) for o in READ[role]}, role
    if role in PRODUCER_SIDE or not READ[role]:
        assert seen == {world.producer_id(o) for o in READ[role]}, role


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_create_official_accounts(world: World, registration: Any, role: str) -> None:
    before = outbox_count(registration)
    email = f"sec-escalate-{uuid.uuid4().hex[:10]}@example.gov.vn"
    reply = world.actors[role](
        "POST",
        "/api/v1/accounts",
        json={
            "email": email,
            "password": flows.DEMO_PASSWORD,
            "display_name": "Leo thang",
            "roles": ["admin"],
            "unit": "national",
        },
    )
    assert_problem(reply, 403, "forbidden")
    assert outbox_count(registration) == before


@pytest.mark.parametrize(
    "role", ["owner", "district_secretariat", "province_auditor", "commune_officer"]
)
def test_document_of_another_dossier_is_not_served_under_this_one(world: World, role: str) -> None:
    # The caller reaches dossier A, but the document id belongs to B (or C): never served.
    for other in ("B", "C"):
        path = (
            f"/api/v1/dossiers/{world.dossiers['A']['id']}/documents/"
            f"{world.documents[other]}/versions/1/content"
        )
        assert_refused(world.actors[role]("GET", path), 404, world)
    missing_version = _download_path(world, "A").replace("/versions/1/", "/versions/99/")
    assert_refused(world.actors[role]("GET", missing_version), 404, world)


# --- the role × transition matrix -----------------------------------------------------------

# action → (starting state, roles allowed to take it from there on dossier A)
TRANSITIONS: dict[str, tuple[str, set[str]]] = {
    "submit": ("draft", {"owner", "granted_consultant"}),
    "return": ("submitted", {"commune_officer"}),
    "resubmit": ("returned", {"owner", "granted_consultant"}),
    "accept": ("submitted", {"commune_officer"}),
    "withdraw": ("submitted", {"owner", "granted_consultant"}),
}
ACTION_BODIES: dict[str, dict[str, Any]] = {
    "return": {"missing_items": [{"item": "food_safety_certificate", "note": "còn hạn"}]},
    "withdraw": {"reason": "Ngừng sản xuất"},
}
TO_STATUS = {
    "submit": "submitted",
    "return": "returned",
    "resubmit": "resubmitted",
    "accept": "accepted",
    "withdraw": "withdrawn",
}


def test_transition_table_matches_lifecycle() -> None:
    # The matrix below states the rules independently; it must agree with the product's table.
    for action, (start, allowed) in TRANSITIONS.items():
        edge = lifecycle.TRANSITIONS[(lifecycle.Status(start), lifecycle.Action(action))]
        assert edge.to.value == TO_STATUS[action]
        roles_in_world = {
            "owner": "applicant",
            "granted_consultant": "consultant",
            "commune_officer": "commune_officer",
        }
        assert {roles_in_world[r] for r in allowed} <= edge.roles


def _make(world: World, state: str, where: str = "A") -> dict[str, Any]:
    """A fresh dossier of producer A (or C) in ``state``, driven there through the API."""
    owner = world.actors["owner"] if where == "A" else world.c_owner
    officer = world.actors["commune_officer"] if where == "A" else world.c_officer
    dossier = flows.create_dossier(owner, world.producers[where]["id"])
    steps = {
        "draft": [],
        "submitted": [("submit", owner)],
        "returned": [("submit", owner), ("return", officer)],
    }[state]
    for action, actor in steps:
        reply = flows.act(actor, dossier, action, **ACTION_BODIES.get(action, {}))
        assert reply.status == 200, reply.body
        dossier = reply.body
    assert dossier["status"] == state
    return dossier


def _shared(world: World, state: str, where: str) -> dict[str, Any]:
    """One dossier per state and place for all refused cells (they must not change it)."""
    key = f"{state}@{where}"
    if key not in world.cache:
        world.cache[key] = _make(world, state, where)
    return world.cache[key]


def _act(actor: flows.Actor, dossier: dict[str, Any], action: str) -> flows.Reply:
    return flows.act(actor, dossier, action, **ACTION_BODIES.get(action, {}))


def _assert_unchanged(registration: Any, dossier: dict[str, Any], outbox_before: int) -> None:
    assert dossier_state(registration, dossier["id"]) == (dossier["version"], dossier["status"])
    assert outbox_count(registration) == outbox_before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_transition_matrix(world: World, registration: Any, action: str, role: str) -> None:
    start, allowed = TRANSITIONS[action]
    actor = world.actors[role]
    # Own object (dossier A's producer) in the right starting state.
    if role in allowed:
        dossier = _make(world, start)
        before = outbox_count(registration)
        reply = _act(actor, dossier, action)
        assert reply.status == 200, reply.body
        assert reply.body["status"] == TO_STATUS[action]
        assert reply.body["version"] > dossier["version"]
        assert dossier_state(registration, dossier["id"]) == (
            reply.body["version"],
            TO_STATUS[action],
        )
        assert outbox_count(registration) == before + 1
    else:
        dossier = _shared(world, start, "A")
        before = outbox_count(registration)
        want = 403 if "A" in READ[role] else 404
        assert_refused(_act(actor, dossier, action), want, world)
        _assert_unchanged(registration, dossier, before)
    # Another jurisdiction's dossier in the same state: outside reach, 404.
    foreign = _shared(world, start, "A" if role == "other_province_auditor" else "C")
    before = outbox_count(registration)
    assert_refused(_act(actor, foreign, action), 404, world)
    _assert_unchanged(registration, foreign, before)
    # A missing id.
    assert_refused(_act(actor, {"id": str(uuid.uuid4()), "version": 1}, action), 404, world)
    assert outbox_count(registration) == before


WRONG_STATE = {
    "submit": ("submitted", "owner"),
    "return": ("draft", "commune_officer"),
    "resubmit": ("submitted", "owner"),
    "accept": ("returned", "commune_officer"),
    "withdraw": ("draft", "owner"),
}


@pytest.mark.parametrize("action", sorted(WRONG_STATE))
def test_allowed_role_from_wrong_state_is_409(world: World, registration: Any, action: str) -> None:
    state, role = WRONG_STATE[action]
    dossier = _shared(world, state, "A")
    before = outbox_count(registration)
    reply = _act(world.actors[role], dossier, action)
    assert_problem(reply, 409, "transition-not-allowed")
    _assert_unchanged(registration, dossier, before)


def test_stale_version_is_409_and_changes_nothing(world: World, registration: Any) -> None:
    dossier = _shared(world, "draft", "A")
    before = outbox_count(registration)
    reply = flows.act(
        world.actors["owner"], {**dossier, "version": dossier["version"] + 7}, "submit"
    )
    assert_problem(reply, 409, "conflict", extra=frozenset({"current_version"}))
    assert reply.body["current_version"] == dossier["version"]
    _assert_unchanged(registration, dossier, before)


# --- mass assignment ------------------------------------------------------------------------

FORBIDDEN_FIELDS: dict[str, Any] = {
    "status": "accepted",
    "owner_account_id": "00000000-0000-7000-8000-000000000000",
    "product_code": "45-19333-999-2026",
    "star": 5,
    "id": "00000000-0000-7000-8000-000000000001",
    "producer_id": "00000000-0000-7000-8000-000000000002",
    "version_id": 99,
    "commune_code": "00001",
    "created_by": "00000000-0000-7000-8000-000000000003",
}


def _assert_422(reply: flows.Reply, field_name: str) -> None:
    assert_problem(reply, 422, "validation-error")
    assert field_name in reply.body.get("errors", {}), reply.body


@pytest.mark.parametrize("name", sorted(FORBIDDEN_FIELDS))
def test_patch_with_server_field_is_422(world: World, registration: Any, name: str) -> None:
    dossier = _shared(world, "draft", "A")
    before = outbox_count(registration)
    body = {"version": dossier["version"], "product_name": "Đổi tên", name: FORBIDDEN_FIELDS[name]}
    if name == "producer_id":
        body[name] = world.producers["B"]["id"]
    reply = world.actors["owner"]("PATCH", f"/api/v1/dossiers/{dossier['id']}", json=body)
    _assert_422(reply, name)
    _assert_unchanged(registration, dossier, before)
    stored = world.actors["owner"]("GET", f"/api/v1/dossiers/{dossier['id']}").body
    assert stored["product_name"] == dossier["product_name"]


def test_patch_without_version_is_422(world: World, registration: Any) -> None:
    dossier = _shared(world, "draft", "A")
    before = outbox_count(registration)
    reply = world.actors["owner"](
        "PATCH", f"/api/v1/dossiers/{dossier['id']}", json={"product_name": "Không phiên bản"}
    )
    _assert_422(reply, "version")
    _assert_unchanged(registration, dossier, before)


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_transition_without_version_is_422(world: World, registration: Any, action: str) -> None:
    start, allowed = TRANSITIONS[action]
    dossier = _shared(world, start, "A")
    before = outbox_count(registration)
    actor = world.actors[sorted(allowed)[0]]
    reply = actor(
        "POST", f"/api/v1/dossiers/{dossier['id']}/{action}", json=ACTION_BODIES.get(action, {})
    )
    _assert_422(reply, "version")
    _assert_unchanged(registration, dossier, before)


@pytest.mark.parametrize("name", ["status", "product_code", "star", "owner_account_id", "id"])
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_transition_with_server_field_is_422(
    world: World, registration: Any, action: str, name: str
) -> None:
    start, allowed = TRANSITIONS[action]
    dossier = _shared(world, start, "A")
    before = outbox_count(registration)
    actor = world.actors[sorted(allowed)[0]]
    reply = flows.act(
        actor, dossier, action, **ACTION_BODIES.get(action, {}), **{name: FORBIDDEN_FIELDS[name]}
    )
    _assert_422(reply, name)
    _assert_unchanged(registration, dossier, before)


def _dossier_count(registration: Any) -> tuple[int, int]:
    from services.registration.models import Dossier, Producer

    with registration.db.reader() as session:
        return (
            session.execute(select(func.count()).select_from(Dossier)).scalar_one(),
            session.execute(select(func.count()).select_from(Producer)).scalar_one(),
        )


@pytest.mark.parametrize("name", sorted(set(FORBIDDEN_FIELDS) - {"producer_id"}))
def test_create_dossier_with_server_field_is_422(
    world: World, registration: Any, name: str
) -> None:
    before = (_dossier_count(registration), outbox_count(registration))
    body = flows.dossier_body(world.producers["A"]["id"]) | {name: FORBIDDEN_FIELDS[name]}
    reply = world.actors["owner"]("POST", "/api/v1/dossiers", json=body)
    _assert_422(reply, name)
    assert (_dossier_count(registration), outbox_count(registration)) == before


@pytest.mark.parametrize("name", ["owner_account_id", "id", "status", "grants"])
def test_create_producer_with_server_field_is_422(
    world: World, registration: Any, name: str
) -> None:
    before = (_dossier_count(registration), outbox_count(registration))
    value = world.actors["other_applicant"].account["id"] if name != "grants" else []
    body = flows.producer_body() | {name: value}
    reply = world.actors["owner"]("POST", "/api/v1/producers", json=body)
    _assert_422(reply, name)
    assert (_dossier_count(registration), outbox_count(registration)) == before


@pytest.mark.parametrize(
    ("extra", "field_name"),
    [
        ({"role": "admin"}, "role"),
        ({"role": "commune_officer"}, "role"),
        ({"roles": ["admin"]}, "roles"),
        ({"unit": "national"}, "unit"),
        ({"councils": ["c1"]}, "councils"),
        ({"active": True}, "active"),
    ],
)
def test_self_registration_cannot_assign_privileges(
    call: flows.Transport, registration: Any, extra: dict[str, Any], field_name: str
) -> None:
    before = outbox_count(registration)
    email = f"sec-escalate-{uuid.uuid4().hex[:10]}@example.vn"
    body = {
        "email": email,
        "password": flows.DEMO_PASSWORD,
        "display_name": "Leo thang",
        "role": "applicant",
    } | extra
    reply = call("POST", "/api/v1/accounts/register", json=body)
    _assert_422(reply, field_name)
    assert outbox_count(registration) == before
    from services.registration.models import Account

    with registration.db.reader() as session:
        assert session.execute(select(Account).where(Account.email == email)).first() is None


def test_upload_form_with_server_field_is_refused(world: World, registration: Any) -> None:
    dossier = _shared(world, "draft", "A")
    before = (outbox_count(registration), document_version_count(registration))
    reply = world.actors["owner"](
        "POST",
        f"/api/v1/dossiers/{dossier['id']}/documents",
        data={"kind": "other", "storage_key": "0" * 32, "original_name": "x.pdf"},
        files={"file": ("ok.pdf", flows.PDF, "application/pdf")},
    )
    assert_problem(reply, 422, "validation-error")
    assert (outbox_count(registration), document_version_count(registration)) == before


def test_markers_appear_in_object_data(world: World) -> None:
    # Guard for the matrix: a success really carries the object (the refused cells' "no object
    # data" check would be meaningless if the markers never appeared in a success).
    reply = world.actors["owner"]("GET", f"/api/v1/dossiers/{world.dossiers['A']['id']}")
    assert reply.status == 200
    assert re.search(r"SECRET-A-[0-9a-f]{8}", str(reply.body))
