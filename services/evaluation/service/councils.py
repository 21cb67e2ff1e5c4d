"""Councils (hội đồng đánh giá, phân hạng): one per level and administrative unit, its seats
(chair, secretary, members) and its rules (quorum, maximum spread between members' totals).

A council is formed by the secretariat of the unit it serves; membership changes are events.
Who reaches a council: the secretariat, decision authority and auditors of a unit enclosing
the council's unit, admins (within their unit, or everywhere without one), and the officials
sitting on it. Outside that reach a council answers 404.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session

from services.evaluation.domain.council_rules import CouncilRules
from services.evaluation.domain.regime import LevelCode, regime_by_name
from services.evaluation.models import Council, CouncilMember, Official
from services.evaluation.service import access, cases
from shared.auth import Principal, UnitRef
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.events import new_event

# The administrative trees are reference data the registration service loads into its tables;
# here only their shape is needed (which province a district belongs to, which units exist),
# read from the same pure-data module, never from registration's database.
from shared.units import (
    CURRENT_TREE,
    LEGACY_TREE,
    iter_current_units,
    iter_legacy_units,
)

SEAT_ROLES = ("chair", "secretary", "member")
# Seats a council holds at most one of at a time.
SINGLE_SEATS = frozenset({"chair", "secretary"})
# Officials who oversee the councils of their jurisdiction without sitting on them.
OVERSEERS = ("secretariat", "decision_authority", "auditor", "admin")

# The unit level that serves each scoring level: a district council serves a district, a
# province council a province, the national council (trung ương, in both regimes) the whole
# country.
UNIT_LEVEL = {
    LevelCode.DISTRICT: "district",
    LevelCode.PROVINCE: "province",
    LevelCode.NATIONAL: "national",
}


# --- units and jurisdiction --------------------------------------------------------------


@functools.cache
def _units(tree: str) -> frozenset[tuple[str, str]]:
    """(level, code) of the provinces and districts of ``tree`` (the units councils serve)."""
    if tree == LEGACY_TREE:
        rows: Iterable[Any] = iter_legacy_units()
    elif tree == CURRENT_TREE:
        rows = iter_current_units()
    else:
        return frozenset()
    return frozenset((r.level, r.code) for r in rows if r.level in ("province", "district"))


@functools.cache
def _districts_by_province() -> dict[str, tuple[str, ...]]:
    """District codes of each province in the pre-2025 tree (the only tree with districts)."""
    grouped: dict[str, list[str]] = {}
    for row in iter_legacy_units():
        if row.level == "district" and row.parent_code:
            grouped.setdefault(row.parent_code, []).append(row.code)
    return {province: tuple(codes) for province, codes in grouped.items()}


def enclosed_units(unit: UnitRef) -> list[str] | None:
    """The council units (``tree:level:code``) inside jurisdiction ``unit``; ``None``: all."""
    if unit.level == "national":
        return None
    if unit.level == "district":
        return [str(unit)]
    if unit.level == "province":
        districts = _districts_by_province().get(unit.code, ()) if unit.tree == LEGACY_TREE else ()
        return [str(unit), *(f"{unit.tree}:district:{code}" for code in districts)]
    return []  # a commune encloses no council's unit


def encloses(jurisdiction: UnitRef | None, unit: str) -> bool:
    """Whether ``jurisdiction`` contains the council unit ``unit`` (itself included)."""
    if jurisdiction is None:
        return False
    units = enclosed_units(jurisdiction)
    return units is None or unit in units


def may_manage(principal: Principal, unit: str) -> bool:
    """Whether the caller forms councils and schedules rounds for ``unit``.

    The secretariat of that very unit does (a province secretariat does not run a district's
    councils); an admin does within its jurisdiction, everywhere when it has none.
    """
    if principal.has("secretariat") and principal.unit is not None and str(principal.unit) == unit:
        return True
    if principal.has("admin"):
        return principal.unit is None or encloses(principal.unit, unit)
    return False


def check_level_unit(regime_name: str, level: str, unit: str) -> str:
    """The canonical reference of ``unit`` when ``level`` scores in the regime and ``unit`` is
    a unit of that level; 422 otherwise."""
    regime = regime_by_name(regime_name)
    scoring = [lvl.code.value for lvl in regime.scoring_levels]
    if level not in scoring:
        raise Invalid(errors={"level": ("level.not_scoring", {"levels": scoring})})
    try:
        ref = UnitRef.parse(unit)
    except ValueError as exc:
        raise Invalid(errors={"unit": "unit.malformed"}) from exc
    expected = UNIT_LEVEL[LevelCode(level)]
    if ref.level != expected:
        raise Invalid(errors={"unit": ("unit.wrong_level", {"level": expected})})
    if ref.level != "national" and (ref.level, ref.code) not in _units(ref.tree):
        raise Invalid(errors={"unit": ("unit.unknown", {"unit": unit})})
    return str(ref)


def reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Council``: the councils ``principal`` may read."""
    conditions: list[ColumnElement[bool]] = [Council.id.in_(access.seats(principal))]
    if principal.has(*OVERSEERS):
        unit = principal.unit
        if unit is None:
            conditions.append(true() if principal.has("admin") else false())
        else:
            units = enclosed_units(unit)
            conditions.append(true() if units is None else Council.unit.in_(units))
    return or_(*conditions)


