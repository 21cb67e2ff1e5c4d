"""docs/quality.md 11, 12, 18: the registration service's object-level access matrix, generated from
its route table over the people on a case (ADR 0009); the role × transition matrix with the
commune's intake handler; mass assignment.

The cases and the people are tests/security/people_on_a_case.py's: real cases driven through
the APIs (submitted, taken, returned, accepted, reviewed, forwarded to the district, assigned
to a council, conflicts declared, scored, recognised), so every ``case_participants`` row
comes from a real event. A person reaches a case when on its producer's side, on the case
(the handler or, while nobody has taken it, the commune's queue; the secretariat of a level it
reached; the members seated on its council, less a conflicted one; the authority once its
decision is awaited), or as an auditor of its jurisdiction (read-only, never a draft).
Outside reach an object answers 404, the same as a missing one; inside it but without the
right 403; both as problem+json with no object data, and nothing changes.

test_evaluation_access.py does the same for the evaluation and notification services.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from services.registration.domain import lifecycle
from tests.security import people_on_a_case as people
from tests.security.conftest import (
    assert_problem,
    document_version_count,
    dossier_state,
    grant,
    outbox_count,
)
from tests.security.people_on_a_case import (
    APPLICANT_SIDE,
    AT_THE_COMMUNE,
    AUDITORS,
    CASES,
    DRAFT,
    EDITABLE,
    FAR,
    FAR_COMMUNE,
    MISSING,
    OBJECTS,
    ON_CASE,
    OWNERS_CASES,
    PERSONS,
    QUEUE,
    RETURNED,
    TAKEN,
    World,
    applicant_side,
    auditing,
)
from tests.support import flows


@pytest.fixture(scope="module")
def world(
    call: flows.Transport,
    eval_call: flows.Transport,
    sec_admin: flows.Actor,
    registration: Any,
    evaluation: Any,
) -> World:
    return people.build(
        call=call,
        eval_call=eval_call,
        admin=sec_admin,
        registration=registration,
        evaluation=evaluation,
    )


def reads(person: str, obj: str) -> bool:
    """Whether ``person`` reaches case ``obj`` in registration."""
    return applicant_side(person, obj) or person in ON_CASE[obj] or auditing(person, obj)


def test_the_world_stands_where_it_should(world: World, evaluation: Any) -> None:
    assert {o: dossier_state(world.registration, world.dossier_id(o))[1] for o in CASES} == (
        people.STATUS
    )
    assert people.stages(evaluation, world) == {
        people.REVIEW: "commune_review",
        people.FORWARDED: "awaiting_assignment",
        people.COUNCIL: "in_evaluation",
        people.DECISION: "awaiting_decision",
        people.RECOGNISED: "recognised",
        FAR: "commune_review",
    }


# --- what a refused request must leave, and say ---------------------------------------------


def snapshot(world: World) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was: the outbox, the document versions,
    the grants, and this world's dossiers (version, status, handler). Two queries: the matrix
    takes it twice per refused cell."""
    from services.registration.models import ConsultantGrant, DocumentVersion, Dossier

    registration = world.registration
    counts = select(
        *(
            select(func.count()).select_from(table).scalar_subquery()
            for table in (registration.outbox, DocumentVersion, ConsultantGrant)
        )
    )
    ids = [uuid.UUID(d["id"]) for d in world.dossiers.values()]
    states = (
        select(Dossier.id, Dossier.version, Dossier.status, Dossier.handler_account_id)
        .where(Dossier.id.in_(ids))
        .order_by(Dossier.id)
    )
    with registration.db.reader() as session:
        return tuple(session.execute(counts).one()), tuple(map(tuple, session.execute(states)))


