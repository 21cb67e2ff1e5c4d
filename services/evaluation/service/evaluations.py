"""Evaluations at a scoring level: assignment to a council and round, conflict declarations,
score sheets with their revisions, finalising, and the moves between levels that follow.

Who may do what (checked here; outside reach an object answers 404):

* a case is read by whoever :func:`access.case_reach` lets in; an evaluation by the members of
  its council and by officials whose jurisdiction contains the case;
* the secretariat of the case's current level and unit assigns a council of that level and
  unit (with a chair) and a round;
* members of the council declare conflicts of interest, once each; a member reads the dossier
  and scores only after declaring no conflict; a conflicted member can neither, and the quorum
  is counted without them. Every seat (chair, secretary, member) scores;
* members never see each other's sheets before the council closes; the chair and the secretary
  see the current totals, without whose they are, to judge the spread;
* the chair or the secretary finalises. The council's current seats count at that moment.

Events (where the texts are silent, these are the service's choices): assignment emits
``evaluation.opened``; declarations ``evaluation.conflict_declared``; sheets
``evaluation.sheet_submitted`` and ``evaluation.sheet_revised`` (old and new values). A
finalise over the spread emits ``evaluation.rescore_requested`` and leaves the evaluation open
for members to revise. A closing emits, by outcome: forwarded → ``evaluation.forwarded``;
handed back → ``evaluation.handed_back``; not recognised → ``evaluation.decided`` (outcome
``not_recognised``); recognised at this level → **nothing new**: recognition is the act of the
level's authority, whose confirmation emits ``evaluation.decided`` (``recognised``), so saying
it at the council's close would be premature. The sheets' events already put the scoring in
the case file, and the case waits at stage ``awaiting_decision`` with its ``pending_rank``.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from services.evaluation.domain import finalisation
from services.evaluation.domain.aggregation import CouncilResult, MemberSheet
from services.evaluation.domain.council_rules import has_quorum, spread
from services.evaluation.domain.outcome import Outcome, OutcomeKind
from services.evaluation.domain.regime import LevelCode, regime_by_name
from services.evaluation.domain.stages import StageError, Step, next_stage
from services.evaluation.models import (
    Case,
    CaseDocument,
    CommuneReview,
    ConflictDeclaration,
    Council,
    Evaluation,
    Round,
    ScoreSheet,
    ScoreSheetRevision,
)
from services.evaluation.service import access, cases
from services.evaluation.service import councils as council_service
from services.evaluation.service import rounds as round_service
from shared import problems
from shared.auth import OFFICIAL_ROLES, Principal
from shared.db import UnitOfWork
from shared.ids import new_id
from shared.rubrics import Sheet, load_rubric, score, validate_answers

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

OPEN = "open"
CLOSED = "closed"
CHAIR, SECRETARY = "chair", "secretary"


# --- where a case goes: the stage table lives in domain/stages.py ---------------------------


_STEP_OF_OUTCOME = {
    OutcomeKind.RECOGNISED: Step.RECOGNISE,
    OutcomeKind.FORWARDED: Step.FORWARD,
    OutcomeKind.HANDED_BACK: Step.HAND_BACK,
    OutcomeKind.NOT_RECOGNISED: Step.REFUSE,
}


def check_step(case: Case, step: Step) -> str:
    """The stage ``step`` takes the case to; 409 if the table has no such edge."""
    try:
        return next_stage(case.stage, step)
    except StageError as exc:
        raise problems.transition_refused(
            f"A case at stage {case.stage} (level {case.level}) cannot take the step {step}."
        ) from exc


def advance(case: Case, step: Step, *, level: str | None = None) -> None:
    """Move the case along the stage table (and to ``level`` when the step changes it)."""
    cases.touch(case, level=level, stage=check_step(case, step))


def check_version(current: int, expected: int, what: str) -> None:
    """409 with the current version when the client read an older one."""
    if current != expected:
        raise problems.conflict(
            f"The {what} changed since you read it (your version {expected}, current "
            f"{current}); reload and try again.",
            current_version=current,
        )


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    return datetime.now(VIETNAM).date()


def level_unit(case: Case, level: str) -> str:
    """The unit (``tree:level:code`` or ``national``) acting for ``case`` at ``level``."""
    unit_level = "commune" if level == "commune" else council_service.UNIT_LEVEL[LevelCode(level)]
    if unit_level == "national":
        return "national"
    code = {
        "commune": case.commune_code,
        "district": case.district_code,
        "province": case.province_code,
    }[unit_level]
    return f"{case.unit_tree}:{unit_level}:{code}"


def rubric_sheet(case: Case) -> Sheet:
    """The scoring sheet the case is pinned to (its rubric version and product set)."""
    return load_rubric(case.rubric_version).sheet(case.product_set_code)


# --- cases: listing and detail --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseFilters:
    level: str | None = None
    stage: str | None = None


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
    case = cases.get(session=session, principal=principal, dossier_id=dossier_id)
    history = session.execute(
        select(Evaluation)
        .where(Evaluation.dossier_id == case.dossier_id)
        .order_by(Evaluation.opened_at, Evaluation.id)
    ).scalars()
    return CaseDetail(case, session.get(CommuneReview, case.dossier_id), list(history))


# --- assignment -----------------------------------------------------------------------------


def _council_for(session: Session, case: Case, council_id: uuid.UUID) -> Council:
    unit = level_unit(case, case.level)
    council = session.get(Council, council_id)
    if council is None or council.level != case.level or council.unit != unit:
        raise problems.invalid(
            {"council_id": [f"No council of the {case.level} level of {unit} has this id."]}
        )
    if not any(seat.role == CHAIR for seat in council.members):
        raise problems.invalid(
            {"council_id": ["The council has no chair; seat one before assigning dossiers."]}
        )
    return council


def _round_for(session: Session, case: Case, round_id: uuid.UUID | None) -> Round | None:
    """The named round (of this level and unit, not yet closed), or the one that takes a
    proposal today under the level's calendar (none if the calendar has none)."""
    unit = level_unit(case, case.level)
    if round_id is None:
        return round_service.current_for(session, case.level, unit, _today())
    round_ = session.get(Round, round_id)
    if round_ is None or round_.level != case.level or round_.unit != unit:
        raise problems.invalid(
            {"round_id": [f"No round of the {case.level} level of {unit} has this id."]}
        )
    if round_.closes_on < _today():
        raise problems.invalid({"round_id": [f"The round closed on {round_.closes_on}."]})
    return round_


