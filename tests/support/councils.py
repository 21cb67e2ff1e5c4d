"""Councils, rounds and the people on them, for the evaluation service's integration tests.

Councils and rounds are written straight into the evaluation database (the councils API has its
own tests); each seat is announced with ``council.member_added`` as the councils API does, so
the services that keep seats from events (registration, notification) can be fed them
(``cases.deliver_seats``). People are real accounts of the registration service, signed in,
calling the evaluation API. Each sign-in here comes from its own client address
(``flows.fresh_address``): a council scenario signs in a dozen officials at once.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from services.evaluation import models
from shared.events.envelope import SYSTEM, new_event
from tests.support import flows
from tests.support.cases import deliver
from tests.support.observe import eventually

DISTRICT = "pre2025:district:461"  # Đông Hà, holding flows.COMMUNE
PROVINCE = "pre2025:province:45"  # Quảng Trị
OTHER_DISTRICT = "pre2025:district:462"  # Quảng Trị town, same province
OTHER_PROVINCE = "pre2025:province:01"  # Hà Nội
SET_CODE = "06"  # the sheet tests/unit/evaluation/sheets.py builds answers for
PDF_SHA256 = hashlib.sha256(flows.PDF).hexdigest()


def on_evaluation(eval_call: flows.Transport, actor: flows.Actor) -> flows.Actor:
    """The same signed-in person, calling the evaluation API."""
    return actor.on(eval_call)


def official(
    admin: flows.Actor, eval_call: flows.Transport, roles: list[str], unit: str | None
) -> flows.Actor:
    """A new official, signed in, calling the evaluation API."""
    return on_evaluation(eval_call, flows.create_official(admin, roles, unit, own_address=True))


def applicant(call: flows.Transport) -> flows.Actor:
    """A new applicant, signed in (registration API)."""
    return flows.register(call, own_address=True)


def accepted_case(
    registration: Any,
    evaluation: Any,
    owner: flows.Actor,
    commune_officer: flows.Actor,
    *,
    set_code: str = SET_CODE,
) -> dict[str, Any]:
    """A dossier of ``owner`` filed with one document, accepted by the commune, and its events
    delivered to the evaluation service (so the case exists there); returns the dossier."""
    producer = flows.create_producer(owner)
    accepted = flows.accepted_dossier(owner, commune_officer, producer["id"], set_code)
    assert deliver(registration, evaluation, accepted["id"]) == 2  # document + acceptance
    return accepted


def seat_council(
    evaluation: Any,
    *,
    level: str,
    unit: str,
    chair: flows.Actor | None,
    secretary: flows.Actor | None = None,
    members: Sequence[flows.Actor] = (),
    max_spread: float = 10.0,
    quorum: tuple[int, int] = (3, 4),
    chair_required: bool = True,
) -> str:
    """A council of ``level`` serving ``unit`` with the given seats; returns its id."""
    now = datetime.now(UTC)
    with evaluation.db.unit_of_work() as uow:
        council = models.Council(
            name=f"Hội đồng {level} {uuid.uuid4().hex[:6]}",
            level=level,
            unit=unit,
            quorum_numerator=quorum[0],
            quorum_denominator=quorum[1],
            chair_required=chair_required,
            max_spread=max_spread,
            created_at=now,
        )
        uow.session.add(council)
        uow.session.flush()
        seats = [("chair", chair), ("secretary", secretary), *(("member", m) for m in members)]
        for role, actor in seats:
            if actor is not None:
                account_id = uuid.UUID(actor.account["id"])
                uow.session.add(
                    models.CouncilMember(
                        council_id=council.id, account_id=account_id, role=role, added_at=now
                    )
                )
                payload = {
                    "council_id": council.id,
                    "council_name": council.name,
                    "level": level,
                    "unit": unit,
                    "account_id": account_id,
                    "role": role,
                }
                event = new_event(
                    "council.member_added", payload, producer="evaluation", actor=SYSTEM
                )
                uow.add_event(event)
        uow.commit()
        return str(council.id)


def schedule_round(
    evaluation: Any, *, level: str, unit: str, proposals_due: date, closes_on: date
) -> str:
    """A round of ``level`` and ``unit`` (the one already on those dates, if any); its id."""
    with evaluation.db.unit_of_work() as uow:
        existing = uow.session.execute(
            select(models.Round.id).where(
                models.Round.level == level,
                models.Round.unit == unit,
                models.Round.proposals_due == proposals_due,
                models.Round.closes_on == closes_on,
            )
        ).scalar_one_or_none()
        if existing is not None:
            return str(existing)
        round_ = models.Round(
            level=level,
            unit=unit,
            name=f"{closes_on:%Y}-{uuid.uuid4().hex[:4]}",
            proposals_due=proposals_due,
            closes_on=closes_on,
        )
        uow.session.add(round_)
        uow.commit()
        return str(round_.id)


@dataclass
class Council:
    """A seated council and its people on the evaluation API."""

    id: str
    chair: flows.Actor
    secretary: flows.Actor | None
    members: list[flows.Actor]

    @property
    def everyone(self) -> list[flows.Actor]:
        return [self.chair, *([self.secretary] if self.secretary else []), *self.members]


def form_council(
    admin: flows.Actor,
    eval_call: flows.Transport,
    evaluation: Any,
    *,
    level: str,
    unit: str,
    members: int,
    secretary: bool = True,
    **rules: Any,
) -> Council:
    """New officials seated as chair, secretary (optional) and ``members`` plain members."""

    def person(role: str) -> flows.Actor:
        return official(admin, eval_call, [role], unit)

    chair = person("council_chair")
    sec = person("council_secretary") if secretary else None
    plain = [person("council_member") for _ in range(members)]
    council_id = seat_council(
        evaluation, level=level, unit=unit, chair=chair, secretary=sec, members=plain, **rules
    )
    return Council(council_id, chair, sec, plain)


# --- reading behind the API -----------------------------------------------------------------


def events(evaluation: Any, dossier_id: str, type_: str | None = None) -> list[dict[str, Any]]:
    """The envelopes in the evaluation outbox about one case, oldest first."""
    o = evaluation.outbox.c
    with evaluation.db.engine.connect() as conn:
        rows = conn.execute(select(o.type, o.envelope).order_by(o.id)).all()
    return [
        r.envelope
        for r in rows
        if r.envelope.get("dossier_id") == dossier_id and (type_ is None or r.type == type_)
    ]


def event_types(evaluation: Any, dossier_id: str) -> list[str]:
    return [e["type"] for e in events(evaluation, dossier_id)]


def case_of(evaluation: Any, dossier_id: str) -> models.Case:
    """The case's row, read behind the API."""
    with evaluation.db.reader() as session:
        return session.get_one(models.Case, uuid.UUID(dossier_id))