def refusal_errors(reply: flows.Reply, status: int, world: World) -> list[str]:
    """Why ``reply`` is not a proper refusal with ``status`` (none when it is)."""
    slug = {403: "forbidden", 404: "not-found", 409: "transition-not-allowed"}[status]
    try:
        assert_problem(reply, status, slug)
    except AssertionError:
        return [f"answered {reply.status} {reply.body!r:.300}, not a {status} {slug}"]
    text = str(reply.body)
    return [f"{m!r} leaked in {reply.body}" for m in world.markers if m in text]


def assert_refused(reply: flows.Reply, status: int, world: World) -> None:
    errors = refusal_errors(reply, status, world)
    assert not errors, errors


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
    ("/api/v1/accounts/<uuid:account_id>/password-link", "POST"): ACCOUNT,
    ("/api/v1/producers/<uuid:producer_id>", "GET"): "read-producer",
    ("/api/v1/producers/<uuid:producer_id>/consultants", "POST"): "grant-consultant",
    ("/api/v1/dossiers/<uuid:dossier_id>", "GET"): "read-dossier",
    ("/api/v1/dossiers/<uuid:dossier_id>", "PATCH"): "edit-dossier",
    ("/api/v1/dossiers/<uuid:dossier_id>/submit", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/resubmit", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/return", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/accept", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/withdraw", "POST"): TRANSITION,
    ("/api/v1/dossiers/<uuid:dossier_id>/assign", "POST"): "take-dossier",
    ("/api/v1/dossiers/<uuid:dossier_id>/documents", "GET"): "list-documents",
    ("/api/v1/dossiers/<uuid:dossier_id>/documents", "POST"): "upload-document",
    ("/api/v1/dossiers/<uuid:dossier_id>/documents/<uuid:document_id>", "PATCH"): "name-evidence",
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


def _version(world: World, obj: str) -> int:
    return 1 if obj == MISSING else dossier_state(world.registration, world.dossier_id(obj))[0]


def _download_path(world: World, obj: str) -> str:
    document = str(uuid.uuid4()) if obj == MISSING else world.documents[obj]
    return f"/api/v1/dossiers/{world.dossier_id(obj)}/documents/{document}/versions/1/content"


def _dossier(world: World, obj: str, tail: str = "") -> str:
    return f"/api/v1/dossiers/{world.dossier_id(obj)}{tail}"


def _document_path(world: World, obj: str) -> str:
    document = str(uuid.uuid4()) if obj == MISSING else world.documents[obj]
    return _dossier(world, obj, f"/documents/{document}")


REQUESTS: dict[str, Request] = {
    "read-producer": lambda w, a, o: a("GET", f"/api/v1/producers/{w.producer_id(o)}"),
    "grant-consultant": lambda w, a, o: a(
        "POST",
        f"/api/v1/producers/{w.producer_id(o)}/consultants",
        json={"email": w.spare_consultant.account["email"], "granted": True},
    ),
    "read-dossier": lambda w, a, o: a("GET", _dossier(w, o)),
    "edit-dossier": lambda w, a, o: a(
        "PATCH", _dossier(w, o), json={"version": _version(w, o), "samples_count": 5}
    ),
    # Take it (no account id: oneself) from the commune's queue.
    "take-dossier": lambda w, a, o: a(
        "POST", _dossier(w, o, "/assign"), json={"version": _version(w, o)}
    ),
    "list-documents": lambda w, a, o: a("GET", _dossier(w, o, "/documents")),
    "upload-document": lambda w, a, o: flows.upload(
        a, w.dossier_id(o), "other", "bang-chung.pdf", flows.PDF
    ),
    "download-document": lambda w, a, o: a("GET", _download_path(w, o)),
    # Name the Form 02 criteria a document is evidence for (the self-assessment's picks).
    "name-evidence": lambda w, a, o: a("PATCH", _document_path(w, o), json={"criteria": ["1.1"]}),
    "read-history": lambda w, a, o: a("GET", _dossier(w, o, "/history")),
    "export-case-file": lambda w, a, o: a("GET", _dossier(w, o, "/case-file")),
    "verify-case-file": lambda w, a, o: a("GET", _dossier(w, o, "/case-file/verification")),
    "report-case-file": lambda w, a, o: a("GET", _dossier(w, o, "/case-file/report")),
}
READS = frozenset(
    {"read-producer", "read-dossier", "list-documents", "download-document", "read-history"}
)
PRODUCER_WRITES = {"edit-dossier": 200, "upload-document": 201, "name-evidence": 200}
AUDITS = frozenset({"export-case-file", "verify-case-file", "report-case-file"})
COMMUNE = frozenset({"handler", "colleague"})  # the commune's officers among the people