def council_facts(evaluation: Evaluation, council: Council) -> dict[str, Any]:
    """The evaluation's part of every event about it: the council and its current seats."""
    seats = council.members
    return {
        "evaluation_id": evaluation.id,
        "council_id": council.id,
        "council_member_ids": [seat.account_id for seat in seats],
        "chair_id": next((s.account_id for s in seats if s.role == CHAIR), None),
        "secretary_id": next((s.account_id for s in seats if s.role == SECRETARY), None),
    }


def assign(
    *,
    uow: UnitOfWork,
    principal: Principal,
    dossier_id: uuid.UUID,
    expected_version: int,
    council_id: uuid.UUID,
    round_id: uuid.UUID | None = None,
) -> Evaluation:
    """The secretariat of the case's level assigns it to one of its councils and a round."""
    case = cases.get(session=uow.session, principal=principal, dossier_id=dossier_id)
    if not principal.has("secretariat"):
        raise problems.forbidden("Only the secretariat of the case's level assigns councils.")
    check_step(case, Step.ASSIGN)
    unit = level_unit(case, case.level)
    if principal.unit is None or str(principal.unit) != unit:
        raise problems.forbidden(f"Only the {case.level} secretariat of {unit} assigns this case.")
    check_version(case.version, expected_version, "case")
    council = _council_for(uow.session, case, council_id)
    round_ = _round_for(uow.session, case, round_id)
    evaluation = Evaluation(
        id=new_id(),
        dossier_id=case.dossier_id,
        level=case.level,
        council_id=council.id,
        round_id=round_.id if round_ else None,
        status=OPEN,
        rescore_count=0,
        opened_at=_now(),
    )
    uow.session.add(evaluation)
    advance(case, Step.ASSIGN)
    uow.session.flush()
    cases.publish(
        uow,
        case,
        "evaluation.opened",
        {
            **council_facts(evaluation, council),
            "round_id": round_.id if round_ else None,
            "round_closes_on": round_.closes_on if round_ else None,
        },
        cases.actor_of(principal),
    )
    return evaluation


