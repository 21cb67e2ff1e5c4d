"""Finalising (chair or secretary): refused without quorum; a spread over the council's
maximum reopens the sheets (``evaluation.rescore_requested``); otherwise the mean result ranks
the product and the outcome moves the case on.

A closing emits, by outcome: forwarded → ``evaluation.forwarded``; handed back →
``evaluation.handed_back``; not recognised → ``evaluation.decided`` (outcome
``not_recognised``, ``reason_code`` ``below_three_stars`` or ``knocked_out``); recognised at
this level → ``evaluation.awaiting_decision``: the case waits at stage ``awaiting_decision``
with its ``pending_rank`` for the level's authority, whose confirmation emits
``evaluation.decided`` (``recognised``). The council's close is not the recognition, so it is
not said as a decision; it tells the authority there is one to take.

An upgrade whose result would be recognised (here or, handed back, below) at a rank not above
the valid certificate it names recognises nothing new: the case ends there, not recognised
(``reason_code`` ``rank_not_higher``, naming the certificate, which stands).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from services.evaluation.domain import finalisation
from services.evaluation.domain.aggregation import CouncilResult, MemberSheet
from services.evaluation.domain.outcome import (
    Outcome,
    OutcomeKind,
    RefusalReason,
    refusal_reason,
)
from services.evaluation.domain.regime import regime_by_name
from services.evaluation.domain.stages import COUNCIL_CLOSE, Step
from services.evaluation.models import Certificate
from services.evaluation.service import cases, seats
from services.evaluation.service import decisions as decision_service
from services.evaluation.service import standing as standing_service
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid, Refused

_STEP_OF_OUTCOME = {
    OutcomeKind.RECOGNISED: Step.RECOGNISE,
    OutcomeKind.FORWARDED: Step.FORWARD,
    OutcomeKind.HANDED_BACK: Step.HAND_BACK,
    OutcomeKind.NOT_RECOGNISED: Step.REFUSE,
}


def _no_quorum(exc: finalisation.NoQuorum, quorum: dict[str, Any]) -> Refused:
    """The refusal, with how far the council is from its quorum."""
    counts = {name: quorum[name] for name in ("sheets", "eligible", "required")}
    if quorum["chair_required"] and not quorum["chair_in"]:
        return Refused("evaluation.no_quorum_without_chair", **counts)
    return Refused(exc.code, **counts)


def result_of(result: CouncilResult) -> dict[str, Any]:
    """The stored and published result: raw means (display rounds them)."""
    return {
        "parts": dict(result.part_means),
        "total": result.total_mean,
        "band": result.band,
        "marks_met_level": result.marks_met_level,
        "star_rank": result.star_rank,
        "members": result.member_count,
        "findings": [rule.text for rule in result.findings],
    }


def finalise(
    *,
    uow: UnitOfWork,
    principal: Principal,
    evaluation_id: uuid.UUID,
    expected_version: int,
    findings: Sequence[int] = (),
) -> standing_service.EvaluationView:
    """The chair or secretary closes the scoring: no quorum refuses, too wide a spread reopens
    the sheets, otherwise the mean result moves the case on."""
    ctx = seats.load(uow.session, principal, evaluation_id, lock=True)
    cases.check_role(COUNCIL_CLOSE, {ctx.seat} if ctx.seat else set())
    seats.require_open(ctx)
    cases.check_version(ctx.evaluation.version, expected_version, "evaluation.stale")
    standing = standing_service.standing_of(uow.session, ctx.evaluation, ctx.council)
    if ctx.me in standing.conflicted:
        raise Forbidden("evaluation.conflicted")
    sheet = cases.rubric_sheet(ctx.case)
    unknown = [i for i in findings if i >= len(sheet.rules)]
    if unknown:
        raise Invalid(
            errors={
                "findings": (
                    "evaluation.unknown_findings",
                    {"set_code": sheet.set_code, "rules": len(sheet.rules)},
                )
            }
        )
    members = [MemberSheet.scored(str(s.account_id), sheet, s.answers) for s in standing.sheets]
    _require_complete(members)
    try:
        decision = finalisation.finalise(
            regime=regime_by_name(ctx.case.regime),
            level=ctx.evaluation.level,
            council=standing.domain_council(ctx.council),
            sheets=members,
            findings=[sheet.rules[i] for i in dict.fromkeys(findings)],
        )
    except finalisation.NoQuorum as exc:
        raise _no_quorum(exc, standing_service.quorum_state(standing, ctx.council)) from exc
    if isinstance(decision, finalisation.Reopened):
        _reopen(uow, principal, ctx, decision)
    else:
        _close(uow, principal, ctx, decision)
    return standing_service.view(uow.session, ctx)


def _require_complete(members: Sequence[MemberSheet]) -> None:
    """A sheet handed in before conditional criteria were checked may leave one that applies
    unanswered (5.2 with a product story); its author revises it before the council closes."""
    incomplete = [m for m in members if m.score.missing]
    if incomplete:
        codes = sorted({code for m in incomplete for code in m.score.missing})
        raise Refused("evaluation.sheets_incomplete", sheets=len(incomplete), criteria=codes)


def _reopen(
    uow: UnitOfWork, principal: Principal, ctx: seats.Seated, decision: finalisation.Reopened
) -> None:
    """Members' totals differ too much: the council discusses and members revise."""
    ctx.evaluation.rescore_count += 1
    uow.session.flush()
    cases.publish(
        uow,
        ctx.case,
        "evaluation.rescore_requested",
        {
            **seats.council_facts(ctx.evaluation, ctx.council),
            "spread": decision.spread,
            "max_spread": decision.max_spread,
        },
        cases.actor_of(principal),
    )