def expected(kind: str, person: str, obj: str) -> int:
    """The answer ``person`` gets from ``kind`` on ``obj``."""
    if not reads(person, obj):
        return 404
    if kind in READS:
        return 200
    if kind == "grant-consultant":
        return 200 if person == "owner" else 403
    if kind in PRODUCER_WRITES:
        if not applicant_side(person, obj):
            return 403
        return PRODUCER_WRITES[kind] if obj in EDITABLE else 409
    if kind in AUDITS:
        return 200 if person in AUDITORS else 403
    assert kind == "take-dossier", kind
    # Its handler or, while it waits in the queue, any officer of its commune; at the intake.
    if person not in COMMUNE:
        return 403
    return 200 if obj in AT_THE_COMMUNE else 409


def test_matrix_covers_every_classified_route() -> None:
    kinds = {k for k in ROUTES.values() if k not in (TRANSITION, NO_OBJECT, ACCOUNT)}
    assert kinds == set(REQUESTS)
    assert kinds == READS | set(PRODUCER_WRITES) | AUDITS | {"grant-consultant", "take-dossier"}


def _fresh_in_queue(world: World) -> str:
    """A new dossier of QUEUE's producer, waiting in the commune's queue (a take changes the
    dossier it takes: the queue's cell takes this one)."""
    owner = world.people["owner"]
    dossier = flows.create_dossier(owner, world.producers[QUEUE]["id"], people.SET_CODE)
    assert flows.act(owner, dossier, "submit").status == 200
    return str(dossier["id"])


def _success_errors(
    kind: str, reply: flows.Reply, world: World, obj: str, want: int, actor: flows.Actor
) -> list[str]:
    if reply.status != want:
        return [f"answered {reply.status} {reply.body!r:.300}, not {want}"]
    body = reply.body
    checks = {
        "read-history": lambda: isinstance(body["items"], list),
        "export-case-file": lambda: body.startswith(b"PK"),
        "report-case-file": lambda: world.tags[obj].encode() in body,
        "verify-case-file": lambda: body["dossier_id"] == world.dossier_id(obj),
        "download-document": lambda: body == world.content[obj],
        "list-documents": lambda: world.documents[obj] in [d["id"] for d in body["items"]],
        "upload-document": lambda: body["download_url"].startswith(_dossier(world, obj, "/")),
        "name-evidence": lambda: (body["id"], body["criteria"]) == (world.documents[obj], ["1.1"]),
        "read-producer": lambda: body["id"] == world.producer_id(obj),
        "grant-consultant": lambda: body["id"] == world.producer_id(obj),
        "take-dossier": lambda: body["handler_account_id"] == actor.account["id"],
    }
    check = checks.get(kind, lambda: body["id"] == world.dossier_id(obj))
    return [] if check() else [f"the answer is not the object's: {body!r:.300}"]