# --- an evaluation and the caller's place in it ---------------------------------------------


@dataclass
class Seated:
    """An evaluation as the caller meets it: its case, its council and the caller's seat."""

    evaluation: Evaluation
    case: Case
    council: Council
    me: uuid.UUID
    seat: str | None  # chair, secretary or member; None for an official who only oversees


def _official_reach(principal: Principal, case: Case) -> bool:
    if not principal.has(*OFFICIAL_ROLES):
        return False
    if principal.unit is None:
        return principal.has("admin")
    return access.unit_contains(principal.unit, case)


def _load(
    session: Session, principal: Principal, evaluation_id: uuid.UUID, *, lock: bool = False
) -> Seated:
    """The evaluation if the caller sits on its council or oversees its case (404 otherwise).

    Writers lock the evaluation row, which serialises declarations, sheets and finalising of
    one evaluation (on SQLite the writing transaction's lock already does).
    """
    query = select(Evaluation).where(Evaluation.id == evaluation_id)
    evaluation = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if evaluation is None:
        raise problems.not_found("evaluation")
    me = access.me(principal)
    council = session.get(Council, evaluation.council_id)
    case = session.get(Case, evaluation.dossier_id)
    assert council is not None and case is not None  # foreign keys
    seat = next((s.role for s in council.members if s.account_id == me), None)
    if seat is None and not _official_reach(principal, case):
        raise problems.not_found("evaluation")
    return Seated(evaluation, case, council, me, seat)


def _require_seat(ctx: Seated, doing: str) -> None:
    if ctx.seat is None:
        raise problems.forbidden(f"Only members of the evaluation's council {doing}.")


def _require_open(ctx: Seated) -> None:
    if ctx.evaluation.status != OPEN:
        raise problems.transition_refused(
            "The council closed this evaluation; declarations and sheets no longer change."
        )
    if ctx.case.stage != cases.IN_EVALUATION:
        raise problems.transition_refused(f"The case is {ctx.case.stage}; scoring has stopped.")


def _declaration(session: Session, evaluation_id: uuid.UUID, account_id: uuid.UUID) -> Any:
    return session.execute(
        select(ConflictDeclaration).where(
            ConflictDeclaration.evaluation_id == evaluation_id,
            ConflictDeclaration.account_id == account_id,
        )
    ).scalar_one_or_none()


def _require_clear(session: Session, ctx: Seated) -> None:
    """A member must have declared no conflict of interest before reading or scoring."""
    declaration = _declaration(session, ctx.evaluation.id, ctx.me)
    if declaration is None:
        raise problems.forbidden(
            "Declare first whether you have a conflict of interest with the applicant "
            "(POST /api/v1/evaluations/{id}/conflicts); the dossier opens after that."
        )
    if declaration.conflicted:
        raise problems.forbidden(
            "You declared a conflict of interest: you may neither read nor score this dossier."
        )


# --- conflict of interest -------------------------------------------------------------------


