"""Evaluation rounds (đợt đánh giá, Decision 26/2026 Art. 5): the calendar of a level and unit.

A round takes proposals until ``proposals_due`` and closes on ``closes_on``. The level's
secretariat schedules rounds, or lays down the 26/2026 default calendar for a year (two rounds
at the province, two at the ministry); extra rounds are allowed. Rounds are published
calendars, so every signed-in caller may read them.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.evaluation.domain import rounds as round_rules
from services.evaluation.domain.regime import LevelCode
from services.evaluation.models import Round
from services.evaluation.service import councils as council_service
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid, NotFound


def _check_role(principal: Principal) -> None:
    if not principal.has("secretariat", "admin"):
        raise Forbidden("round.secretariat_only")


def _check_manager(principal: Principal, unit: str) -> None:
    if not council_service.may_manage(principal, unit):
        raise Forbidden("round.other_unit")


def _lock_calendar(session: Session, level: str, unit: str) -> None:
    """Serialise calendar changes of one level and unit, so no round is created twice.

    SQLite's writing transactions already hold the database's write lock; PostgreSQL takes a
    transaction-scoped advisory lock named after the calendar.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"rounds:{level}:{unit}".encode(), digest_size=8).digest()
    session.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest, "big", signed=True))))


def _existing(
    session: Session, level: str, unit: str, proposals_due: date, closes_on: date
) -> Round | None:
    return session.execute(
        select(Round).where(
            Round.level == level,
            Round.unit == unit,
            Round.proposals_due == proposals_due,
            Round.closes_on == closes_on,
        )
    ).scalar_one_or_none()


def create(*, uow: UnitOfWork, principal: Principal, regime: str, data: dict[str, Any]) -> Round:
    """The level's secretariat schedules a round (an extra one, or a calendar of its own)."""
    _check_role(principal)
    unit = council_service.check_level_unit(regime, data["level"], data["unit"])
    _check_manager(principal, unit)
    try:
        round_rules.Round(LevelCode(data["level"]), data["closes_on"], data["proposals_due"])
    except ValueError as exc:
        raise Invalid(errors={"proposals_due": "round.proposals_after_close"}) from exc
    _lock_calendar(uow.session, data["level"], unit)
    if _existing(uow.session, data["level"], unit, data["proposals_due"], data["closes_on"]):
        raise Conflict("round.already_scheduled")
    round_ = Round(
        level=data["level"],
        unit=unit,
        name=data["name"],
        proposals_due=data["proposals_due"],
        closes_on=data["closes_on"],
    )
    uow.session.add(round_)
    uow.session.flush()
    return round_


def ensure_defaults(
    *, uow: UnitOfWork, principal: Principal, regime: str, level: str, unit: str, year: int
) -> tuple[list[Round], int]:
    """Lay down the 26/2026 default rounds of ``year``; rounds already scheduled on the same
    dates are kept, not duplicated. Returns the year's default rounds and how many are new."""
    _check_role(principal)
    ref = council_service.check_level_unit(regime, level, unit)
    _check_manager(principal, ref)
    try:
        defaults = round_rules.default_rounds(level, year)
    except ValueError as exc:
        raise Invalid(errors={"level": ("round.no_defaults", {"level": level})}) from exc
    _lock_calendar(uow.session, level, ref)
    rounds: list[Round] = []
    created = 0
    for number, default in enumerate(defaults, start=1):
        round_ = _existing(uow.session, level, ref, default.proposals_due, default.closes_on)
        if round_ is None:
            # Names are language-neutral ("2027-1"); clients render them with the dates.
            round_ = Round(
                level=level,
                unit=ref,
                name=f"{year}-{number}",
                proposals_due=default.proposals_due,
                closes_on=default.closes_on,
            )
            uow.session.add(round_)
            created += 1
        rounds.append(round_)
    uow.session.flush()
    return rounds, created


def get(*, session: Session, principal: Principal, round_id: uuid.UUID) -> Round:
    """A round (404 if there is none); every signed-in ``principal`` reads the calendar."""
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound("round.not_found")
    return round_


def list_(
    *,
    session: Session,
    principal: Principal,
    level: str | None = None,
    unit: str | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> tuple[list[Round], uuid.UUID | None]:
    """A page of the rounds in date order (closing, then proposals due, then id), optionally
    of one level and unit, and the cursor of the next page (None on the last): the id of the
    page's last round. A cursor that names no round answers 422."""
    query = select(Round)
    if level:
        query = query.where(Round.level == level)
    if unit:
        query = query.where(Round.unit == unit)
    if after is not None:
        last = session.get(Round, after)
        if last is None:
            raise Invalid(errors={"after": "page.unknown_cursor"})
        query = query.where(
            or_(
                Round.closes_on > last.closes_on,
                and_(
                    Round.closes_on == last.closes_on,
                    or_(
                        Round.proposals_due > last.proposals_due,
                        and_(Round.proposals_due == last.proposals_due, Round.id > last.id),
                    ),
                ),
            )
        )
    order = (Round.closes_on, Round.proposals_due, Round.id)
    rows = list(session.execute(query.order_by(*order).limit(limit + 1)).scalars())
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def current_for(session: Session, level: str, unit: str, on_date: date) -> Round | None:
    """The round a proposal made on ``on_date`` goes to: the first at that level and unit whose
    proposals are still due (``None`` if none is scheduled)."""
    return session.execute(
        select(Round)
        .where(Round.level == level, Round.unit == unit, Round.proposals_due >= on_date)
        .order_by(Round.proposals_due, Round.closes_on)
        .limit(1)
    ).scalar_one_or_none()
