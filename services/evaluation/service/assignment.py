"""Assignment: the secretariat of the case's current level and unit gives the case to one of
its councils (with a chair) and an evaluation round (đợt đánh giá), which opens an evaluation
and emits ``evaluation.opened``."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from services.evaluation.domain.regime import LevelCode
from services.evaluation.domain.stages import TAKERS, Step
from services.evaluation.models import Case, Council, Evaluation, Round
from services.evaluation.service import cases, seats
from services.evaluation.service import councils as council_service
from services.evaluation.service import rounds as round_service
from shared.auth import Principal
from shared.calendar import local_date
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid
from shared.ids import new_id


def _today() -> date:
    return local_date(seats.now())


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


def is_level_secretariat(principal: Principal, case: Case, level: str) -> bool:
    """Whether the caller is the secretariat of ``level`` for the unit that holds the case."""
    return (
        principal.has("secretariat")
        and principal.unit is not None
        and str(principal.unit) == level_unit(case, level)
    )


def _council_for(session: Session, case: Case, council_id: uuid.UUID) -> Council:
    unit = level_unit(case, case.level)
    council = session.get(Council, council_id)
    if council is None or council.level != case.level or council.unit != unit:
        raise Invalid(errors={"council_id": ("assignment.no_such_council", {"level": case.level})})
    if not any(seat.role == seats.CHAIR for seat in council.members):
        raise Invalid(errors={"council_id": "assignment.council_without_chair"})
    return council


def _round_for(session: Session, case: Case, round_id: uuid.UUID | None) -> Round | None:
    """The named round (of this level and unit, not yet closed), or the one that takes a
    proposal today under the level's calendar (none if the calendar has none)."""
    unit = level_unit(case, case.level)
    if round_id is None:
        return round_service.current_for(session, case.level, unit, _today())
    round_ = session.get(Round, round_id)
    if round_ is None or round_.level != case.level or round_.unit != unit:
        raise Invalid(errors={"round_id": ("assignment.no_such_round", {"level": case.level})})
    if round_.closes_on < _today():
        raise Invalid(errors={"round_id": ("assignment.round_closed", {"day": round_.closes_on})})
    return round_


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
    cases.check_role(TAKERS[Step.ASSIGN], principal.roles)
    cases.check_step(case, Step.ASSIGN)
    if not is_level_secretariat(principal, case, case.level):
        unit = level_unit(case, case.level)
        raise Forbidden("assignment.other_secretariat", level=case.level, unit=unit)
    cases.check_version(case.version, expected_version, "case.stale")
    council = _council_for(uow.session, case, council_id)
    round_ = _round_for(uow.session, case, round_id)
    evaluation = Evaluation(
        id=new_id(),
        dossier_id=case.dossier_id,
        level=case.level,
        council_id=council.id,
        round_id=round_.id if round_ else None,
        status=seats.OPEN,
        rescore_count=0,
        opened_at=seats.now(),
    )
    uow.session.add(evaluation)
    cases.advance(case, Step.ASSIGN)
    uow.session.flush()
    cases.publish(
        uow,
        case,
        "evaluation.opened",
        {
            **seats.council_facts(evaluation, council),
            "round_id": round_.id if round_ else None,
            "round_closes_on": round_.closes_on if round_ else None,
        },
        cases.actor_of(principal),
    )
    return evaluation