def declare_conflict(
    *,
    uow: UnitOfWork,
    principal: Principal,
    evaluation_id: uuid.UUID,
    conflicted: bool,
    reason: str | None,
) -> ConflictDeclaration:
    """A council member declares, once, whether they have a tie to the applicant."""
    ctx = _load(uow.session, principal, evaluation_id, lock=True)
    _require_seat(ctx, "declare conflicts of interest")
    _require_open(ctx)
    if _declaration(uow.session, ctx.evaluation.id, ctx.me) is not None:
        raise problems.conflict("You already made your declaration for this evaluation.")
    declaration = ConflictDeclaration(
        evaluation_id=ctx.evaluation.id,
        account_id=ctx.me,
        conflicted=conflicted,
        reason=reason,
        declared_at=_now(),
    )
    uow.session.add(declaration)
    uow.session.flush()
    cases.publish(
        uow,
        ctx.case,
        "evaluation.conflict_declared",
        {
            **council_facts(ctx.evaluation, ctx.council),
            "account_id": ctx.me,
            "conflicted": conflicted,
            "reason": reason,
        },
        cases.actor_of(principal),
    )
    return declaration


@dataclass(frozen=True, slots=True)
class DossierView:
    case: Case
    commune_review: CommuneReview | None
    documents: list[CaseDocument]


def dossier(*, session: Session, principal: Principal, evaluation_id: uuid.UUID) -> DossierView:
    """The dossier as a member reads it to score: only after declaring no conflict."""
    ctx = _load(session, principal, evaluation_id)
    _require_seat(ctx, "open the dossier here")
    _require_clear(session, ctx)
    documents = session.execute(
        select(CaseDocument)
        .where(CaseDocument.dossier_id == ctx.case.dossier_id)
        .order_by(CaseDocument.kind, CaseDocument.document_id, CaseDocument.document_version)
    ).scalars()
    return DossierView(ctx.case, session.get(CommuneReview, ctx.case.dossier_id), list(documents))


# --- score sheets ---------------------------------------------------------------------------


def _scored(case: Case, answers: dict[str, str]) -> tuple[dict[str, int], int]:
    """Part points and total of a complete answer set; 422 with per-criterion errors."""
    sheet = rubric_sheet(case)
    errors = validate_answers(sheet, answers, complete=True)
    if errors:
        raise problems.invalid(
            {"answers": errors}, "The answers do not match the product set's score sheet."
        )
    result = score(sheet, answers)
    return dict(result.part_totals), result.total


def _own_sheet(session: Session, ctx: Seated) -> ScoreSheet | None:
    return session.execute(
        select(ScoreSheet).where(
            ScoreSheet.evaluation_id == ctx.evaluation.id, ScoreSheet.account_id == ctx.me
        )
    ).scalar_one_or_none()


def _sheet_event(sheet: ScoreSheet) -> dict[str, Any]:
    return {
        "account_id": sheet.account_id,
        "sheet_id": sheet.id,
        "revision": sheet.revision,
        "answers": sheet.answers,
        "part_points": sheet.part_points,
        "total": sheet.total,
        "comment": sheet.comment,
        "document_hashes": sheet.document_hashes,
    }


def submit_sheet(
    *,
    uow: UnitOfWork,
    principal: Principal,
    evaluation_id: uuid.UUID,
    answers: dict[str, str],
    comment: str | None,
) -> ScoreSheet:
    """A member hands in a score sheet: one option per criterion, and a comment."""
    ctx = _load(uow.session, principal, evaluation_id, lock=True)
    _require_seat(ctx, "score the dossier")
    _require_open(ctx)
    _require_clear(uow.session, ctx)
    if _own_sheet(uow.session, ctx) is not None:
        raise problems.conflict(
            "You already handed in a sheet; revise it (PUT .../sheets/mine) instead."
        )
    part_points, total = _scored(ctx.case, answers)
    now = _now()
    sheet = ScoreSheet(
        id=new_id(),
        evaluation_id=ctx.evaluation.id,
        account_id=ctx.me,
        revision=1,
        answers=answers,
        comment=comment,
        total=total,
        part_points=part_points,
        document_hashes=cases.latest_document_hashes(uow.session, ctx.case.dossier_id),
        submitted_at=now,
        updated_at=now,
    )
    uow.session.add(sheet)
    uow.session.flush()
    cases.publish(
        uow,
        ctx.case,
        "evaluation.sheet_submitted",
        {**council_facts(ctx.evaluation, ctx.council), **_sheet_event(sheet)},
        cases.actor_of(principal),
    )
    return sheet


