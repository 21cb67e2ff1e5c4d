"""Cases: this service's view of accepted dossiers, kept from registration's events; their moves
along the stage table, listing and detail."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.evaluation.domain import stages
from services.evaluation.domain.deadlines import REEVALUATION_DECISION
from services.evaluation.domain.regime import regime_by_name
from services.evaluation.domain.stages import (  # noqa: F401 - the names other modules use
    AWAITING_ASSIGNMENT,
    AWAITING_DECISION,
    COMMUNE_REVIEW,
    FINAL_STAGES,
    IN_EVALUATION,
    NOT_RECOGNISED,
    RECOGNISED,
    RETURNED,
    WITHDRAWN,
    StageError,
    Step,
    next_stage,
)
from services.evaluation.models import (
    Case,
    CaseDocument,
    CommuneReview,
    Evaluation,
    Official,
    calendar_notices,
)
from services.evaluation.service import access, official_index
from shared import calendar_store
from shared.auth import Principal
from shared.calendar import WorkingCalendar, local_date
from shared.db import UnitOfWork, as_utc, insert_missing, insert_new, table_of
from shared.errors import Conflict, Forbidden, NotFound, Refused
from shared.events import Actor, Event, new_event
from shared.rubrics import Sheet, load_rubric

# Registration types (Form 01): an upgrade (nâng hạng) or a re-evaluation (phân hạng lại)
# names the certificate it concerns.
UPGRADE, RE_EVALUATION = "upgrade", "re_evaluation"


#: What every event about a case carries (``level`` is where the case is now).
FACTS = (
    "dossier_id",
    "product_name",
    "product_code",
    "product_set_code",
    "producer_name",
    "owner_account_id",
    "consultant_account_ids",
    "regime",
    "unit_tree",
    "province_code",
    "district_code",
    "commune_code",
    "level",
)


def facts(case: Case | Mapping[str, Any]) -> dict[str, Any]:
    """The FACTS of a case, or of the row of one just written and not loaded."""
    if isinstance(case, Case):
        return {name: getattr(case, name) for name in FACTS}
    return {name: case[name] for name in FACTS}


def publish(
    uow: UnitOfWork,
    case: Case | Mapping[str, Any],
    type_: str,
    payload: dict[str, Any],
    actor: Actor,
) -> None:
    """Queue an event about ``case`` for the outbox."""
    about = facts(case)
    uow.add_event(
        new_event(
            type_,
            {**about, **payload},
            producer="evaluation",
            actor=actor,
            dossier_id=about["dossier_id"],
        )
    )


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.account_id, principal.primary_role)


def get(*, session: Session, principal: Principal, dossier_id: uuid.UUID) -> Case:
    """A case within the caller's reach (404 otherwise)."""
    case = session.execute(
        select(Case).where(Case.dossier_id == dossier_id, access.case_reach(principal))
    ).scalar_one_or_none()
    if case is None:
        raise NotFound("case.not_found")
    return case


def touch(case: Case, *, level: str | None = None, stage: str | None = None) -> None:
    if level is not None:
        case.level = level
    if stage is not None:
        case.stage = stage
    case.updated_at = datetime.now(UTC)


# --- moves along the stage table (domain/stages.py) -----------------------------------------


def check_role(takers: stages.Takers, roles: Collection[str]) -> None:
    """403 with the table's word for who may take the step when ``roles`` (or a council seat)
    hold none of its takers'."""
    if not takers.allow(roles):
        raise Forbidden(takers.refusal)


def check_step(case: Case, step: Step) -> str:
    """The stage ``step`` takes the case to; 409 if the table has no such edge."""
    try:
        return next_stage(case.stage, step)
    except StageError as exc:
        raise Refused(exc.code, level=case.level, **exc.params) from exc


def advance(case: Case, step: Step, *, level: str | None = None) -> None:
    """Move the case along the stage table (and to ``level`` when the step changes it)."""
    touch(case, level=level, stage=check_step(case, step))


def check_version(current: int, expected: int, code: str) -> None:
    """409 with the current version when the client read an older one."""
    if current != expected:
        raise Conflict(code, yours=expected, current_version=current)


def rubric_sheet(case: Case) -> Sheet:
    """The scoring sheet the case is pinned to (its rubric version and product set)."""
    return load_rubric(case.rubric_version).sheet(case.product_set_code)


# --- listing and detail ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseFilters:
    level: str | None = None
    stage: str | None = None
    # Only the cases the caller acts on now (a current party: the handler, the secretariat,
    # council or authority of the level where the case sits), not those it reads because they
    # passed through its level: a secretariat's queues hold the cases at its own level.
    current: bool = False


