"""Where a case stands at its current level, and the one table of steps between stages, with
who may take each step.

A case climbs the levels of its regime; at each it waits for something: the commune's report,
a council's assignment, the council's scoring, the authority's decision. Every change of stage
goes through :data:`TABLE`; a step the table does not hold is refused, never applied. Who may
take a step is in the table too: an account role (the commune officer, the level's secretariat,
its authority), a seat on the council (its chair or secretary closes the scoring), or the
service itself applying what registration told it. The use case adds what only it can see
(the handler of the dossier, the secretariat or authority of the case's own level).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict


class Stage(StrEnum):
    COMMUNE_REVIEW = "commune_review"  # the commune's report (Mẫu 03)
    AWAITING_ASSIGNMENT = "awaiting_assignment"  # the level's secretariat assigns a council
    IN_EVALUATION = "in_evaluation"  # a council is scoring it
    AWAITING_DECISION = "awaiting_decision"  # the level's authority confirms a recognition
    RECOGNISED = "recognised"
    NOT_RECOGNISED = "not_recognised"
    RETURNED = "returned"  # back with the applicant, to complete (the commune review returned it)
    WITHDRAWN = "withdrawn"


# The names the service modules use (a stage compares equal to its stored string).
COMMUNE_REVIEW = Stage.COMMUNE_REVIEW
AWAITING_ASSIGNMENT = Stage.AWAITING_ASSIGNMENT
IN_EVALUATION = Stage.IN_EVALUATION
AWAITING_DECISION = Stage.AWAITING_DECISION
RECOGNISED = Stage.RECOGNISED
NOT_RECOGNISED = Stage.NOT_RECOGNISED
RETURNED = Stage.RETURNED
WITHDRAWN = Stage.WITHDRAWN
FINAL_STAGES = frozenset({RECOGNISED, NOT_RECOGNISED, RETURNED, WITHDRAWN})
OPEN_STAGES = (COMMUNE_REVIEW, AWAITING_ASSIGNMENT, IN_EVALUATION, AWAITING_DECISION)


class Step(StrEnum):
    """What happens to a case."""

    PROPOSE = "propose"  # commune officer: Form 03 proposes it upward
    RETURN = "return"  # commune officer: back to the applicant for completion
    REJECT = "reject"  # commune officer: not proposed
    ASSIGN = "assign"  # secretariat of the level: to a council and round
    RECOGNISE = "recognise"  # council close: a rank this level's authority recognises
    FORWARD = "forward"  # council close: a rank above this level's authority
    HAND_BACK = "hand_back"  # council close: a rank below it, to the level that recognises it
    REFUSE = "refuse"  # council close: below 3★, or an upgrade not above its certificate
    CONFIRM = "confirm"  # the level's authority signs the recognition
    WITHDRAW = "withdraw"  # the applicant withdrew the dossier
    REOPEN = "reopen"  # the completed dossier was accepted again: the review starts over


@dataclass(frozen=True, slots=True)
class Takers:
    """Who may take a step: any of ``roles`` (account roles, council seats, or ``system``);
    ``refusal`` is the error code a caller holding none of them is answered with."""

    roles: frozenset[str]
    refusal: str

    def allow(self, roles: Collection[str]) -> bool:
        return not self.roles.isdisjoint(roles)


COMMUNE = Takers(frozenset({"commune_officer"}), "dossier.not_handler")
SECRETARIAT = Takers(frozenset({"secretariat"}), "assignment.secretariat_only")
# A close is taken by a seat on the evaluation's council, not by an account role.
COUNCIL_CLOSE = Takers(frozenset({"chair", "secretary"}), "evaluation.chair_or_secretary_only")
AUTHORITY = Takers(frozenset({"decision_authority"}), "decision.authority_only")
# The service itself, applying what registration told it (a withdrawal, a dossier accepted
# again); no caller takes these steps.
SYSTEM = Takers(frozenset({"system"}), "case.step_not_allowed")


@dataclass(frozen=True, slots=True)
class Transition:
    to: Stage
    by: Takers


TABLE: dict[tuple[str, Step], Transition] = {
    (COMMUNE_REVIEW, Step.PROPOSE): Transition(AWAITING_ASSIGNMENT, COMMUNE),
    (COMMUNE_REVIEW, Step.RETURN): Transition(RETURNED, COMMUNE),
    (COMMUNE_REVIEW, Step.REJECT): Transition(NOT_RECOGNISED, COMMUNE),
    (AWAITING_ASSIGNMENT, Step.ASSIGN): Transition(IN_EVALUATION, SECRETARIAT),
    (IN_EVALUATION, Step.RECOGNISE): Transition(AWAITING_DECISION, COUNCIL_CLOSE),
    (IN_EVALUATION, Step.FORWARD): Transition(AWAITING_ASSIGNMENT, COUNCIL_CLOSE),
    (IN_EVALUATION, Step.HAND_BACK): Transition(AWAITING_DECISION, COUNCIL_CLOSE),
    (IN_EVALUATION, Step.REFUSE): Transition(NOT_RECOGNISED, COUNCIL_CLOSE),
    (AWAITING_DECISION, Step.CONFIRM): Transition(RECOGNISED, AUTHORITY),
    (RETURNED, Step.REOPEN): Transition(COMMUNE_REVIEW, SYSTEM),
    **{(stage, Step.WITHDRAW): Transition(WITHDRAWN, SYSTEM) for stage in (*OPEN_STAGES, RETURNED)},
}
# Who takes a step is the same from every stage it leaves (a unit test holds it).
TAKERS: dict[Step, Takers] = {step: t.by for (_, step), t in TABLE.items()}


class StageParams(TypedDict):
    """What a refused step names for the reader's words."""

    stage: str
    step: str


class StageError(Exception):
    """A step the table does not allow from the case's stage; ``code`` and ``params`` say
    which, for the reader's words (the use case answers them as a domain error)."""

    code = "case.step_not_allowed"

    def __init__(self, stage: str, step: Step) -> None:
        super().__init__(f"a case at stage {stage} cannot take the step {step}")
        self.params: StageParams = {"stage": stage, "step": str(step)}


def next_stage(stage: str, step: Step) -> str:
    """The stage ``step`` leads to from ``stage`` (the stored string)."""
    transition = TABLE.get((stage, step))
    if transition is None:
        raise StageError(stage, step)
    return transition.to.value


def may_take(step: Step, roles: Collection[str]) -> bool:
    """Whether a caller with ``roles`` (or a council seat) may take ``step`` at all."""
    return TAKERS[step].allow(roles)