def revise_sheet(
    *,
    uow: UnitOfWork,
    principal: Principal,
    evaluation_id: uuid.UUID,
    expected_revision: int,
    answers: dict[str, str],
    comment: str | None,
) -> ScoreSheet:
    """A member revises their sheet until the council closes; old and new values are kept."""
    ctx = _load(uow.session, principal, evaluation_id, lock=True)
    _require_seat(ctx, "score the dossier")
    _require_open(ctx)
    _require_clear(uow.session, ctx)
    sheet = _own_sheet(uow.session, ctx)
    if sheet is None:
        raise problems.not_found("score sheet")
    if sheet.revision != expected_revision:
        raise problems.conflict(
            f"Your sheet changed since you read it (your revision {expected_revision}, current "
            f"{sheet.revision}); reload and try again.",
            current_revision=sheet.revision,
        )
    part_points, total = _scored(ctx.case, answers)
    old_answers, old_total, old_comment = sheet.answers, sheet.total, sheet.comment
    now = _now()
    sheet.revision += 1
    sheet.answers = answers
    sheet.part_points = part_points
    sheet.total = total
    sheet.comment = comment
    # What the member had when revising, which may be newer than at the first submission.
    sheet.document_hashes = cases.latest_document_hashes(uow.session, ctx.case.dossier_id)
    sheet.updated_at = now
    uow.session.add(
        ScoreSheetRevision(
            sheet_id=sheet.id,
            revision=sheet.revision,
            old_answers=old_answers,
            new_answers=answers,
            old_total=old_total,
            new_total=total,
            old_comment=old_comment,
            new_comment=comment,
            revised_at=now,
        )
    )
    uow.session.flush()
    cases.publish(
        uow,
        ctx.case,
        "evaluation.sheet_revised",
        {
            **council_facts(ctx.evaluation, ctx.council),
            **_sheet_event(sheet),
            "old_answers": old_answers,
            "old_total": old_total,
            "old_comment": old_comment,
        },
        cases.actor_of(principal),
    )
    return sheet


@dataclass(frozen=True, slots=True)
class SheetView:
    sheet: ScoreSheet
    revisions: list[ScoreSheetRevision]


def _with_revisions(session: Session, sheets: Iterable[ScoreSheet]) -> list[SheetView]:
    by_id = {sheet.id: sheet for sheet in sheets}
    revisions: dict[uuid.UUID, list[ScoreSheetRevision]] = {sheet_id: [] for sheet_id in by_id}
    if by_id:
        rows = session.execute(
            select(ScoreSheetRevision)
            .where(ScoreSheetRevision.sheet_id.in_(list(by_id)))
            .order_by(ScoreSheetRevision.sheet_id, ScoreSheetRevision.revision)
        ).scalars()
        for row in rows:
            revisions[row.sheet_id].append(row)
    return [SheetView(sheet, revisions[sheet_id]) for sheet_id, sheet in by_id.items()]


def my_sheet(*, session: Session, principal: Principal, evaluation_id: uuid.UUID) -> SheetView:
    """The caller's own sheet with its revisions (404 if not handed in)."""
    ctx = _load(session, principal, evaluation_id)
    _require_seat(ctx, "have score sheets")
    sheet = _own_sheet(session, ctx)
    if sheet is None:
        raise problems.not_found("score sheet")
    return _with_revisions(session, [sheet])[0]