# --- councils ------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _rules(data: dict[str, Any]) -> CouncilRules:
    defaults = CouncilRules()
    try:
        return CouncilRules(
            quorum_numerator=data.get("quorum_numerator", defaults.quorum_numerator),
            quorum_denominator=data.get("quorum_denominator", defaults.quorum_denominator),
            chair_required=data.get("chair_required", defaults.chair_required),
            max_spread=data.get("max_spread", defaults.max_spread),
        )
    except ValueError as exc:
        if "quorum" in str(exc):
            raise Invalid(errors={"quorum_numerator": "council.quorum_fraction"}) from exc
        raise Invalid(errors={"max_spread": "council.negative_spread"}) from exc


def create(*, uow: UnitOfWork, principal: Principal, regime: str, data: dict[str, Any]) -> Council:
    """The secretariat of a unit forms a council of its level (defaults: quorum 3/4 with the
    chair, spread 10 points)."""
    if not principal.has("secretariat", "admin"):
        raise Forbidden("council.secretariat_only")
    unit = check_level_unit(regime, data["level"], data["unit"])
    if not may_manage(principal, unit):
        raise Forbidden("council.other_unit")
    rules = _rules(data)
    council = Council(
        name=data["name"],
        level=data["level"],
        unit=unit,
        quorum_numerator=rules.quorum_numerator,
        quorum_denominator=rules.quorum_denominator,
        chair_required=rules.chair_required,
        max_spread=rules.max_spread,
        created_at=_now(),
    )
    uow.session.add(council)
    uow.session.flush()
    return council


def get(*, session: Session, principal: Principal, council_id: uuid.UUID) -> Council:
    """A council within the caller's reach (404 otherwise)."""
    council = session.execute(
        select(Council).where(Council.id == council_id, reach(principal))
    ).scalar_one_or_none()
    if council is None:
        raise NotFound("council.not_found")
    return council