@pytest.mark.parametrize("person", PERSONS)
@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_object_access(world: World, kind: str, person: str) -> None:
    """Every case (and a missing id) through one kind of endpoint, for one kind of person."""
    actor = world.people[person]
    failures = []
    for obj in OBJECTS:
        want = expected(kind, person, obj)
        if kind == "take-dossier" and want == 200 and obj == QUEUE:
            fresh = _fresh_in_queue(world)
            version = dossier_state(world.registration, fresh)[0]
            reply = actor("POST", f"/api/v1/dossiers/{fresh}/assign", json={"version": version})
            ok = reply.status == 200 and reply.body["handler_account_id"] == actor.account["id"]
            errors = [] if ok else [f"answered {reply.status} {reply.body!r:.300}"]
        elif want in (200, 201):
            reply = REQUESTS[kind](world, actor, obj)
            errors = _success_errors(kind, reply, world, obj, want, actor)
        else:
            before = snapshot(world)
            errors = refusal_errors(REQUESTS[kind](world, actor, obj), want, world)
            if snapshot(world) != before:
                errors.append("a refused request changed something")
        failures += [f"{obj}: {e}" for e in errors]
    assert not failures, f"{kind} by {person}:\n" + "\n".join(failures)


# Whom each case is out of reach of, though they are close to it: the answer is a missing id's.
OUTSIDERS = [
    ("ungranted_consultant", QUEUE),
    ("other_applicant", people.COUNCIL),
    ("colleague", TAKEN),  # the commune's other officer, once the handler took it
    ("other_commune_officer", QUEUE),
    ("handler", DRAFT),  # drafts are the producer's side's alone
    ("auditor", DRAFT),
    ("province_secretariat", people.FORWARDED),  # a level the case has not reached
    ("other_secretariat", people.COUNCIL),
    ("secretariat", people.REVIEW),  # not yet forwarded to the district
    ("unseated_member", people.COUNCIL),  # left the council
    ("conflicted_member", people.COUNCIL),  # declared a conflict
    ("authority", people.COUNCIL),  # no decision awaited yet
    ("other_auditor", people.RECOGNISED),
]


@pytest.mark.parametrize(("person", "obj"), OUTSIDERS)
@pytest.mark.parametrize("kind", sorted(REQUESTS))
def test_out_of_reach_is_indistinguishable_from_missing(
    world: World, kind: str, person: str, obj: str
) -> None:
    assert expected(kind, person, obj) == 404
    answers = []
    for target in (obj, MISSING):
        reply = REQUESTS[kind](world, world.people[person], target)
        assert_refused(reply, 404, world)
        answers.append({k: v for k, v in reply.body.items() if k not in ("instance", "request_id")})
    assert answers[0] == answers[1]


@pytest.mark.parametrize("person", PERSONS)
def test_accounts_are_ones_own(world: World, person: str) -> None:
    """Everyone reads their own account; another's, existing or not, is out of reach (404) and
    only an administrator changes it (403 for anyone else, before any lookup)."""
    actor = world.people[person]
    own = f"/api/v1/accounts/{actor.account['id']}"
    assert actor("GET", own).status == 200
    other = "owner" if person != "owner" else "handler"
    for account_id in (world.account_id(other), str(uuid.uuid4())):
        path = f"/api/v1/accounts/{account_id}"
        # (The problem's "instance" echoes the path, so the id the caller sent is in it.)
        assert_problem(actor("GET", path), 404, "not-found")
        assert_problem(actor("PATCH", path, json={"display_name": "x"}), 403, "forbidden")
    # Only an administrator sends an account a password link, one's own included.
    for account_id in (actor.account["id"], world.account_id(other), str(uuid.uuid4())):
        reply = actor("POST", f"/api/v1/accounts/{account_id}/password-link")
        assert_problem(reply, 403, "forbidden")


# Ids that arrive in a body or a query string, not in the path, are checked the same way.


def _dossier_count(registration: Any) -> tuple[int, int]:
    from services.registration.models import Dossier, Producer

    with registration.db.reader() as session:
        return (
            session.execute(select(func.count()).select_from(Dossier)).scalar_one(),
            session.execute(select(func.count()).select_from(Producer)).scalar_one(),
        )