def all_sheets(
    *, session: Session, principal: Principal, evaluation_id: uuid.UUID
) -> list[SheetView]:
    """Every member's sheet, once the council has closed (sealed before that, to everyone)."""
    ctx = _load(session, principal, evaluation_id)
    if ctx.seat is not None:
        _require_clear(session, ctx)
    if ctx.evaluation.status != CLOSED:
        raise problems.forbidden(
            "Members' sheets stay sealed until the council closes; read your own at /sheets/mine."
        )
    sheets = session.execute(
        select(ScoreSheet)
        .where(ScoreSheet.evaluation_id == ctx.evaluation.id)
        .order_by(ScoreSheet.submitted_at, ScoreSheet.id)
    ).scalars()
    return _with_revisions(session, sheets)


# --- the evaluation's state: quorum and spread ----------------------------------------------


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


def _standing(session: Session, evaluation: Evaluation, council: Council) -> Standing:
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
    chair = next((s.account_id for s in council.members if s.role == CHAIR), None)
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
class EvaluationView:
    evaluation: Evaluation
    max_spread: float
    quorum: dict[str, Any]
    spread: dict[str, Any] | None
    mine: dict[str, Any]


def _view(session: Session, ctx: Seated) -> EvaluationView:
    standing = _standing(session, ctx.evaluation, ctx.council)
    own = _own_sheet(session, ctx) if ctx.seat else None
    return EvaluationView(
        evaluation=ctx.evaluation,
        max_spread=ctx.council.max_spread,
        quorum=quorum_state(standing, ctx.council),
        spread=spread_state(standing, ctx.council) if ctx.seat in (CHAIR, SECRETARY) else None,
        mine={
            "seat": ctx.seat,
            "declared": ctx.me in standing.declared,
            "conflicted": standing.declared.get(ctx.me),
            "sheet_revision": own.revision if own else None,
        },
    )


def get(*, session: Session, principal: Principal, evaluation_id: uuid.UUID) -> EvaluationView:
    """An evaluation's status, quorum and (to the chair and secretary) the spread."""
    return _view(session, _load(session, principal, evaluation_id))


def _evaluation_reach(principal: Principal) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [Evaluation.council_id.in_(access.seats(principal))]
    if principal.has(*OFFICIAL_ROLES):
        # Only the official side of the caller oversees cases (not an applicant's ownership).
        official = dataclasses.replace(principal, roles=principal.roles & set(OFFICIAL_ROLES))
        conditions.append(access.case_reach(official))
    return or_(*conditions)


def list_evaluations(
    *,
    session: Session,
    principal: Principal,
    status: str | None,
    limit: int,
    after: uuid.UUID | None = None,
) -> tuple[list[Evaluation], uuid.UUID | None]:
    """Evaluations of the councils the caller sits on or oversees, newest first."""
    query: Select[tuple[Evaluation]] = (
        select(Evaluation)
        .join(Case, Case.dossier_id == Evaluation.dossier_id)
        .where(_evaluation_reach(principal))
    )
    if status:
        query = query.where(Evaluation.status == status)
    if after is not None:
        query = query.where(Evaluation.id < after)
    rows = list(session.execute(query.order_by(Evaluation.id.desc()).limit(limit + 1)).scalars())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


# --- finalising -----------------------------------------------------------------------------


def _no_quorum_detail(quorum: dict[str, Any]) -> str:
    detail = (
        f"No quorum: {quorum['sheets']} of {quorum['eligible']} eligible members handed in "
        f"sheets; {quorum['required']} are needed"
    )
    if quorum["chair_required"] and not quorum["chair_in"]:
        detail += ", the chair's among them"
    return detail + "."


def result_of(result: CouncilResult) -> dict[str, Any]:
    """The stored and published result: raw means (display rounds them)."""
    return {
        "parts": dict(result.part_means),
        "total": result.total_mean,
        "band": result.band,
        "marks_met_level": result.marks_met_level,
        "star_rank": result.star_rank,
        "members": result.member_count,
        "findings": [rule.text for rule in result.findings],
    }


