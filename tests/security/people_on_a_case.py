"""The people on a case (ADR 0009), for the access matrices: one world of real cases, each
driven through the services' APIs to where it stands, and every kind of person who is, or is
not, on each of them.

Nothing is written behind the APIs: registration's own events put its officials on its cases
as it writes them; the other services' events are handed over as the broker would
(:class:`Feed`: this world's events only, oldest first, each once), so every row of
``case_participants`` comes from a real event.

The cases (all the owner's, each of its own producer, granted to the consultant, in
flows.COMMUNE, district 461, province 45; but FAR):

- ``DRAFT``: a draft (the producer's side alone);
- ``QUEUE``: submitted, waiting in the commune's queue (every officer of the commune);
- ``TAKEN``: submitted, taken by the handler (``POST /assign``);
- ``RETURNED``: returned for supplement by the handler (who took it by returning it);
- ``REVIEW``: accepted by the handler, awaiting its commune review (evaluation);
- ``FORWARDED``: proposed by the commune review, awaiting a district council (the district
  secretariat acts);
- ``COUNCIL``: assigned to the district council, being scored (chair and member declared no
  conflict and handed in their sheets; the conflicted member declared a conflict; the
  unseated member left the council after the assignment);
- ``DECISION``: the same, closed by the council on 3★, awaiting the district authority;
- ``RECOGNISED``: the same, recognised by the authority (a certificate);
- ``FAR``: another applicant's dossier in Hà Nội (province 01), accepted by its commune.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.security.conftest import grant
from tests.support import councils as kit
from tests.support import flows
from tests.unit.evaluation.sheets import answers_for

FAR_COMMUNE = "pre2025:commune:00001"  # Phường Phúc Xá, Ba Đình, Hà Nội (province 01)
DISTRICT = "pre2025:district:461"  # Đông Hà, holding flows.COMMUNE
OTHER_DISTRICT = "pre2025:district:462"
PROVINCE = "pre2025:province:45"  # Quảng Trị
OTHER_PROVINCE = "pre2025:province:01"  # Hà Nội
SET_CODE = "06"  # the sheet tests/unit/evaluation/sheets.py builds answers for
THREE_STARS = answers_for(62, marks=3)

DRAFT, QUEUE, TAKEN, RETURNED = "DRAFT", "QUEUE", "TAKEN", "RETURNED"
REVIEW, FORWARDED, COUNCIL, DECISION, RECOGNISED = (
    "REVIEW",
    "FORWARDED",
    "COUNCIL",
    "DECISION",
    "RECOGNISED",
)
FAR, MISSING = "FAR", "missing"
OWNERS_CASES = (DRAFT, QUEUE, TAKEN, RETURNED, REVIEW, FORWARDED, COUNCIL, DECISION, RECOGNISED)
CASES = (*OWNERS_CASES, FAR)
OBJECTS = (*CASES, MISSING)
# Where each stands in registration, and which reached the evaluation service.
STATUS = {
    DRAFT: "draft",
    QUEUE: "submitted",
    TAKEN: "submitted",
    RETURNED: "returned",
    **dict.fromkeys((REVIEW, FORWARDED, COUNCIL, DECISION, RECOGNISED, FAR), "accepted"),
}
ACCEPTED = frozenset(c for c, s in STATUS.items() if s == "accepted")
EDITABLE = frozenset({DRAFT, RETURNED})  # in the applicant's hands
AT_THE_COMMUNE = frozenset({QUEUE, TAKEN, RETURNED})  # the intake: take, hand on
SCORED = (COUNCIL, DECISION, RECOGNISED)  # an evaluation by the district council

APPLICANTS = {
    "owner": "applicant",
    "other_applicant": "applicant",
    "granted_consultant": "consultant",
    "ungranted_consultant": "consultant",
}
OFFICIALS: dict[str, tuple[str, str]] = {
    "handler": ("commune_officer", flows.COMMUNE),
    "colleague": ("commune_officer", flows.COMMUNE),
    "other_commune_officer": ("commune_officer", flows.OTHER_COMMUNE),
    "secretariat": ("secretariat", DISTRICT),
    "province_secretariat": ("secretariat", PROVINCE),  # a level the cases never reached
    "other_secretariat": ("secretariat", OTHER_DISTRICT),
    "chair": ("council_chair", DISTRICT),
    "member": ("council_member", DISTRICT),
    "unseated_member": ("council_member", DISTRICT),  # left the council after the assignment
    "conflicted_member": ("council_member", DISTRICT),
    "authority": ("decision_authority", DISTRICT),
    "auditor": ("auditor", PROVINCE),
    "other_auditor": ("auditor", OTHER_PROVINCE),
}
PERSONS = (*APPLICANTS, *OFFICIALS)
APPLICANT_SIDE = frozenset({"owner", "granted_consultant"})
COMMUNE_OFFICERS = frozenset(p for p, (role, _) in OFFICIALS.items() if role == "commune_officer")
SEATED = frozenset({"chair", "member"})
AUDITORS = frozenset({"auditor", "other_auditor"})

# The officials on each case (``case_participants``, less the excluded), as ADR 0009 says.
_COMMUNE_ON = frozenset({"handler"})
ON_CASE: dict[str, frozenset[str]] = {
    DRAFT: frozenset(),
    QUEUE: frozenset({"handler", "colleague"}),  # the commune's queue: all its officers
    TAKEN: _COMMUNE_ON,
    RETURNED: _COMMUNE_ON,
    REVIEW: _COMMUNE_ON,
    FORWARDED: _COMMUNE_ON | {"secretariat"},
    COUNCIL: _COMMUNE_ON | {"secretariat"} | SEATED,
    DECISION: _COMMUNE_ON | {"secretariat", "authority"} | SEATED,
    RECOGNISED: _COMMUNE_ON | {"secretariat", "authority"} | SEATED,
    FAR: frozenset(),  # its own commune's officer only (not one of the people here)
    MISSING: frozenset(),
}


def auditing(person: str, obj: str) -> bool:
    """An auditor whose jurisdiction holds the filed case (never a draft)."""
    if obj in (DRAFT, MISSING):
        return False
    return person == ("other_auditor" if obj == FAR else "auditor")


def applicant_side(person: str, obj: str) -> bool:
    return person in APPLICANT_SIDE and obj in OWNERS_CASES


def vietnam_today() -> str:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()


# --- handing events over --------------------------------------------------------------------


@dataclass
class Feed:
    """Hands this world's events (its dossiers, councils and accounts) from one service's
    outbox to another's inbox, oldest first; the inbox keeps each at most once."""

    dossiers: set[str] = field(default_factory=set)
    councils: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)

    def ours(self, envelope: dict[str, Any]) -> bool:
        kind, payload = envelope["type"], envelope["payload"]
        if envelope.get("dossier_id") in self.dossiers:
            return True
        if kind.startswith("council."):
            return payload.get("council_id") in self.councils
        return kind.startswith("account.") and payload.get("account_id") in self.accounts

    def envelopes(self, source: Any) -> list[dict[str, Any]]:
        o = source.outbox.c
        with source.db.engine.connect() as conn:
            rows = conn.execute(select(o.envelope).order_by(o.id)).scalars().all()
        return [e for e in rows if self.ours(e)]

    def __call__(self, target: Any, *sources: Any) -> None:
        """Every event of ours that ``sources`` wrote so far, to ``target``, in the order they
        happened (across the sources)."""
        found = [e for source in sources for e in self.envelopes(source)]
        found.sort(key=lambda e: (datetime.fromisoformat(e["occurred_at"]), e["event_id"]))
        outcomes = target.inbox().consume_batch(found)
        failed = [
            (e["type"], o) for e, o in zip(found, outcomes, strict=True) if isinstance(o, Exception)
        ]
        assert not failed, failed


