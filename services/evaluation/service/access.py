"""Who may see or act on which case, council and evaluation (the one place for it).

Officials reach the cases in their jurisdiction's subtree (the whole country for national
ones); a council's members reach the evaluations of their council; applicants reach their own
cases. Outside reach an object answers 404.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from services.evaluation.models import Case, CouncilMember
from shared.auth import OFFICIAL_ROLES, Principal, UnitRef
from shared.jurisdiction import UnitColumns, contains, within


def me(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.account_id)


CASE_UNIT = UnitColumns(Case.unit_tree, Case.province_code, Case.district_code, Case.commune_code)


def unit_contains(unit: UnitRef | None, case: Case) -> bool:
    """Whether an official's unit contains the case's commune."""
    return contains(unit, case)


def case_reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Case``: the cases ``principal`` may read."""
    conditions: list[ColumnElement[bool]] = []
    if principal.has("applicant"):
        conditions.append(Case.owner_account_id == me(principal))
    # Consultants follow their clients' cases through the registration service (the public
    # status); the evaluation service shows them nothing of the councils' work.
    if principal.has(*OFFICIAL_ROLES):
        if principal.unit is None and principal.has("admin"):
            conditions.append(true())
        else:
            conditions.append(within(principal.unit, CASE_UNIT))
    return or_(*conditions) if conditions else false()


def seats(principal: Principal) -> Select[tuple[uuid.UUID]]:
    """The councils the caller currently sits on (as a subquery of council ids)."""
    return select(CouncilMember.council_id).where(
        CouncilMember.account_id == me(principal), CouncilMember.removed_at.is_(None)
    )
