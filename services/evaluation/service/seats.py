"""An evaluation and the caller's place in it: the checks every act on an evaluation shares.

Who may do what (outside reach an evaluation answers 404, the same as a missing one):

* an evaluation is reached by the people on its case (ADR 0009): the members of its council,
  the secretariat and authority of the levels the case reached, auditors of the jurisdiction;
  a member with a conflict on the case no longer reaches it;
* members of the council declare conflicts of interest, once each; the secretariat of the
  level or the chair may record one it finds (``conflicts``); a member reads the dossier and
  scores only after declaring no conflict; a conflicted member can neither, and the quorum is
  counted without them. Every seat (chair, secretary, member) scores;
* members never see each other's sheets before the council closes; the chair and the secretary
  see the current totals, without whose they are, to judge the spread;
* the chair or the secretary finalises. The council's current seats count at that moment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.evaluation.models import Case, ConflictDeclaration, Council, Evaluation
from services.evaluation.service import access, cases
from shared.auth import Principal
from shared.errors import Forbidden, NotFound, Refused

OPEN = "open"
CLOSED = "closed"
CHAIR, SECRETARY = "chair", "secretary"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Seated:
    """An evaluation as the caller meets it: its case, its council and the caller's seat."""

    evaluation: Evaluation
    case: Case
    council: Council
    me: uuid.UUID
    seat: str | None  # chair, secretary or member; None for an official who only oversees


def load(
    session: Session, principal: Principal, evaluation_id: uuid.UUID, *, lock: bool = False
) -> Seated:
    """The evaluation if the caller sits on its council or oversees its case (404 otherwise).

    Writers lock the evaluation row, which serialises declarations, sheets and finalising of
    one evaluation (on SQLite the writing transaction's lock already does).
    """
    query = select(Evaluation).where(Evaluation.id == evaluation_id)
    evaluation = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if evaluation is None:
        raise NotFound("evaluation.not_found")
    me = access.me(principal)
    council = session.get(Council, evaluation.council_id)
    case = session.get(Case, evaluation.dossier_id)
    assert council is not None and case is not None  # foreign keys
    seat = next((s.role for s in council.members if s.account_id == me), None)
    # Seated members, the secretariat and authority of its levels, auditors (ADR 0009); a
    # member with a conflict on the case is no longer on it. Officials only: the applicant
    # reads its case, never the council's evaluation or sheets.
    in_reach = select(Case.dossier_id).where(
        Case.dossier_id == case.dossier_id, access.official_reach(principal)
    )
    if session.execute(in_reach).first() is None:
        raise NotFound("evaluation.not_found")
    return Seated(evaluation, case, council, me, seat)


def require_seat(ctx: Seated) -> None:
    if ctx.seat is None:
        raise Forbidden("evaluation.not_member")


def require_open(ctx: Seated) -> None:
    if ctx.evaluation.status != OPEN:
        raise Refused("evaluation.closed")
    if ctx.case.stage != cases.IN_EVALUATION:
        raise Refused("evaluation.scoring_stopped", stage=ctx.case.stage)


def declaration(
    session: Session, evaluation_id: uuid.UUID, account_id: uuid.UUID
) -> ConflictDeclaration | None:
    return session.execute(
        select(ConflictDeclaration).where(
            ConflictDeclaration.evaluation_id == evaluation_id,
            ConflictDeclaration.account_id == account_id,
        )
    ).scalar_one_or_none()


def require_clear(session: Session, ctx: Seated) -> None:
    """A member must have declared no conflict of interest before reading or scoring."""
    found = declaration(session, ctx.evaluation.id, ctx.me)
    if found is None:
        raise Forbidden("evaluation.declare_first")
    if found.conflicted:
        if found.recorded_by is None:
            raise Forbidden("evaluation.conflict_declared")
        raise Forbidden("evaluation.conflict_recorded")


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