# --- the world ------------------------------------------------------------------------------


@dataclass
class World:
    people: dict[str, flows.Actor]  # signed in (on the registration API)
    producers: dict[str, dict[str, Any]]
    dossiers: dict[str, dict[str, Any]]  # as created
    documents: dict[str, str]  # case → its document's id (version 1)
    content: dict[str, bytes]  # case → that document's bytes
    markers: list[str]  # strings only object data holds
    tags: dict[str, str]  # case → its marker
    council_id: str
    evaluations: dict[str, str]  # SCORED case → its evaluation
    certificate: str  # RECOGNISED's
    spare_consultant: flows.Actor
    spare_member: flows.Actor  # seated last on the council (the one the matrix unseats)
    far_owner: flows.Actor
    far_officer: flows.Actor
    feed: Feed
    registration: Any
    evaluation: Any

    def on(self, call: flows.Transport, person: str) -> flows.Actor:
        """``person`` calling another service's API."""
        actor = self.people[person]
        return flows.Actor(call, actor.token, actor.account)

    def dossier_id(self, obj: str) -> str:
        return str(uuid.uuid4()) if obj == MISSING else self.dossiers[obj]["id"]

    def producer_id(self, obj: str) -> str:
        return str(uuid.uuid4()) if obj == MISSING else self.producers[obj]["id"]

    def account_id(self, person: str) -> str:
        return str(self.people[person].account["id"])


