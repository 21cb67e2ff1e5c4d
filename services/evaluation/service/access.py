"""Who may see or act on which case, council and evaluation (the one place for it).

The people on a case (ADR 0009): applicants reach their own cases; officials the cases they are
on (shared.participants: the commune officer handling it, the secretariats, councils and
authorities of the levels it reached), less a case on which they have a conflict; auditors
read what lies in their jurisdiction; an admin without a unit everything; the officials of a 2025
unit also read the pre-2025 cases of the communes merged into it (shared.unit_map). Outside reach an
object answers 404. Statistics count over the jurisdiction (``jurisdiction_reach``): they show
figures, never a case.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from services.evaluation.models import Case, CouncilMember, participant_tables, unit_successors
from shared import participants
from shared.auth import OFFICIAL_ROLES, Principal, UnitRef
from shared.jurisdiction import UnitColumns, carried_over, contains, within


def me(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.account_id)


# With the merger's map: a 2025 unit holds the pre-2025 cases of the communes merged into it.
CASE_UNIT = UnitColumns(
    Case.unit_tree, Case.province_code, Case.district_code, Case.commune_code, unit_successors
)


def unit_contains(unit: UnitRef | None, case: Case) -> bool:
    """Whether an official's unit contains the case's commune."""
    return contains(unit, case)


def seats(principal: Principal) -> Select[uuid.UUID]:
    """The councils the caller currently sits on (as a subquery of council ids)."""
    return select(CouncilMember.council_id).where(
        CouncilMember.account_id == me(principal), CouncilMember.removed_at.is_(None)
    )


def case_reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Case``: the cases ``principal`` may read."""
    conditions: list[ColumnElement[bool]] = []
    if principal.has("applicant"):
        conditions.append(Case.owner_account_id == me(principal))
    # Consultants follow their clients' cases through the registration service (the public
    # status); the evaluation service shows them nothing of the councils' work.
    if principal.has(*OFFICIAL_ROLES):
        conditions.append(official_reach(principal))
    return or_(*conditions) if conditions else false()


def official_reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Case``: the cases ``principal`` reaches as an official (on the case,
    an auditor of its jurisdiction, an admin without a unit); the councils' work (evaluations,
    sheets) is reached this way only, never as the applicant."""
    if not principal.has(*OFFICIAL_ROLES):
        return false()
    if principal.unit is None and principal.has("admin"):
        return true()
    conditions = [on_case(principal)]
    if principal.has("auditor"):
        conditions.append(within(principal.unit, CASE_UNIT))
    # Nobody holds the offices of the old map: a 2025 unit's officials read the pre-2025 cases
    # of the communes merged into it (shared.unit_map).
    conditions.append(carried_over(principal.unit, CASE_UNIT))
    return or_(*conditions)


def on_case(
    principal: Principal,
    *,
    kinds: Iterable[participants.Kind] | None = None,
    current: bool = False,
) -> ColumnElement[bool]:
    """A SQL condition on ``Case``: the caller is an official on it (of ``kinds``, acting now
    when ``current``)."""
    return participants.reach(
        participant_tables,
        principal,
        Case.dossier_id,
        seats=seats(principal),
        kinds=kinds,
        current=current,
    )


def standing(session: Session, principal: Principal, case: Case) -> participants.Standing:
    """How the caller is on ``case`` (for a check before an act)."""
    return participants.standing(
        session, participant_tables, principal, case.dossier_id, seats=seats(principal)
    )


def jurisdiction_reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Case`` for counting: the applicant's own, an official's
    jurisdiction (figures only, never a case's content)."""
    conditions: list[ColumnElement[bool]] = []
    if principal.has("applicant"):
        conditions.append(Case.owner_account_id == me(principal))
    if principal.has(*OFFICIAL_ROLES):
        if principal.unit is None and principal.has("admin"):
            conditions.append(true())
        else:
            conditions.append(within(principal.unit, CASE_UNIT))
    return or_(*conditions) if conditions else false()