_COUNTED = (
    models.Case,
    models.CommuneReview,
    models.Evaluation,
    models.ConflictDeclaration,
    models.ScoreSheet,
    models.ScoreSheetRevision,
)


def snapshot(evaluation: Any, dossier_id: str | None = None) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was: the outbox, the row counts, and the
    case's and its evaluations' state."""
    with evaluation.db.reader() as session:
        counts = tuple(
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in _COUNTED
        )
        outbox = session.execute(select(func.count()).select_from(evaluation.outbox)).scalar_one()
        state: tuple[Any, ...] = ()
        if dossier_id is not None:
            case = session.get(models.Case, uuid.UUID(dossier_id))
            assert case is not None
            evaluations = session.execute(
                select(models.Evaluation).where(models.Evaluation.dossier_id == case.dossier_id)
            ).scalars()
            sheets = session.execute(
                select(models.ScoreSheet.id, models.ScoreSheet.revision, models.ScoreSheet.total)
                .join(models.Evaluation)
                .where(models.Evaluation.dossier_id == case.dossier_id)
                .order_by(models.ScoreSheet.id)
            ).all()
            declarations = session.execute(
                select(
                    models.ConflictDeclaration.account_id,
                    models.ConflictDeclaration.conflicted,
                    models.ConflictDeclaration.recorded_by,
                )
                .join(models.Evaluation)
                .where(models.Evaluation.dossier_id == case.dossier_id)
                .order_by(models.ConflictDeclaration.id)
            ).all()
            state = (
                (case.version, case.level, case.stage, case.pending_rank),
                tuple((e.id, e.version, e.status, e.rescore_count) for e in evaluations),
                tuple(tuple(row) for row in sheets),
                tuple(tuple(row) for row in declarations),
            )
        return (outbox, counts, state)


def review_body(version: int, proposal: str = "propose", reasons: str | None = None) -> dict:
    """A complete Form 03."""
    criterion = {"assessment": "Nguyên liệu thu mua tại địa phương", "rating": "yes"}
    body: dict[str, Any] = {
        "version": version,
        "local_criteria": {
            "local_raw_materials": criterion,
            "local_labour": {"assessment": "Lao động là người địa phương", "rating": "yes"},
            "idea_origin": {"assessment": "Ý tưởng của hợp tác xã", "rating": "partly"},
            "local_identity": {"assessment": "Gắn với vùng gạo Triệu Phong", "rating": "no"},
        },
        "proposal": proposal,
    }
    if reasons is not None:
        body["reasons"] = reasons
    return body


# --- driving a case through the evaluation API ----------------------------------------------


def propose(officer: flows.Actor, dossier_id: str) -> dict[str, Any]:
    """The commune proposes the case upward; returns the case as it is then."""
    case = officer("GET", f"/api/v1/cases/{dossier_id}")
    assert case.status == 200, case.body
    reply = officer(
        "POST",
        f"/api/v1/cases/{dossier_id}/commune-review",
        json=review_body(case.body["version"], "propose"),
    )
    assert reply.status == 200, reply.body
    return reply.body


def assign(secretariat: flows.Actor, dossier_id: str, council_id: str, **extra: Any) -> flows.Reply:
    """The secretariat assigns the case (at the version it reads now) to a council."""
    case = secretariat("GET", f"/api/v1/cases/{dossier_id}")
    assert case.status == 200, case.body
    body = {"version": case.body["version"], "council_id": council_id, **extra}
    return secretariat("POST", f"/api/v1/cases/{dossier_id}/evaluations", json=body)


def declare(
    member: flows.Actor, evaluation_id: str, conflicted: bool = False, reason: str | None = None
) -> flows.Reply:
    return member(
        "POST",
        f"/api/v1/evaluations/{evaluation_id}/conflicts",
        json={"conflicted": conflicted, "reason": reason},
    )


def submit(
    member: flows.Actor, evaluation_id: str, answers: dict, comment: str | None = None
) -> flows.Reply:
    return member(
        "POST",
        f"/api/v1/evaluations/{evaluation_id}/sheets",
        json={"answers": answers, "comment": comment},
    )


def revise(
    member: flows.Actor,
    evaluation_id: str,
    answers: dict,
    revision: int,
    comment: str | None = None,
) -> flows.Reply:
    return member(
        "PUT",
        f"/api/v1/evaluations/{evaluation_id}/sheets/mine",
        json={"answers": answers, "comment": comment, "revision": revision},
    )


def finalise(closer: flows.Actor, evaluation_id: str) -> flows.Reply:
    """Finalise at the version the caller reads now."""
    current = closer("GET", f"/api/v1/evaluations/{evaluation_id}")
    assert current.status == 200, current.body
    return closer(
        "POST",
        f"/api/v1/evaluations/{evaluation_id}/finalise",
        json={"version": current.body["version"]},
    )


def decide(
    actor: flows.Actor, dossier_id: str, version: int, decided_on: date, **extra: Any
) -> flows.Reply:
    """The level's authority recognises the case at ``version`` (``extra`` overrides the body,
    e.g. another ``decision_number``)."""
    body = {"decision_number": "1234/QĐ-UBND", "decided_on": decided_on.isoformat()}
    return actor(
        "POST",
        f"/api/v1/cases/{dossier_id}/decisions",
        json={**body, "version": version, **extra},
    )


def score(people: Sequence[flows.Actor], evaluation_id: str, answer_sets: Sequence[dict]) -> None:
    """The first ``len(answer_sets)`` of ``people`` declare no conflict and score."""
    for person, answers in zip(people, answer_sets, strict=False):
        assert declare(person, evaluation_id).status == 201
        reply = submit(person, evaluation_id, answers)
        assert reply.status == 201, reply.body


def score_all(council: Council, evaluation_id: str, answer_sets: Sequence[dict]) -> None:
    """The first ``len(answer_sets)`` people of the council declare no conflict and score."""
    score(council.everyone, evaluation_id, answer_sets)


def seat_over_api(
    office: flows.Actor, people: Sequence[flows.Actor], *, name: str, level: str, unit: str
) -> str:
    """A council created by ``office`` (its level's secretariat) through the evaluation API and
    seated with ``people``: chair, secretary, then members; returns its id. Each seat is asked
    for again until evaluation has heard of the account (422 before its account.created)."""
    made = office("POST", "/api/v1/councils", json={"name": name, "level": level, "unit": unit})
    assert made.status == 201, made.body
    roles = ["chair", "secretary", *["member"] * (len(people) - 2)]
    for person, role in zip(people, roles, strict=True):
        eventually(
            lambda p=person, r=role: office(
                "POST",
                f"/api/v1/councils/{made.body['id']}/members",
                json={"account_id": p.account["id"], "role": r},
            ),
            lambda reply: reply.status == 201,
        )
    return str(made.body["id"])


def registration_events(registration: Any, dossier_id: str) -> list[dict[str, Any]]:
    """The envelopes registration wrote to its outbox about one dossier, in order."""
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).order_by(o.id)).all()
    return [env for (env,) in rows if env.get("dossier_id") == dossier_id]
