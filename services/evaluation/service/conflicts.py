"""Conflicts of interest (no national rule: docs/domain.md#councils): a member declares, once,
whether they have a tie to the applicant (same cooperative, family, business, prior
consultancy) before opening the dossier; the secretariat of the evaluation's level or the
council's chair may record a tie it finds for a member, with a reason.

Either way the effects are the same: the member can neither read nor score the dossier, and
the quorum counts without them. A sheet the member handed in before the finding is kept (the
case file has it) but set aside: it counts for neither quorum, spread nor result, and it is
listed after closing with ``set_aside``. Each declaration or finding emits
``evaluation.conflict_declared``; a finding says who recorded it (``recorded_by``) and whether
it set a sheet aside.
"""

from __future__ import annotations

import uuid

from services.evaluation.models import ConflictDeclaration
from services.evaluation.service import assignment, cases, seats, sheets
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid


def _publish(
    uow: UnitOfWork,
    principal: Principal,
    ctx: seats.Seated,
    declaration: ConflictDeclaration,
    *,
    sheet_set_aside: bool = False,
) -> None:
    cases.publish(
        uow,
        ctx.case,
        "evaluation.conflict_declared",
        {
            **seats.council_facts(ctx.evaluation, ctx.council),
            "account_id": declaration.account_id,
            "conflicted": declaration.conflicted,
            "reason": declaration.reason,
            "recorded_by": declaration.recorded_by,
            "sheet_set_aside": sheet_set_aside,
        },
        cases.actor_of(principal),
    )


def declare_conflict(
    *,
    uow: UnitOfWork,
    principal: Principal,
    evaluation_id: uuid.UUID,
    conflicted: bool,
    reason: str | None,
) -> ConflictDeclaration:
    """A council member declares, once, whether they have a tie to the applicant."""
    ctx = seats.load(uow.session, principal, evaluation_id, lock=True)
    seats.require_seat(ctx)
    seats.require_open(ctx)
    existing = seats.declaration(uow.session, ctx.evaluation.id, ctx.me)
    if existing is not None and existing.recorded_by is not None:
        raise Conflict("conflict_declaration.recorded_for_you")
    if existing is not None:
        raise Conflict("conflict_declaration.already_made")
    declaration = ConflictDeclaration(
        evaluation_id=ctx.evaluation.id,
        account_id=ctx.me,
        conflicted=conflicted,
        reason=reason,
        declared_at=seats.now(),
    )
    uow.session.add(declaration)
    uow.session.flush()
    _publish(uow, principal, ctx, declaration)
    return declaration


def _may_record(uow: UnitOfWork, principal: Principal, ctx: seats.Seated) -> bool:
    if assignment.is_level_secretariat(principal, ctx.case, ctx.evaluation.level):
        return True
    if ctx.seat != seats.CHAIR:
        return False
    own = seats.declaration(uow.session, ctx.evaluation.id, ctx.me)
    return own is None or not own.conflicted  # a conflicted chair acts on nothing of the case


def record_conflict(
    *,
    uow: UnitOfWork,
    principal: Principal,
    evaluation_id: uuid.UUID,
    account_id: uuid.UUID,
    reason: str,
) -> ConflictDeclaration:
    """The secretariat of the level, or the chair, records a conflict it found for a member."""
    ctx = seats.load(uow.session, principal, evaluation_id, lock=True)
    if not _may_record(uow, principal, ctx):
        raise Forbidden("conflict_finding.not_allowed")
    seats.require_open(ctx)
    if account_id == ctx.me:
        raise Invalid(errors={"account_id": "conflict_finding.own_conflict"})
    if not any(seat.account_id == account_id for seat in ctx.council.members):
        raise Invalid(errors={"account_id": "conflict_finding.not_a_member"})
    declaration = seats.declaration(uow.session, ctx.evaluation.id, account_id)
    if declaration is not None and declaration.conflicted:
        raise Conflict("conflict_finding.already_recorded")
    if declaration is None:  # the member has not declared yet: the finding stands for it
        declaration = ConflictDeclaration(evaluation_id=ctx.evaluation.id, account_id=account_id)
        uow.session.add(declaration)
    # A member's earlier "no conflict" is overruled; the case file keeps it (its own event).
    declaration.conflicted = True
    declaration.reason = reason
    declaration.recorded_by = ctx.me
    declaration.declared_at = seats.now()
    uow.session.flush()
    sheet = sheets.sheet_of(uow.session, ctx.evaluation.id, account_id)
    _publish(uow, principal, ctx, declaration, sheet_set_aside=sheet is not None)
    return declaration
