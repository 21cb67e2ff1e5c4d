"""Score sheets (phiếu đánh giá): each member who declared no conflict reads the dossier and
hands in one sheet (one option per criterion, a comment), and may revise it until the council
closes; every revision keeps old and new values, and the sheet records the SHA-256 of the
document versions its author had. Sheets are sealed until the council closes.

Events: ``evaluation.sheet_submitted`` and ``evaluation.sheet_revised`` (old and new values).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.evaluation.models import (
    Case,
    CaseDocument,
    CommuneReview,
    ConflictDeclaration,
    ScoreSheet,
    ScoreSheetRevision,
)
from services.evaluation.service import cases, seats
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.ids import new_id
from shared.rubrics import answer_codes, score


@dataclass(frozen=True, slots=True)
class DossierView:
    case: Case
    commune_review: CommuneReview | None
    documents: list[CaseDocument]


def dossier(*, session: Session, principal: Principal, evaluation_id: uuid.UUID) -> DossierView:
    """The dossier as a member reads it to score: only after declaring no conflict."""
    ctx = seats.load(session, principal, evaluation_id)
    seats.require_seat(ctx)
    seats.require_clear(session, ctx)
    documents = session.execute(
        select(CaseDocument)
        .where(CaseDocument.dossier_id == ctx.case.dossier_id)
        .order_by(CaseDocument.kind, CaseDocument.document_id, CaseDocument.document_version)
    ).scalars()
    return DossierView(ctx.case, session.get(CommuneReview, ctx.case.dossier_id), list(documents))


def _scored(case: Case, answers: dict[str, str]) -> tuple[dict[str, int], int]:
    """Part points and total of a complete answer set; 422 with per-criterion errors."""
    sheet = cases.rubric_sheet(case)
    errors = answer_codes(sheet, answers, complete=True)
    if errors:
        raise Invalid(
            "sheet.mismatch",
            errors={"answers": errors},
        )
    result = score(sheet, answers)
    return dict(result.part_totals), result.total


def sheet_of(
    session: Session, evaluation_id: uuid.UUID, account_id: uuid.UUID
) -> ScoreSheet | None:
    """The sheet ``account_id`` handed in for the evaluation, if any."""
    return session.execute(
        select(ScoreSheet).where(
            ScoreSheet.evaluation_id == evaluation_id, ScoreSheet.account_id == account_id
        )
    ).scalar_one_or_none()


def own_sheet(session: Session, ctx: seats.Seated) -> ScoreSheet | None:
    return sheet_of(session, ctx.evaluation.id, ctx.me)


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
    ctx = seats.load(uow.session, principal, evaluation_id, lock=True)
    seats.require_seat(ctx)
    seats.require_open(ctx)
    seats.require_clear(uow.session, ctx)
    if own_sheet(uow.session, ctx) is not None:
        raise Conflict("sheet.already_handed_in")
    part_points, total = _scored(ctx.case, answers)
    now = seats.now()
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
        {**seats.council_facts(ctx.evaluation, ctx.council), **_sheet_event(sheet)},
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
    ctx = seats.load(uow.session, principal, evaluation_id, lock=True)
    seats.require_seat(ctx)
    seats.require_open(ctx)
    seats.require_clear(uow.session, ctx)
    sheet = own_sheet(uow.session, ctx)
    if sheet is None:
        raise NotFound("sheet.not_found")
    if sheet.revision != expected_revision:
        raise Conflict("sheet.stale", yours=expected_revision, current_revision=sheet.revision)
    part_points, total = _scored(ctx.case, answers)
    old_answers, old_total, old_comment = sheet.answers, sheet.total, sheet.comment
    now = seats.now()
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
            **seats.council_facts(ctx.evaluation, ctx.council),
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
    set_aside: bool = False  # its author has a conflict of interest on record


def _conflicted(session: Session, evaluation_id: uuid.UUID) -> set[uuid.UUID]:
    return set(
        session.execute(
            select(ConflictDeclaration.account_id).where(
                ConflictDeclaration.evaluation_id == evaluation_id,
                ConflictDeclaration.conflicted.is_(True),
            )
        ).scalars()
    )


def _with_revisions(session: Session, sheets: Iterable[ScoreSheet]) -> list[SheetView]:
    by_id = {sheet.id: sheet for sheet in sheets}
    if not by_id:
        return []
    evaluation_id = next(iter(by_id.values())).evaluation_id  # one evaluation's sheets
    conflicted = _conflicted(session, evaluation_id)
    revisions: dict[uuid.UUID, list[ScoreSheetRevision]] = {sheet_id: [] for sheet_id in by_id}
    rows = session.execute(
        select(ScoreSheetRevision)
        .where(ScoreSheetRevision.sheet_id.in_(list(by_id)))
        .order_by(ScoreSheetRevision.sheet_id, ScoreSheetRevision.revision)
    ).scalars()
    for row in rows:
        revisions[row.sheet_id].append(row)
    return [
        SheetView(sheet, revisions[sheet_id], sheet.account_id in conflicted)
        for sheet_id, sheet in by_id.items()
    ]


def my_sheet(*, session: Session, principal: Principal, evaluation_id: uuid.UUID) -> SheetView:
    """The caller's own sheet with its revisions (404 if not handed in)."""
    ctx = seats.load(session, principal, evaluation_id)
    seats.require_seat(ctx)
    sheet = own_sheet(session, ctx)
    if sheet is None:
        raise NotFound("sheet.not_found")
    return _with_revisions(session, [sheet])[0]


def all_sheets(
    *, session: Session, principal: Principal, evaluation_id: uuid.UUID
) -> list[SheetView]:
    """Every member's sheet, once the council has closed (sealed before that, to everyone)."""
    ctx = seats.load(session, principal, evaluation_id)
    if ctx.seat is not None:
        seats.require_clear(session, ctx)
    if ctx.evaluation.status != seats.CLOSED:
        raise Forbidden("sheet.sealed")
    sheets = session.execute(
        select(ScoreSheet)
        .where(ScoreSheet.evaluation_id == ctx.evaluation.id)
        .order_by(ScoreSheet.submitted_at, ScoreSheet.id)
    ).scalars()
    return _with_revisions(session, sheets)
