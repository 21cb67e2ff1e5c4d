"""The commune review (báo cáo của UBND cấp xã, Mẫu 03): the first level of every regime.

The commune officer handling the dossier assesses the four local criteria (use of local raw
materials, local labour, origin of the product idea, local identity and wisdom) and proposes
the case to the first scoring level of its regime, returns it to the applicant for completion,
or rejects it; returning and rejecting need reasons. Proposing emits ``evaluation.forwarded``
(commune → first scoring level); returning and rejecting emit ``evaluation.decided`` with the
outcome ``returned`` or ``rejected`` and the reasons, which is how the registration service and
the applicant learn of them.

The report is stored once per case; if a returned dossier comes back to the commune, its new
review replaces the old one (the case file keeps both through the events).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.evaluation.domain.regime import regime_by_name
from services.evaluation.domain.stages import COMMUNE, Step
from services.evaluation.models import Case, CommuneReview
from services.evaluation.service import access, cases
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid
from shared.participants import Kind

PROPOSE, RETURN, REJECT = "propose", "return", "reject"
_STEPS = {PROPOSE: Step.PROPOSE, RETURN: Step.RETURN, REJECT: Step.REJECT}
_DECIDED = {RETURN: "returned", REJECT: "rejected"}


def _check_handles(session: Session, principal: Principal, case: Case) -> None:
    """The commune officer handling the dossier does its review (ADR 0009): the table says a
    commune officer, the case's participants which one."""
    cases.check_role(COMMUNE, principal.roles)
    if not access.standing(session, principal, case).holds(Kind.HANDLER):
        raise Forbidden(COMMUNE.refusal)


def review(
    *,
    uow: UnitOfWork,
    principal: Principal,
    dossier_id: uuid.UUID,
    expected_version: int,
    local_criteria: dict[str, Any],
    proposal: str,
    reasons: str | None,
) -> tuple[Case, CommuneReview]:
    """The commune records Form 03 and proposes the case upward, returns it or rejects it."""
    case = cases.get(session=uow.session, principal=principal, dossier_id=dossier_id)
    _check_handles(uow.session, principal, case)
    step = _STEPS[proposal]
    cases.check_step(case, step)
    cases.check_version(case.version, expected_version, "case.stale")
    reasons = (reasons or "").strip() or None
    if proposal != PROPOSE and reasons is None:
        raise Invalid(
            errors={"reasons": ("commune_review.reasons_required", {"proposal": proposal})}
        )
    report = uow.session.get(CommuneReview, case.dossier_id) or CommuneReview(
        dossier_id=case.dossier_id
    )
    report.local_criteria = local_criteria
    report.proposal = proposal
    report.reasons = reasons
    report.reviewed_by = access.me(principal)
    report.reviewed_at = datetime.now(UTC)
    uow.session.add(report)
    from_level = case.level
    to_level = regime_by_name(case.regime).first_scoring_level.code.value
    cases.advance(case, step, level=to_level if proposal == PROPOSE else None)
    uow.session.flush()
    actor = cases.actor_of(principal)
    no_council = {
        "evaluation_id": None,
        "council_id": None,
        "reason": reasons,
        # The case file keeps the whole report with the event that follows it.
        "commune_report": {
            "local_criteria": local_criteria,
            "proposal": proposal,
            "reasons": reasons,
        },
    }
    if proposal == PROPOSE:
        moved = {"level": from_level, "to_level": to_level}
        cases.publish(uow, case, "evaluation.forwarded", {**no_council, **moved}, actor)
    else:
        decided = {"outcome": _DECIDED[proposal]}
        cases.publish(uow, case, "evaluation.decided", {**no_council, **decided}, actor)
    return case, report