@pytest.mark.parametrize("person", PERSONS)
def test_filing_a_dossier_for_a_producer(world: World, registration: Any, person: str) -> None:
    failures = []
    for obj in OBJECTS:
        want = 404 if not reads(person, obj) else 201 if applicant_side(person, obj) else 403
        before = snapshot(world), _dossier_count(registration)
        body = flows.dossier_body(world.producer_id(obj))
        reply = world.people[person]("POST", "/api/v1/dossiers", json=body)
        if want == 201:
            if reply.status != 201 or reply.body["producer_id"] != world.producer_id(obj):
                failures.append(f"{obj}: {reply.status} {reply.body!r:.200}")
            continue
        failures += [f"{obj}: {e}" for e in refusal_errors(reply, want, world)]
        if (snapshot(world), _dossier_count(registration)) != before:
            failures.append(f"{obj}: a refused filing changed something")
    assert not failures, failures


def _listed(actor: flows.Actor, query: str) -> set[str]:
    reply = actor("GET", f"/api/v1/dossiers?{query}&limit=200")
    assert reply.status == 200, reply.body
    return {d["id"] for d in reply.body["items"]}


@pytest.mark.parametrize("person", PERSONS)
def test_listings_hold_only_objects_in_reach(world: World, person: str) -> None:
    actor = world.people[person]
    for obj in CASES:
        ids = _listed(actor, f"producer_id={world.producer_id(obj)}")
        assert (world.dossier_id(obj) in ids) == reads(person, obj), (person, obj)
    cases = {world.dossier_id(o): o for o in CASES}
    for unit in (flows.COMMUNE, FAR_COMMUNE, people.DISTRICT, "national"):
        seen = {cases[i] for i in _listed(actor, f"unit={unit}") if i in cases}
        assert seen == {o for o in seen if reads(person, o)}, (person, unit)
    producers = actor("GET", "/api/v1/producers?limit=200")
    assert producers.status == 200, producers.body
    ours = {world.producer_id(o): o for o in CASES}
    seen = {ours[p["id"]] for p in producers.body["items"] if p["id"] in ours}
    assert seen <= {o for o in CASES if reads(person, o)}, person
    if person in APPLICANT_SIDE or not any(reads(person, o) for o in CASES):
        assert seen == {o for o in CASES if reads(person, o)}, person


def test_the_queue_lists_what_nobody_has_taken(world: World) -> None:
    """``handler=none`` is the commune's queue; ``handler=me`` one's own cases."""
    cases = {world.dossier_id(o): o for o in CASES}
    for person in ("handler", "colleague"):
        queue = {cases[i] for i in _listed(world.people[person], "handler=none") if i in cases}
        assert queue == {QUEUE}, (person, queue)
    mine = {cases[i] for i in _listed(world.people["handler"], "handler=me") if i in cases}
    assert mine == {o for o in OWNERS_CASES if "handler" in ON_CASE[o] and o != QUEUE}
    assert not {i for i in _listed(world.people["colleague"], "handler=me") if i in cases}
    for person in ("owner", "auditor", "secretariat"):
        queue = {cases[i] for i in _listed(world.people[person], "handler=none") if i in cases}
        assert queue == {o for o in (DRAFT, QUEUE) if reads(person, o)}, person


@pytest.mark.parametrize("person", PERSONS)
def test_only_admins_create_official_accounts(world: World, registration: Any, person: str) -> None:
    before = outbox_count(registration)
    email = f"sec-escalate-{uuid.uuid4().hex[:10]}@example.gov.vn"
    reply = world.people[person](
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
    ("person", "obj"),
    [("owner", RETURNED), ("handler", TAKEN), ("auditor", QUEUE), ("member", people.COUNCIL)],
)
def test_document_of_another_dossier_is_not_served_under_this_one(
    world: World, person: str, obj: str
) -> None:
    # The caller reaches ``obj``, but the document id belongs to another case: never served.
    for other in (QUEUE if obj != QUEUE else TAKEN, FAR):
        path = _download_path(world, obj).replace(world.documents[obj], world.documents[other])
        assert_refused(world.people[person]("GET", path), 404, world)
    missing_version = _download_path(world, obj).replace("/versions/1/", "/versions/99/")
    assert_refused(world.people[person]("GET", missing_version), 404, world)