def _pdf(tag: str) -> bytes:
    return flows.PDF.replace(b"%%EOF", f"% {tag}\n%%EOF".encode())


def _ok(reply: flows.Reply, status: int = 200) -> Any:
    assert reply.status == status, (reply.status, reply.body)
    return reply.body


def build(
    *,
    call: flows.Transport,
    eval_call: flows.Transport,
    admin: flows.Actor,
    registration: Any,
    evaluation: Any,
) -> World:
    """The people, and the cases driven to where they stand (see the module's docstring)."""
    people: dict[str, flows.Actor] = {
        p: flows.register(call, r, own_address=True) for p, r in APPLICANTS.items()
    }
    for person, (role, unit) in OFFICIALS.items():
        people[person] = flows.create_official(admin, [role], unit, own_address=True)
    spare_consultant = flows.register(call, "consultant", own_address=True)
    spare_member = flows.create_official(admin, ["council_member"], DISTRICT, own_address=True)
    far_owner = flows.register(call, "applicant", own_address=True)
    far_officer = flows.create_official(admin, ["commune_officer"], FAR_COMMUNE, own_address=True)
    feed = Feed()
    everyone = [*people.values(), spare_consultant, spare_member, far_owner, far_officer]
    feed.accounts |= {str(a.account["id"]) for a in everyone}

    def on_eval(person: str) -> flows.Actor:
        return flows.Actor(eval_call, people[person].token, people[person].account)

    producers: dict[str, dict[str, Any]] = {}
    dossiers: dict[str, dict[str, Any]] = {}
    documents: dict[str, str] = {}
    content: dict[str, bytes] = {}
    tags: dict[str, str] = {}
    markers: list[str] = []
    current: dict[str, dict[str, Any]] = {}
    for obj in CASES:
        owner = far_owner if obj == FAR else people["owner"]
        tag = f"SECRET-{obj}-{uuid.uuid4().hex[:8]}"
        body = flows.producer_body(FAR_COMMUNE if obj == FAR else flows.COMMUNE)
        producer = _ok(owner("POST", "/api/v1/producers", json=body | {"name": f"HTX {tag}"}), 201)
        if obj != FAR:
            grant(owner, producer, people["granted_consultant"])
        body = flows.dossier_body(producer["id"], SET_CODE) | {"product_name": f"Sản phẩm {tag}"}
        dossier = _ok(owner("POST", "/api/v1/dossiers", json=body), 201)
        content[obj] = _pdf(tag)
        up = _ok(
            flows.upload(owner, dossier["id"], "business_registration", f"{tag}.pdf", content[obj]),
            201,
        )
        producers[obj], dossiers[obj], tags[obj] = producer, dossier, tag
        documents[obj] = up["download_url"].split("/")[6]
        markers.append(tag)
        feed.dossiers.add(dossier["id"])
        current[obj] = _ok(flows.act(owner, dossier, "submit")) if obj != DRAFT else dossier
    markers += [people["owner"].account["email"], far_owner.account["email"]]

    # The commune's intake.
    handler = people["handler"]
    current[TAKEN] = _ok(
        handler(
            "POST",
            f"/api/v1/dossiers/{dossiers[TAKEN]['id']}/assign",
            json={"version": current[TAKEN]["version"]},
        )
    )
    missing = [{"item": "food_safety_certificate", "note": "còn hạn"}]
    current[RETURNED] = _ok(flows.act(handler, current[RETURNED], "return", missing_items=missing))
    for obj in ACCEPTED:
        officer = far_officer if obj == FAR else handler
        current[obj] = _ok(flows.act(officer, current[obj], "accept"))
        assert current[obj]["handler_account_id"] == officer.account["id"]
    feed(evaluation, registration)

    # The district: its council, the commune's proposals, the assignments.
    secretariat = on_eval("secretariat")
    council = _ok(
        secretariat(
            "POST",
            "/api/v1/councils",
            json={
                "name": f"Hội đồng OCOP {uuid.uuid4().hex[:6]}",
                "level": "district",
                "unit": DISTRICT,
            },
        ),
        201,
    )
    council_id = str(council["id"])
    feed.councils.add(council_id)
    seats = [
        ("chair", "chair"),
        ("member", "member"),
        ("conflicted_member", "member"),
        ("unseated_member", "member"),
    ]
    for person, seat in seats:
        body = {"account_id": people[person].account["id"], "role": seat}
        _ok(secretariat("POST", f"/api/v1/councils/{council_id}/members", json=body), 201)
    for obj in (FORWARDED, *SCORED):
        kit.propose(on_eval("handler"), dossiers[obj]["id"])
    evaluations = {
        obj: str(_ok(kit.assign(secretariat, dossiers[obj]["id"], council_id), 201)["id"])
        for obj in SCORED
    }
    unseated = people["unseated_member"].account["id"]
    _ok(secretariat("DELETE", f"/api/v1/councils/{council_id}/members/{unseated}"))

    # The council: a conflict, declarations, sheets; two closes; one recognition.
    _sit(on_eval, evaluations)
    case = _ok(on_eval("authority")("GET", f"/api/v1/cases/{dossiers[RECOGNISED]['id']}"))
    decided = _ok(
        on_eval("authority")(
            "POST",
            f"/api/v1/cases/{dossiers[RECOGNISED]['id']}/decisions",
            json={
                "version": case["version"],
                "decision_number": "15/QĐ-UBND",
                "decided_on": vietnam_today(),
            },
        ),
        201,
    )
    body = {"account_id": spare_member.account["id"], "role": "member"}
    _ok(secretariat("POST", f"/api/v1/councils/{council_id}/members", json=body), 201)
    feed(registration, evaluation)
    return World(
        people=people,
        producers=producers,
        dossiers=dossiers,
        documents=documents,
        content=content,
        markers=markers,
        tags=tags,
        council_id=council_id,
        evaluations=evaluations,
        certificate=decided["certificate"]["number"],
        spare_consultant=spare_consultant,
        spare_member=spare_member,
        far_owner=far_owner,
        far_officer=far_officer,
        feed=feed,
        registration=registration,
        evaluation=evaluation,
    )


def _sit(on_eval: Callable[[str], flows.Actor], evaluations: dict[str, str]) -> None:
    """Each evaluation's sitting: one member declares a conflict, the others score three stars;
    the chair closes all but the one left with the council."""
    for obj, ev in evaluations.items():
        _ok(kit.declare(on_eval("conflicted_member"), ev, True, "Họ hàng với chủ cơ sở"), 201)
        for person in ("chair", "member"):
            _ok(kit.declare(on_eval(person), ev), 201)
            _ok(kit.submit(on_eval(person), ev, THREE_STARS), 201)
        if obj != COUNCIL:
            closed = _ok(kit.finalise(on_eval("chair"), ev))
            assert closed["outcome"] == "recognised", closed


def stages(evaluation: Any, world: World, objs: Iterable[str] = ACCEPTED) -> dict[str, str]:
    """The evaluation stage of each case (a check that the world stands where it should)."""
    from services.evaluation.models import Case

    with evaluation.db.reader() as session:
        return {obj: session.get_one(Case, uuid.UUID(world.dossier_id(obj))).stage for obj in objs}