def list_(
    *,
    session: Session,
    principal: Principal,
    level: str | None = None,
    unit: str | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> tuple[list[Council], uuid.UUID | None]:
    """A page of the councils in the caller's reach, oldest first, optionally of one level or
    unit, and the cursor of the next page (None on the last): the id of the page's last one."""
    query = select(Council).where(reach(principal))
    if level:
        query = query.where(Council.level == level)
    if unit:
        query = query.where(Council.unit == unit)
    if after is not None:
        query = query.where(Council.id > after)
    rows = list(session.execute(query.order_by(Council.id).limit(limit + 1)).scalars())
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def rules_of(council: Council) -> CouncilRules:
    """The council's quorum and spread rules as the domain layer takes them."""
    return CouncilRules(
        quorum_numerator=council.quorum_numerator,
        quorum_denominator=council.quorum_denominator,
        chair_required=council.chair_required,
        max_spread=council.max_spread,
    )


def active_members(session: Session, council_id: uuid.UUID) -> list[CouncilMember]:
    """The seats currently held on the council, in the order they were taken."""
    return list(
        session.execute(
            select(CouncilMember)
            .where(CouncilMember.council_id == council_id, CouncilMember.removed_at.is_(None))
            .order_by(CouncilMember.id)
        ).scalars()
    )


def role_of(session: Session, council_id: uuid.UUID, account_id: uuid.UUID | str) -> str | None:
    """The seat ``account_id`` currently holds on the council (chair, secretary, member)."""
    return session.execute(
        select(CouncilMember.role).where(
            CouncilMember.council_id == council_id,
            CouncilMember.account_id == uuid.UUID(str(account_id)),
            CouncilMember.removed_at.is_(None),
        )
    ).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class Seat:
    """A seat as shown to clients: who, in which role, since and until when."""

    account_id: uuid.UUID
    role: str
    display_name: str | None
    added_at: datetime
    removed_at: datetime | None
    id: int  # the seat's own: one official may hold several in a council's history

    @classmethod
    def of(cls, seat: CouncilMember, display_name: str | None) -> Seat:
        return cls(
            seat.account_id, seat.role, display_name, seat.added_at, seat.removed_at, seat.id
        )


def roster(
    session: Session, council_ids: Iterable[uuid.UUID], *, include_removed: bool = False
) -> dict[uuid.UUID, list[Seat]]:
    """The seats of several councils (chair, secretary, then members), in one query."""
    ids = list(council_ids)
    result: dict[uuid.UUID, list[Seat]] = {council_id: [] for council_id in ids}
    if not ids:
        return result
    query = (
        select(CouncilMember, Official.display_name)
        .outerjoin(Official, Official.account_id == CouncilMember.account_id)
        .where(CouncilMember.council_id.in_(ids))
        .order_by(CouncilMember.id)
    )
    if not include_removed:
        query = query.where(CouncilMember.removed_at.is_(None))
    for seat, name in session.execute(query).all():
        result[seat.council_id].append(Seat.of(seat, name))
    for seats in result.values():
        seats.sort(key=lambda s: (s.removed_at is not None, SEAT_ROLES.index(s.role)))
    return result


def _managed(uow: UnitOfWork, principal: Principal, council_id: uuid.UUID) -> Council:
    """The council, locked against concurrent seat changes, if the caller manages it."""
    council = uow.session.execute(
        select(Council).where(Council.id == council_id, reach(principal)).with_for_update()
    ).scalar_one_or_none()
    if council is None:
        raise NotFound("council.not_found")
    if not may_manage(principal, council.unit):
        raise Forbidden("council.other_unit")
    return council


def _announce(
    uow: UnitOfWork, principal: Principal, council: Council, seat: CouncilMember, type_: str
) -> None:
    uow.add_event(
        new_event(
            type_,
            {
                "council_id": council.id,
                "council_name": council.name,
                "level": council.level,
                "unit": council.unit,
                "account_id": seat.account_id,
                "role": seat.role,
            },
            producer="evaluation",
            actor=cases.actor_of(principal),
        )
    )


def add_member(
    *,
    uow: UnitOfWork,
    principal: Principal,
    council_id: uuid.UUID,
    account_id: uuid.UUID,
    role: str,
) -> Seat:
    """Seat an official on the council: one chair and one secretary at a time, each account
    once."""
    council = _managed(uow, principal, council_id)
    official = uow.session.get(Official, account_id)
    if official is None:
        raise Invalid(errors={"account_id": "council.not_an_official"})
    if not official.active:
        raise Invalid(errors={"account_id": "council.official_deactivated"})
    seats = active_members(uow.session, council.id)
    if any(s.account_id == account_id for s in seats):
        raise Conflict("council.already_seated")
    if role in SINGLE_SEATS and any(s.role == role for s in seats):
        raise Conflict("council.seat_taken", seat=role)
    seat = CouncilMember(council_id=council.id, account_id=account_id, role=role, added_at=_now())
    uow.session.add(seat)
    uow.session.flush()
    _announce(uow, principal, council, seat, "council.member_added")
    return Seat.of(seat, official.display_name)


def remove_member(
    *, uow: UnitOfWork, principal: Principal, council_id: uuid.UUID, account_id: uuid.UUID
) -> Seat:
    """An official leaves the council; the seat is closed, not deleted (history)."""
    council = _managed(uow, principal, council_id)
    seats = active_members(uow.session, council.id)
    seat = next((s for s in seats if s.account_id == account_id), None)
    if seat is None:
        raise NotFound("council.member_not_found")
    seat.removed_at = _now()
    uow.session.flush()
    _announce(uow, principal, council, seat, "council.member_removed")
    official = uow.session.get(Official, account_id)
    return Seat.of(seat, official.display_name if official else None)