def _close(
    uow: UnitOfWork, principal: Principal, ctx: seats.Seated, decision: finalisation.Finalised
) -> None:
    """Record the result and move the case where the outcome sends it."""
    outcome: Outcome = decision.outcome
    result = result_of(decision.result)
    evaluation, case = ctx.evaluation, ctx.case
    evaluation.status = seats.CLOSED
    evaluation.result = result
    evaluation.outcome = outcome.kind.value
    evaluation.star_rank = outcome.star_rank
    evaluation.closed_at = seats.now()
    if outcome.recognised_rank is not None:
        held = decision_service.certificate_standing(uow.session, case, outcome.recognised_rank)
        if held is not None:
            _not_higher(uow, principal, ctx, result, held)
            return
    from_level = case.level
    cases.advance(case, _STEP_OF_OUTCOME[outcome.kind], level=outcome.level.code.value)
    case.pending_rank = outcome.recognised_rank
    uow.session.flush()
    payload = {
        **seats.council_facts(evaluation, ctx.council),
        "star_rank": outcome.star_rank,
        "result": result,
    }
    actor = cases.actor_of(principal)
    if outcome.kind in (OutcomeKind.FORWARDED, OutcomeKind.HANDED_BACK):
        moved = {"level": from_level, "to_level": outcome.level.code.value}
        cases.publish(uow, case, f"evaluation.{outcome.kind.value}", {**payload, **moved}, actor)
    elif outcome.kind is OutcomeKind.NOT_RECOGNISED:
        why = refusal_reason(outcome.kind, outcome.star_rank, result.get("findings", ()))
        refused = {"outcome": "not_recognised", "reason_code": why}
        cases.publish(uow, case, "evaluation.decided", {**payload, **refused}, actor)
    elif outcome.kind is OutcomeKind.RECOGNISED:
        cases.publish(uow, case, "evaluation.awaiting_decision", payload, actor)


def _not_higher(
    uow: UnitOfWork,
    principal: Principal,
    ctx: seats.Seated,
    result: dict[str, Any],
    held: Certificate,
) -> None:
    """An upgrade's result is not above the certificate it names: the case ends here, not
    recognised; that certificate stands, and the applicant is told why."""
    evaluation, case = ctx.evaluation, ctx.case
    evaluation.outcome = OutcomeKind.NOT_RECOGNISED.value
    cases.advance(case, Step.REFUSE)
    case.pending_rank = None
    uow.session.flush()
    cases.publish(
        uow,
        case,
        "evaluation.decided",
        {
            **seats.council_facts(evaluation, ctx.council),
            "star_rank": evaluation.star_rank,
            "result": result,
            "outcome": OutcomeKind.NOT_RECOGNISED.value,
            "reason_code": RefusalReason.RANK_NOT_HIGHER,
            "certificate_number": held.number,
            "certificate_star_rank": held.star_rank,
        },
        cases.actor_of(principal),
    )