def finalise(
    *,
    uow: UnitOfWork,
    principal: Principal,
    evaluation_id: uuid.UUID,
    expected_version: int,
    findings: Sequence[int] = (),
) -> EvaluationView:
    """The chair or secretary closes the scoring: no quorum refuses, too wide a spread reopens
    the sheets, otherwise the mean result moves the case on."""
    ctx = _load(uow.session, principal, evaluation_id, lock=True)
    if ctx.seat not in (CHAIR, SECRETARY):
        raise problems.forbidden("Only the council's chair or secretary finalises its scoring.")
    _require_open(ctx)
    check_version(ctx.evaluation.version, expected_version, "evaluation")
    standing = _standing(uow.session, ctx.evaluation, ctx.council)
    if ctx.me in standing.conflicted:
        raise problems.forbidden("You declared a conflict of interest with this dossier.")
    sheet = rubric_sheet(ctx.case)
    unknown = [i for i in findings if i >= len(sheet.rules)]
    if unknown:
        raise problems.invalid(
            {"findings": [f"Set {sheet.set_code} prints {len(sheet.rules)} rules; no {unknown}."]}
        )
    members = [MemberSheet.scored(str(s.account_id), sheet, s.answers) for s in standing.sheets]
    try:
        decision = finalisation.finalise(
            regime=regime_by_name(ctx.case.regime),
            level=ctx.evaluation.level,
            council=standing.domain_council(ctx.council),
            sheets=members,
            findings=[sheet.rules[i] for i in dict.fromkeys(findings)],
        )
    except finalisation.NoQuorum as exc:
        raise problems.transition_refused(
            _no_quorum_detail(quorum_state(standing, ctx.council))
        ) from exc
    if isinstance(decision, finalisation.Reopened):
        _reopen(uow, principal, ctx, decision)
    else:
        _close(uow, principal, ctx, decision)
    return _view(uow.session, ctx)


def _reopen(
    uow: UnitOfWork, principal: Principal, ctx: Seated, decision: finalisation.Reopened
) -> None:
    """Members' totals differ too much: the council discusses and members revise."""
    ctx.evaluation.rescore_count += 1
    uow.session.flush()
    cases.publish(
        uow,
        ctx.case,
        "evaluation.rescore_requested",
        {
            **council_facts(ctx.evaluation, ctx.council),
            "spread": decision.spread,
            "max_spread": decision.max_spread,
        },
        cases.actor_of(principal),
    )


def _close(
    uow: UnitOfWork, principal: Principal, ctx: Seated, decision: finalisation.Finalised
) -> None:
    """Record the result and move the case where the outcome sends it."""
    outcome: Outcome = decision.outcome
    result = result_of(decision.result)
    evaluation, case = ctx.evaluation, ctx.case
    evaluation.status = CLOSED
    evaluation.result = result
    evaluation.outcome = outcome.kind.value
    evaluation.star_rank = outcome.star_rank
    evaluation.closed_at = _now()
    from_level = case.level
    advance(case, _STEP_OF_OUTCOME[outcome.kind], level=outcome.level.code.value)
    case.pending_rank = outcome.recognised_rank
    uow.session.flush()
    payload = {
        **council_facts(evaluation, ctx.council),
        "star_rank": outcome.star_rank,
        "result": result,
    }
    actor = cases.actor_of(principal)
    if outcome.kind in (OutcomeKind.FORWARDED, OutcomeKind.HANDED_BACK):
        moved = {"level": from_level, "to_level": outcome.level.code.value}
        cases.publish(uow, case, f"evaluation.{outcome.kind.value}", {**payload, **moved}, actor)
    elif outcome.kind is OutcomeKind.NOT_RECOGNISED:
        cases.publish(
            uow, case, "evaluation.decided", {**payload, "outcome": "not_recognised"}, actor
        )