def list_cases(
    *,
    session: Session,
    principal: Principal,
    filters: CaseFilters,
    limit: int,
    after: uuid.UUID | None = None,
) -> tuple[list[Case], uuid.UUID | None]:
    """A page of cases in reach, newest first; returns the cursor of the next page."""
    query = select(Case).where(access.case_reach(principal))
    if filters.level:
        query = query.where(Case.level == filters.level)
    if filters.stage:
        query = query.where(Case.stage == filters.stage)
    if filters.current:
        query = query.where(access.on_case(principal, current=True))
    if after is not None:
        query = query.where(Case.dossier_id < after)
    rows = list(session.execute(query.order_by(Case.dossier_id.desc()).limit(limit + 1)).scalars())
    next_cursor = rows[limit - 1].dossier_id if len(rows) > limit else None
    return rows[:limit], next_cursor


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: Case
    commune_review: CommuneReview | None
    evaluations: list[Evaluation]


def case_detail(*, session: Session, principal: Principal, dossier_id: uuid.UUID) -> CaseDetail:
    """A case in reach with its commune review and its evaluations, oldest first."""
    case = get(session=session, principal=principal, dossier_id=dossier_id)
    history = session.execute(
        select(Evaluation)
        .where(Evaluation.dossier_id == case.dossier_id)
        .order_by(Evaluation.opened_at, Evaluation.id)
    ).scalars()
    return CaseDetail(case, session.get(CommuneReview, case.dossier_id), list(history))


# --- consumers of registration's events ---------------------------------------------------


def _follow_up(event: Event, calendar: WorkingCalendar) -> dict[str, Any]:
    """What an upgrade or re-evaluation brings: the certificate it names, the filing date, and
    for a re-evaluation the 45-day decision limit, counted from this acceptance (the complete
    dossier, docs/domain.md#certificates)."""
    p = event.payload
    filed_on = p.get("filed_on")
    # Kept, so that a notice of days off loaded later counts the 45 days again (due_dates).
    counted_from = (
        local_date(event.occurred_at) if p["registration_type"] == RE_EVALUATION else None
    )
    return {
        "previous_certificate": p.get("certificate_number"),
        "filed_on": date.fromisoformat(filed_on) if filed_on else None,
        "decision_counted_from": counted_from,
        "decision_due_on": (
            REEVALUATION_DECISION.due(counted_from, calendar) if counted_from else None
        ),
    }


#: What the bulk handlers below read of their events' payloads (and all that is validated).
ACCEPTED_READS = frozenset(
    {
        "dossier_id",
        "handler_account_id",
        "producer_id",
        "producer_name",
        "owner_account_id",
        "consultant_account_ids",
        "product_name",
        "product_set_code",
        "product_code",
        "registration_type",
        "certificate_number",
        "filed_on",
        "rubric_version",
        "regime",
        "unit_tree",
        "province_code",
        "district_code",
        "commune_code",
        "self_assessment",
    }
)
DOCUMENT_READS = frozenset(
    {"dossier_id", "document_id", "kind", "document_version", "sha256", "original_name"}
)


def on_dossiers_accepted(uow: UnitOfWork, events: list[Event]) -> None:
    """The commune accepted dossiers: open each one's commune review (the first level).

    A bulk handler (ADR 0008): the cases of all ``events`` are written together; a dossier
    that already has a case is looked at on its own, in the order the events came."""
    calendar = calendar_store.working_calendar(uow.session, calendar_notices)
    rows = [_case_row(event, calendar) for event in events]
    opened = insert_new(uow.session, table_of(Case), rows, key="dossier_id")
    for event, row in zip(events, rows, strict=True):
        if row["dossier_id"] in opened:
            opened.discard(row["dossier_id"])  # a second acceptance in the batch finds the case
            _announce_opened(uow, row, event.payload.get("handler_account_id"))
        else:
            _reopen(uow, event, calendar)


def _case_row(event: Event, calendar: WorkingCalendar) -> dict[str, Any]:
    p = event.payload
    regime = regime_by_name(p["regime"])
    now = datetime.now(UTC)
    return dict(
        dossier_id=uuid.UUID(p["dossier_id"]),
        producer_id=uuid.UUID(p["producer_id"]),
        producer_name=p["producer_name"],
        owner_account_id=uuid.UUID(p["owner_account_id"]),
        consultant_account_ids=p["consultant_account_ids"],
        product_name=p["product_name"],
        product_set_code=p["product_set_code"],
        product_code=p["product_code"],
        registration_type=p["registration_type"],
        rubric_version=p["rubric_version"],
        regime=regime.name,
        unit_tree=p["unit_tree"],
        province_code=p["province_code"],
        district_code=p["district_code"],
        commune_code=p["commune_code"],
        self_assessment=p["self_assessment"],
        **_follow_up(event, calendar),
        level=regime.levels[0].code.value,
        stage=COMMUNE_REVIEW,
        opened_at=now,
        updated_at=now,
    )