# --- the role × transition matrix -----------------------------------------------------------

HOME, ABROAD = "home", "abroad"  # the owner's transitions producer; FAR's producer
# action → the states it is taken from, each with who takes it there (the queue: any officer of
# the commune; a taken dossier: its handler alone).
TRANSITIONS: dict[str, list[tuple[str, frozenset[str]]]] = {
    "submit": [("draft", APPLICANT_SIDE)],
    "return": [("queue", COMMUNE), ("taken", frozenset({"handler"}))],
    "accept": [("queue", COMMUNE), ("taken", frozenset({"handler"}))],
    "withdraw": [("queue", APPLICANT_SIDE), ("taken", APPLICANT_SIDE)],
    "resubmit": [("returned", APPLICANT_SIDE)],
}
# Who reaches a dossier of the owner in each state.
REACH_IN_STATE: dict[str, frozenset[str]] = {
    "draft": APPLICANT_SIDE,
    "queue": APPLICANT_SIDE | COMMUNE | {"auditor"},
    "taken": APPLICANT_SIDE | {"handler", "auditor"},
    "returned": APPLICANT_SIDE | {"handler", "auditor"},
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
IN_STATUS = {"draft": "draft", "queue": "submitted", "taken": "submitted", "returned": "returned"}


def test_transition_table_matches_lifecycle() -> None:
    # The matrix below states the rules independently; it must agree with the product's table.
    roles = {"owner": "applicant", "granted_consultant": "consultant"}
    roles |= dict.fromkeys(COMMUNE, "commune_officer")
    for action, starts in TRANSITIONS.items():
        for start, allowed in starts:
            edge = lifecycle.TRANSITIONS[
                (lifecycle.Status(IN_STATUS[start]), lifecycle.Action(action))
            ]
            assert edge.to.value == TO_STATUS[action]
            assert {roles[r] for r in allowed} <= edge.roles


@pytest.fixture(scope="module")
def bench(world: World) -> dict[str, Any]:
    """Producers to make dossiers in each state from: the owner's (granted to the consultant),
    and FAR's; and one shared dossier per state and place for the refused cells."""
    owner = world.people["owner"]
    producer = flows.create_producer(owner)
    grant(owner, producer, world.people["granted_consultant"])
    return {HOME: producer["id"], ABROAD: world.producer_id(FAR), "shared": {}}


def _make(world: World, bench: dict[str, Any], state: str, where: str = HOME) -> dict[str, Any]:
    """A fresh dossier in ``state``, driven there through the API."""
    owner = world.people["owner"] if where == HOME else world.far_owner
    officer = world.people["handler"] if where == HOME else world.far_officer
    dossier = flows.create_dossier(owner, bench[where], people.SET_CODE)
    steps: dict[str, list[tuple[str, flows.Actor]]] = {
        "draft": [],
        "queue": [("submit", owner)],
        "taken": [("submit", owner), ("assign", officer)],
        "returned": [("submit", owner), ("return", officer)],
    }
    for action, actor in steps[state]:
        reply = flows.act(actor, dossier, action, **ACTION_BODIES.get(action, {}))
        assert reply.status == 200, reply.body
        dossier = reply.body
    assert dossier["status"] == IN_STATUS[state]
    assert (dossier["handler_account_id"] is None) == (state in ("draft", "queue"))
    return dossier


def _shared(world: World, bench: dict[str, Any], state: str, where: str = HOME) -> dict[str, Any]:
    """One dossier per state and place for all refused cells (they must not change it)."""
    key = f"{state}@{where}"
    if key not in bench["shared"]:
        bench["shared"][key] = _make(world, bench, state, where)
    return bench["shared"][key]


def _act(actor: flows.Actor, dossier: dict[str, Any], action: str) -> flows.Reply:
    return flows.act(actor, dossier, action, **ACTION_BODIES.get(action, {}))


def _assert_unchanged(registration: Any, dossier: dict[str, Any], outbox_before: int) -> None:
    assert dossier_state(registration, dossier["id"]) == (dossier["version"], dossier["status"])
    assert outbox_count(registration) == outbox_before


@pytest.mark.parametrize("person", PERSONS)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_transition_matrix(
    world: World, bench: dict[str, Any], registration: Any, action: str, person: str
) -> None:
    actor = world.people[person]
    for start, allowed in TRANSITIONS[action]:
        if person in allowed:
            dossier = _make(world, bench, start)
            before = outbox_count(registration)
            reply = _act(actor, dossier, action)
            assert reply.status == 200, (start, reply.body)
            assert reply.body["status"] == TO_STATUS[action]
            assert reply.body["version"] > dossier["version"]
            assert dossier_state(registration, dossier["id"]) == (
                reply.body["version"],
                TO_STATUS[action],
            )
            assert outbox_count(registration) == before + 1
            if person in COMMUNE:  # acting on it from the queue takes it
                assert reply.body["handler_account_id"] == actor.account["id"]
        else:
            dossier = _shared(world, bench, start)
            before = outbox_count(registration)
            want = 403 if person in REACH_IN_STATE[start] else 404
            assert_refused(_act(actor, dossier, action), want, world)
            _assert_unchanged(registration, dossier, before)
        # Another province's dossier in the same state: its auditor's alone (never a draft).
        foreign = _shared(world, bench, start, ABROAD)
        before = outbox_count(registration)
        want = 403 if person == "other_auditor" and start != "draft" else 404
        assert_refused(_act(actor, foreign, action), want, world)
        _assert_unchanged(registration, foreign, before)
    # A missing id.
    before = outbox_count(registration)
    assert_refused(_act(actor, {"id": str(uuid.uuid4()), "version": 1}, action), 404, world)
    assert outbox_count(registration) == before


WRONG_STATE = {
    "submit": ("queue", "owner"),
    "return": ("returned", "handler"),
    "resubmit": ("queue", "owner"),
    "accept": ("returned", "handler"),
    "withdraw": ("draft", "owner"),
}


@pytest.mark.parametrize("action", sorted(WRONG_STATE))
def test_allowed_role_from_wrong_state_is_409(
    world: World, bench: dict[str, Any], registration: Any, action: str
) -> None:
    state, person = WRONG_STATE[action]
    dossier = _shared(world, bench, state)
    before = outbox_count(registration)
    reply = _act(world.people[person], dossier, action)
    assert_problem(reply, 409, "transition-not-allowed")
    _assert_unchanged(registration, dossier, before)


def test_stale_version_is_409_and_changes_nothing(
    world: World, bench: dict[str, Any], registration: Any
) -> None:
    for state, person, action in (("draft", "owner", "submit"), ("taken", "handler", "accept")):
        dossier = _shared(world, bench, state)
        before = outbox_count(registration)
        stale = {**dossier, "version": dossier["version"] + 7}
        reply = flows.act(world.people[person], stale, action, **ACTION_BODIES.get(action, {}))
        assert_problem(reply, 409, "conflict", extra=frozenset({"current_version"}))
        assert reply.body["current_version"] == dossier["version"]
        _assert_unchanged(registration, dossier, before)


# --- mass assignment ------------------------------------------------------------------------

FORBIDDEN_FIELDS: dict[str, Any] = {
    "status": "accepted",
    "owner_account_id": "00000000-0000-7000-8000-000000000000",
    "handler_account_id": "00000000-0000-7000-8000-000000000004",
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
def test_patch_with_server_field_is_422(
    world: World, bench: dict[str, Any], registration: Any, name: str
) -> None:
    dossier = _shared(world, bench, "draft")
    before = outbox_count(registration)
    body = {"version": dossier["version"], "product_name": "Đổi tên", name: FORBIDDEN_FIELDS[name]}
    if name == "producer_id":
        body[name] = world.producer_id(FAR)
    reply = world.people["owner"]("PATCH", f"/api/v1/dossiers/{dossier['id']}", json=body)
    _assert_422(reply, name)
    _assert_unchanged(registration, dossier, before)
    stored = world.people["owner"]("GET", f"/api/v1/dossiers/{dossier['id']}").body
    assert stored["product_name"] == dossier["product_name"]


def test_patch_without_version_is_422(
    world: World, bench: dict[str, Any], registration: Any
) -> None:
    dossier = _shared(world, bench, "draft")
    before = outbox_count(registration)
    reply = world.people["owner"](
        "PATCH", f"/api/v1/dossiers/{dossier['id']}", json={"product_name": "Không phiên bản"}
    )
    _assert_422(reply, "version")
    _assert_unchanged(registration, dossier, before)


def _first(action: str) -> tuple[str, str]:
    """A state the action is taken from, and a person who takes it there."""
    start, allowed = TRANSITIONS[action][0]
    return start, sorted(allowed)[0]


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_transition_without_version_is_422(
    world: World, bench: dict[str, Any], registration: Any, action: str
) -> None:
    start, person = _first(action)
    dossier = _shared(world, bench, start)
    before = outbox_count(registration)
    reply = world.people[person](
        "POST", f"/api/v1/dossiers/{dossier['id']}/{action}", json=ACTION_BODIES.get(action, {})
    )
    _assert_422(reply, "version")
    _assert_unchanged(registration, dossier, before)


SERVER_FIELDS = ["status", "product_code", "star", "owner_account_id", "handler_account_id", "id"]


@pytest.mark.parametrize("name", SERVER_FIELDS)
@pytest.mark.parametrize("action", [*sorted(TRANSITIONS), "assign"])
def test_transition_with_server_field_is_422(
    world: World, bench: dict[str, Any], registration: Any, action: str, name: str
) -> None:
    start, person = _first(action) if action != "assign" else ("queue", "colleague")
    dossier = _shared(world, bench, start)
    before = outbox_count(registration)
    reply = flows.act(
        world.people[person],
        dossier,
        action,
        **ACTION_BODIES.get(action, {}),
        **{name: FORBIDDEN_FIELDS[name]},
    )
    _assert_422(reply, name)
    _assert_unchanged(registration, dossier, before)


@pytest.mark.parametrize("name", sorted(set(FORBIDDEN_FIELDS) - {"producer_id"}))
def test_create_dossier_with_server_field_is_422(
    world: World, registration: Any, name: str
) -> None:
    before = (_dossier_count(registration), outbox_count(registration))
    body = flows.dossier_body(world.producer_id(DRAFT)) | {name: FORBIDDEN_FIELDS[name]}
    reply = world.people["owner"]("POST", "/api/v1/dossiers", json=body)
    _assert_422(reply, name)
    assert (_dossier_count(registration), outbox_count(registration)) == before


@pytest.mark.parametrize("name", ["owner_account_id", "id", "status", "grants"])
def test_create_producer_with_server_field_is_422(
    world: World, registration: Any, name: str
) -> None:
    before = (_dossier_count(registration), outbox_count(registration))
    value = world.account_id("other_applicant") if name != "grants" else []
    body = flows.producer_body() | {name: value}
    reply = world.people["owner"]("POST", "/api/v1/producers", json=body)
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


def test_upload_form_with_server_field_is_refused(
    world: World, bench: dict[str, Any], registration: Any
) -> None:
    dossier = _shared(world, bench, "draft")
    before = (outbox_count(registration), document_version_count(registration))
    reply = world.people["owner"](
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
    for obj in (DRAFT, people.COUNCIL):
        reply = world.people["owner"]("GET", f"/api/v1/dossiers/{world.dossier_id(obj)}")
        assert reply.status == 200
        assert re.search(rf"SECRET-{obj}-[0-9a-f]{{8}}", str(reply.body))
