"""An evaluation's standing at this moment: who counts (seats less conflicted members), how far
the sheets are from a quorum and, for the chair and the secretary, the spread of the totals;
and the reading of evaluations (one, or a page of those the caller sits on or oversees), each
with what tells its case apart (product, producer, the round's closing date)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from services.evaluation.domain import finalisation
from services.evaluation.domain.council_rules import has_quorum, spread
from services.evaluation.models import (
    Case,
    ConflictDeclaration,
    Council,
    Evaluation,
    Round,
    ScoreSheet,
    participant_tables,
)
from services.evaluation.service import access, seats, sheets
from services.evaluation.service import councils as council_service
from shared.auth import OFFICIAL_ROLES, Principal


@dataclass(frozen=True, slots=True)
class Standing:
    """Who may count at this moment: seats, conflicted members, eligible sheets' totals."""

    members: frozenset[uuid.UUID]
    chair: uuid.UUID | None
    declared: dict[uuid.UUID, bool]  # account → conflicted
    sheets: list[ScoreSheet]  # by eligible members only

    @property
    def conflicted(self) -> frozenset[uuid.UUID]:
        return frozenset(a for a, c in self.declared.items() if c and a in self.members)

    def domain_council(self, council: Council) -> finalisation.Council:
        return finalisation.Council(
            rules=council_service.rules_of(council),
            members=frozenset(str(m) for m in self.members),
            chair=str(self.chair) if self.chair else "",
            conflicted=frozenset(str(m) for m in self.conflicted),
        )


def standing_of(session: Session, evaluation: Evaluation, council: Council) -> Standing:
    members = frozenset(seat.account_id for seat in council.members)
    declared = {
        d.account_id: d.conflicted
        for d in session.execute(
            select(ConflictDeclaration).where(ConflictDeclaration.evaluation_id == evaluation.id)
        ).scalars()
    }
    eligible = members - {a for a, c in declared.items() if c}
    sheets = [
        sheet
        for sheet in session.execute(
            select(ScoreSheet).where(ScoreSheet.evaluation_id == evaluation.id)
        ).scalars()
        if sheet.account_id in eligible  # a member who left the council no longer counts
    ]
    chair = next((s.account_id for s in council.members if s.role == seats.CHAIR), None)
    return Standing(members, chair, declared, sheets)


def quorum_state(standing: Standing, council: Council) -> dict[str, Any]:
    """How far the sheets are from a quorum ("n of m eligible sheets, chair in or out")."""
    rules = council_service.rules_of(council)
    eligible = standing.members - standing.conflicted
    authors = {sheet.account_id for sheet in standing.sheets}
    domain = standing.domain_council(council)
    return {
        "eligible": len(eligible),
        "sheets": len(authors),
        "required": rules.quorum_size(len(eligible)),
        "chair_required": rules.chair_required,
        "chair_in": standing.chair is not None and standing.chair in authors,
        "met": has_quorum(
            rules, domain.members, {str(a) for a in authors}, domain.chair, domain.conflicted
        ),
        "declared": len(set(standing.declared) & standing.members),
        "conflicted": len(standing.conflicted),
    }


def spread_state(standing: Standing, council: Council) -> dict[str, Any]:
    """The current totals, sorted so they say nothing of whose they are."""
    totals = sorted(sheet.total for sheet in standing.sheets)
    rules = council_service.rules_of(council)
    return {
        "totals": totals,
        "spread": spread(totals) if totals else None,
        "max_spread": council.max_spread,
        "exceeded": bool(totals) and rules.spread_exceeded(totals),
    }


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What tells an evaluation's case apart, shown before anything else of the dossier: a
    member needs the product and the producer to know whether they have a tie to it."""

    product_name: str
    producer_name: str
    round_closes_on: date | None


@dataclass(frozen=True, slots=True)
class EvaluationView:
    evaluation: Evaluation
    facts: CaseFacts
    max_spread: float
    quorum: dict[str, Any]
    spread: dict[str, Any] | None
    mine: dict[str, Any]


def _closes_on(session: Session, evaluation: Evaluation) -> date | None:
    round_ = session.get(Round, evaluation.round_id) if evaluation.round_id else None
    return round_.closes_on if round_ is not None else None


def view(session: Session, ctx: seats.Seated) -> EvaluationView:
    standing = standing_of(session, ctx.evaluation, ctx.council)
    own = sheets.own_sheet(session, ctx) if ctx.seat else None
    return EvaluationView(
        evaluation=ctx.evaluation,
        facts=CaseFacts(
            ctx.case.product_name, ctx.case.producer_name, _closes_on(session, ctx.evaluation)
        ),
        max_spread=ctx.council.max_spread,
        quorum=quorum_state(standing, ctx.council),
        spread=spread_state(standing, ctx.council)
        if ctx.seat in (seats.CHAIR, seats.SECRETARY)
        else None,
        mine={
            "seat": ctx.seat,
            "declared": ctx.me in standing.declared,
            "conflicted": standing.declared.get(ctx.me),
            "sheet_revision": own.revision if own else None,
        },
    )


def get(*, session: Session, principal: Principal, evaluation_id: uuid.UUID) -> EvaluationView:
    """An evaluation's status, quorum and (to the chair and secretary) the spread."""
    return view(session, seats.load(session, principal, evaluation_id))


def _seated(principal: Principal) -> ColumnElement[bool]:
    """Evaluations of the councils the caller sits on now, less the cases on which they have a
    conflict (from then on they reach nothing of the case, ADR 0009)."""
    x = participant_tables.exclusions
    excluded = select(x.c.dossier_id).where(x.c.account_id == access.me(principal))
    return Evaluation.council_id.in_(access.seats(principal)) & Evaluation.dossier_id.not_in(
        excluded
    )


def _evaluation_reach(principal: Principal) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [_seated(principal)]
    if principal.has(*OFFICIAL_ROLES):
        # Only the official side of the caller oversees cases (not an applicant's ownership).
        official = dataclasses.replace(principal, roles=principal.roles & set(OFFICIAL_ROLES))
        conditions.append(access.case_reach(official))
    return or_(*conditions)


@dataclass(frozen=True, slots=True)
class EvaluationItem:
    """An evaluation in a list, with its case's facts."""

    evaluation: Evaluation
    facts: CaseFacts


def list_evaluations(
    *,
    session: Session,
    principal: Principal,
    status: str | None,
    limit: int,
    after: uuid.UUID | None = None,
    mine: bool = False,
) -> tuple[list[EvaluationItem], uuid.UUID | None]:
    """Evaluations of the councils the caller sits on or oversees (``mine``: sits on), newest
    first, each with its product, producer and round closing date."""
    # Round.closes_on is None for an evaluation without a round (the outer join), which
    # SQLAlchemy's types cannot say: CaseFacts takes it as ``date | None``.
    query = (
        select(Evaluation, Case.product_name, Case.producer_name, Round.closes_on)
        .join(Case, Case.dossier_id == Evaluation.dossier_id)
        .outerjoin(Round, Round.id == Evaluation.round_id)
        .where(_seated(principal) if mine else _evaluation_reach(principal))
    )
    if status:
        query = query.where(Evaluation.status == status)
    if after is not None:
        query = query.where(Evaluation.id < after)
    rows = session.execute(query.order_by(Evaluation.id.desc()).limit(limit + 1)).all()
    items = [EvaluationItem(row[0], CaseFacts(row[1], row[2], row[3])) for row in rows]
    next_cursor = items[limit - 1].evaluation.id if len(items) > limit else None
    return items[:limit], next_cursor
