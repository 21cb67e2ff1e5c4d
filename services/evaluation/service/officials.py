"""The officials a secretariat may seat on councils: the evaluation service's read model of
officials (fed by ``account.*`` events), within the caller's jurisdiction.

A unit's reach is its whole subtree: a district secretariat sees the officials of its district
and of its communes, a province's sees its districts' and communes' too, a national one (or an
admin without a unit) sees everyone. Deactivated officials are never listed.

The list is in Vietnamese alphabetical order and searched without regard to tones, letter marks
or case ("nguyen van an" finds "Nguyễn Văn An", "d" finds "Đ"): each official row keeps its
name's sort key and the folded text searched (shared.names), written by
``official_index.describe`` wherever an official is written, so that a province's thousands of
officials are ordered and paged by an index.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, false, or_, select, true
from sqlalchemy.orm import Session

from services.evaluation.models import Official
from services.evaluation.service.councils import enclosed_units
from shared.auth import Principal, UnitRef
from shared.errors import Forbidden, Invalid
from shared.names import fold
from shared.units import CURRENT_TREE, LEGACY_TREE, iter_current_units, iter_legacy_units, subtree

# Who lists officials: those who seat them on councils; a commune officer lists the officers of
# its own commune, to hand a dossier to one of them (ADR 0009).
LISTERS = ("secretariat", "admin")
COLLEAGUES = "commune_officer"
MAX_LIMIT = 200


@functools.cache
def _subtree(tree: str, level: str, code: str) -> tuple[str, ...]:
    """``tree:level:code`` of the unit and every unit below it (the unit alone if unknown)."""
    own = (f"{tree}:{level}:{code}",)
    if tree == LEGACY_TREE:
        rows: Iterable[Any] = iter_legacy_units()
    elif tree == CURRENT_TREE:
        rows = iter_current_units()
    else:
        return own
    try:
        return tuple(f"{r.tree}:{r.level}:{r.code}" for r in subtree(rows, level, code))
    except (LookupError, ValueError):
        return own


def reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Official``: those whose unit lies in the caller's jurisdiction."""
    unit: UnitRef | None = principal.unit
    if unit is None:
        return true() if principal.has("admin") else false()
    if enclosed_units(unit) is None:  # national
        return true()
    return Official.unit.in_(_subtree(unit.tree, unit.level, unit.code))


def list_(
    *,
    session: Session,
    principal: Principal,
    role: str | None = None,
    q: str | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> tuple[list[Official], uuid.UUID | None]:
    """A page of the active officials in reach, by name; returns the cursor of the next page."""
    if principal.has(*LISTERS):
        in_reach = reach(principal)
    elif principal.has(COLLEAGUES) and principal.unit is not None:
        in_reach = Official.unit == str(principal.unit)
        role = COLLEAGUES
    else:
        raise Forbidden("official.secretariat_only")
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(Official).where(Official.active.is_(True), in_reach)
    if role:
        # roles is a JSON list of names from a fixed vocabulary; the quotes delimit one name.
        query = query.where(Official.roles.cast(Text).contains(f'"{role}"', autoescape=True))
    # Every word asked for begins a word of the name, email or unit (in any order).
    for word in fold(q or "").split():
        query = query.where(Official.search_text.contains(f" {word}", autoescape=True))
    if after is not None:
        # Only a cursor in reach: an id elsewhere answers like one that does not exist.
        last = session.execute(
            select(Official).where(Official.account_id == after, in_reach)
        ).scalar_one_or_none()
        if last is None:
            raise Invalid(errors={"after": "page.unknown_cursor"})
        query = query.where(
            or_(
                Official.name_key > last.name_key,
                and_(Official.name_key == last.name_key, Official.account_id > after),
            )
        )
    rows = list(
        session.execute(
            query.order_by(Official.name_key, Official.account_id).limit(limit + 1)
        ).scalars()
    )
    next_cursor = rows[limit - 1].account_id if len(rows) > limit else None
    return rows[:limit], next_cursor
