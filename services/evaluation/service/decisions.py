"""Acts of a level's decision authority: recognising a rank (quyết định công nhận), which issues
the certificate, and revoking it (thu hồi, Decision 26/2026 Art. 8).

The authority of a level is the People's Committee chair of the case's district or province,
or the minister for the national level; in tokens, a ``decision_authority`` whose
unit is that district, that province, or ``national``. Which level signs for a rank is the
regime's data (:meth:`Regime.recognising_level`); revocation is signed by the level that
recognised, recorded on the certificate.

A recognised re-evaluation supersedes the certificate it named, whatever the new rank; a
recognised upgrade is always of a higher rank: an upgrade whose council result is not above the
certificate it named recognises nothing new (:func:`certificate_standing`; the council's close
ends the case, not recognised, and the certificate stands), so no second certificate of the
same product is issued beside the first. A certificate revoked meanwhile is not superseded (it
stays revoked).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.evaluation.domain.outcome import OutcomeKind
from services.evaluation.domain.regime import LevelCode, regime_by_name
from services.evaluation.domain.revocation import revocation_due
from services.evaluation.domain.stages import TAKERS, StageError, Step, next_stage
from services.evaluation.models import (
    Case,
    Certificate,
    Evaluation,
    calendar_notices,
    unit_successors,
)
from services.evaluation.service import access
from services.evaluation.service import cases as case_service
from services.evaluation.service import certificates as certificate_service
from shared import calendar_store
from shared.auth import NATIONAL, Principal
from shared.calendar import local_date
from shared.db import UnitOfWork, as_utc
from shared.errors import Conflict, Forbidden, Invalid, Refused
from shared.events.schemas_evaluation import Result
from shared.units import CURRENT_TREE, LEGACY_TREE

log = logging.getLogger(__name__)

#: The administrative level of the unit whose authority signs for each level of a regime.
SIGNING_UNIT_LEVEL: dict[str, str] = {
    LevelCode.DISTRICT: "district",
    LevelCode.PROVINCE: "province",
    LevelCode.NATIONAL: "national",
}

EVALUATION_CLOSED = "closed"
# Results a level's authority may confirm: its own council's, or a higher council's handed back.
_CONFIRMABLE = (OutcomeKind.RECOGNISED.value, OutcomeKind.HANDED_BACK.value)
_RESULT_FIELDS = tuple(Result().fields)


def authority_unit(case: Case, level: str) -> str:
    """The unit (``tree:level:code`` or ``national``) whose authority signs for ``level``."""
    unit_level = SIGNING_UNIT_LEVEL[level]
    if unit_level == "national":
        return str(NATIONAL)
    code = case.province_code if unit_level == "province" else case.district_code
    return f"{case.unit_tree}:{unit_level}:{code}"


def _signatory_unit(principal: Principal, case: Case, level: str) -> str:
    """The signing unit, if the caller is the authority of ``level`` for ``case`` (else 403)."""
    if not principal.has("decision_authority"):
        raise Forbidden("decision.authority_only")
    expected = authority_unit(case, level)
    unit = principal.unit
    if (
        unit is None
        or unit.level != SIGNING_UNIT_LEVEL[level]
        or not access.unit_contains(unit, case)
    ):
        raise Forbidden("decision.other_authority", level=level, unit=expected)
    return expected


def _revoking_unit(session: Session, principal: Principal, case: Case, level: str) -> str:
    """The authority that revokes: the recognising level's; for a certificate recognised on
    the pre-2025 map and revoked by an official of the 2025 one, the authority of the 2025
    province its commune merged into (the districts are gone, their powers went to the
    province; the merger's map says which province). A national certificate stays national."""
    unit = principal.unit
    if (
        case.unit_tree != LEGACY_TREE
        or unit is None
        or unit.tree != CURRENT_TREE
        or SIGNING_UNIT_LEVEL[level] == "national"
    ):
        return _signatory_unit(principal, case, level)
    if not principal.has("decision_authority"):
        raise Forbidden("decision.authority_only")
    province = session.execute(
        select(unit_successors.c.new_province_code).where(
            unit_successors.c.old_code == case.commune_code
        )
    ).scalar_one_or_none()
    if province is None:  # no map loaded for it: nobody on the 2025 map may act for it
        raise Forbidden("decision.other_authority", level=level, unit=authority_unit(case, level))
    expected = f"{CURRENT_TREE}:province:{province}"
    if unit.level != "province" or unit.code != province:
        raise Forbidden("decision.other_authority", level=level, unit=expected)
    return expected


def _check_version(case: Case, expected: int) -> None:
    if case.version != expected:
        raise Conflict("case.stale", yours=expected, current_version=case.version)


def _closing_evaluation(case: Case, session: Session) -> Evaluation:
    """The closed evaluation whose result the authority confirms (the latest one)."""
    evaluation = session.execute(
        select(Evaluation)
        .where(
            Evaluation.dossier_id == case.dossier_id,
            Evaluation.status == EVALUATION_CLOSED,
            Evaluation.outcome.in_(_CONFIRMABLE),
            Evaluation.star_rank == case.pending_rank,
        )
        .order_by(Evaluation.closed_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if evaluation is None or evaluation.closed_at is None:
        raise Refused("decision.no_closed_evaluation")
    return evaluation


def _check_date(field: str, day: date, *, not_before: date, too_early: str) -> None:
    """``day`` lies between ``not_before`` and today; ``too_early`` is the code saying what
    it may not precede."""
    today = certificate_service.today()
    if day > today:
        raise Invalid(errors={field: ("date.after_today", {"today": today})})
    if day < not_before:
        raise Invalid(errors={field: (too_early, {"day": not_before})})


def certificate_standing(session: Session, case: Case, rank: int) -> Certificate | None:
    """For an upgrade, the certificate it names when that one is valid today at ``rank`` or
    above: a result of ``rank`` recognises nothing new, and that certificate stands."""
    if case.registration_type != case_service.UPGRADE or case.previous_certificate is None:
        return None
    held = session.get(Certificate, case.previous_certificate)
    if held is None or held.star_rank < rank:
        return None
    today = certificate_service.today()
    return held if certificate_service.status_on(held, today) == certificate_service.VALID else None


def _replaced_certificate(session: Session, case: Case, rank: int) -> Certificate | None:
    """The certificate the recognition of ``case`` at ``rank`` supersedes, locked; if any."""
    if case.previous_certificate is None or case.registration_type not in (
        case_service.UPGRADE,
        case_service.RE_EVALUATION,
    ):
        return None
    previous = session.execute(
        select(Certificate).where(Certificate.number == case.previous_certificate).with_for_update()
    ).scalar_one_or_none()
    if previous is None or previous.status not in (
        certificate_service.VALID,
        certificate_service.EXPIRED,
    ):
        return None
    holder = session.get(Case, previous.dossier_id)
    if holder is None or holder.producer_id != case.producer_id:
        # Registration checked the owner at filing; never supersede another producer's.
        log.warning(
            "case %s names certificate %s of another producer", case.dossier_id, previous.number
        )
        return None
    if case.registration_type == case_service.UPGRADE and rank <= previous.star_rank:
        return None
    return previous


def decide(
    *,
    uow: UnitOfWork,
    principal: Principal,
    dossier_id: uuid.UUID,
    expected_version: int,
    decision_number: str,
    decided_on: date,
) -> tuple[Case, Certificate]:
    """The level's authority recognises the rank a council found, issuing the certificate."""
    case = case_service.get(session=uow.session, principal=principal, dossier_id=dossier_id)
    case_service.check_role(TAKERS[Step.CONFIRM], principal.roles)
    rank = case.pending_rank
    try:
        recognised = next_stage(case.stage, Step.CONFIRM)
    except StageError as exc:
        raise Refused("decision.not_awaiting", stage=case.stage) from exc
    assert rank is not None, "a case awaiting a decision carries the rank to confirm"
    level = regime_by_name(case.regime).recognising_level(rank)
    if level.code != case.level:
        raise Refused("decision.other_level", rank=rank, level=level.code, at=case.level)
    unit = _signatory_unit(principal, case, level.code)
    _check_version(case, expected_version)
    held = certificate_standing(uow.session, case, rank)
    if held is not None:
        raise Refused(
            "decision.nothing_new", rank=rank, number=held.number, held_rank=held.star_rank
        )
    evaluation = _closing_evaluation(case, uow.session)
    assert evaluation.closed_at is not None
    _check_date(
        "decided_on",
        decided_on,
        not_before=local_date(as_utc(evaluation.closed_at)),
        too_early="date.before_council_closed",
    )

    replaces = _replaced_certificate(uow.session, case, rank)
    actor = case_service.actor_of(principal)
    case.pending_rank = None
    case_service.touch(case, stage=recognised)
    uow.session.flush()  # bumps the version: a concurrent decision on the case fails here
    result = {k: v for k, v in (evaluation.result or {}).items() if k in _RESULT_FIELDS}
    case_service.publish(
        uow,
        case,
        "evaluation.decided",
        {
            "evaluation_id": evaluation.id,
            "council_id": evaluation.council_id,
            "outcome": OutcomeKind.RECOGNISED.value,
            "star_rank": rank,
            "result": result or None,
            "decision_number": decision_number,
        },
        actor,
    )
    certificate = certificate_service.issue(
        uow=uow,
        case=case,
        evaluation=evaluation,
        star_rank=rank,
        authority_level=SIGNING_UNIT_LEVEL[level.code],
        authority_unit=unit,
        decision_number=decision_number,
        decided_on=decided_on,
        decided_by=access.me(principal),
        actor=actor,
        replaces=replaces,
    )
    return case, certificate


@dataclass(frozen=True, slots=True)
class Revocation:
    """A revoked certificate, the last day it was due, and whether it came after that."""

    certificate: Certificate
    due_on: date
    late: bool


def revoke(
    *,
    uow: UnitOfWork,
    principal: Principal,
    number: str,
    ground: str,
    found_on: date,
    note: str | None,
) -> Revocation:
    """The recognising authority revokes a valid certificate on one of the six grounds."""
    certificate, case = certificate_service.get_for_update(
        session=uow.session, principal=principal, number=number
    )
    _revoking_unit(uow.session, principal, case, certificate.level)
    today = certificate_service.today()
    status = certificate_service.status_on(certificate, today)
    if status != certificate_service.VALID:
        raise Refused("revocation.not_valid", certificate_status=status)
    _check_date(
        "found_on", found_on, not_before=certificate.issued_on, too_early="date.before_issue"
    )
    calendar = calendar_store.working_calendar(uow.session, calendar_notices)
    due_on = revocation_due(found_on, calendar)
    late = today > due_on
    if late:
        # Art. 8's 15 days bind the authority, not the product: a late revocation still
        # stands, and the answer (and this log line) say it was late.
        log.warning(
            "certificate %s revoked on %s, after the due date %s (found on %s)",
            number,
            today,
            due_on,
            found_on,
        )
    certificate.status = certificate_service.REVOKED
    certificate.revoked_on = today
    certificate.revocation_ground = ground
    certificate.revocation_note = note
    certificate.revocation_found_on = found_on
    certificate.revocation_late = late
    uow.session.flush()
    case_service.publish(
        uow,
        case,
        "certificate.revoked",
        {
            **certificate_service.facts(certificate),
            "ground": ground,
            "revoked_on": today,
            "note": note,
            "found_on": found_on,
            "late": late,
        },
        case_service.actor_of(principal),
    )
    return Revocation(certificate, due_on, late)