def _reopen(uow: UnitOfWork, event: Event, calendar: WorkingCalendar) -> None:
    """An acceptance of a dossier that has a case: returned by the commune review, completed by
    the applicant and accepted again, the case starts over at the commune with what was
    resubmitted; otherwise it was accepted once already, and nothing is new."""
    p = event.payload
    existing = uow.session.get_one(Case, uuid.UUID(p["dossier_id"]))
    if existing.stage != RETURNED:
        return
    existing.self_assessment = p["self_assessment"]
    existing.product_name = p["product_name"]
    existing.consultant_account_ids = p["consultant_account_ids"]
    existing.registration_type = p["registration_type"]
    for name, value in _follow_up(event, calendar).items():
        setattr(existing, name, value)
    touch(
        existing,
        level=regime_by_name(p["regime"]).levels[0].code.value,
        stage=stages.next_stage(existing.stage, stages.Step.REOPEN),
    )
    uow.session.flush()
    _announce_opened(uow, existing, p.get("handler_account_id"))


def _announce_opened(uow: UnitOfWork, case: Case | Mapping[str, Any], handler: str | None) -> None:
    """The case is at its first level (the commune review, by the officer handling the
    dossier, named so that nobody need know it to tell them), with no council yet."""
    publish(
        uow,
        case,
        "evaluation.opened",
        {"evaluation_id": None, "council_id": None, "handler_account_id": handler},
        Actor(None, "system"),
    )


def on_documents_added(uow: UnitOfWork, events: list[Event]) -> None:
    """Remember each document version's SHA-256, for the sheets that cite what members had
    (a bulk handler: one statement for all ``events``)."""
    rows = [
        {
            "dossier_id": uuid.UUID(p["dossier_id"]),
            "document_id": uuid.UUID(p["document_id"]),
            "kind": p["kind"],
            "document_version": p["document_version"],
            "sha256": p["sha256"],
            "original_name": p["original_name"],
        }
        for p in (event.payload for event in events)
    ]
    unique = ["dossier_id", "document_id", "document_version"]
    insert_missing(uow.session, table_of(CaseDocument), rows, unique=unique)


def on_dossier_withdrawn(*, uow: UnitOfWork, event: Event) -> None:
    """The applicant withdrew: the case stops wherever it is, and so does any open scoring."""
    case = uow.session.get(Case, uuid.UUID(event.payload["dossier_id"]))
    if case is None or case.stage in FINAL_STAGES:
        return
    touch(case, stage=stages.next_stage(case.stage, stages.Step.WITHDRAW))
    now = datetime.now(UTC)
    for evaluation in uow.session.execute(
        select(Evaluation).where(
            Evaluation.dossier_id == case.dossier_id, Evaluation.status == "open"
        )
    ).scalars():
        evaluation.status = WITHDRAWN
        evaluation.closed_at = now


def on_account(*, uow: UnitOfWork, event: Event) -> None:
    """Officials may sit on councils; keep what is needed to seat them, as the newest account
    event says (an older one redelivered late changes nothing)."""
    p = event.payload
    account_id = uuid.UUID(p["account_id"])
    official = uow.session.get(Official, account_id)
    if official is None:
        if set(p["roles"]) <= {"applicant", "consultant"}:
            return
        official = Official(account_id=account_id)
    elif official.account_as_of is not None and as_utc(official.account_as_of) > event.occurred_at:
        return
    official.display_name = p["display_name"]
    official.email = p["email"]
    official.roles = p["roles"]
    official.unit = p["unit"]
    official.active = p.get("active", True)
    official.account_as_of = event.occurred_at
    official_index.describe(official)
    uow.session.add(official)


def latest_document_hashes(session: Session, dossier_id: uuid.UUID) -> dict[str, str]:
    """{document_id: sha256} of the newest version of each document of the case."""
    rows = session.execute(
        select(CaseDocument)
        .where(CaseDocument.dossier_id == dossier_id)
        .order_by(CaseDocument.document_id, CaseDocument.document_version)
    ).scalars()
    return {str(row.document_id): row.sha256 for row in rows}
