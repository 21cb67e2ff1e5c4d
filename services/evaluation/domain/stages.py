"""Where a case stands at its current level, and the one table of steps between stages.

A case climbs the levels of its regime; at each it waits for something: the commune's report,
a council's assignment, the council's scoring, the authority's decision. Every change of stage
goes through :data:`TABLE`; a step the table does not hold is refused, never applied.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypedDict

COMMUNE_REVIEW = "commune_review"  # the commune's report (Mẫu 03)
AWAITING_ASSIGNMENT = "awaiting_assignment"  # the level's secretariat assigns a council
IN_EVALUATION = "in_evaluation"  # a council is scoring it
AWAITING_DECISION = "awaiting_decision"  # the level's authority confirms a recognition
RECOGNISED = "recognised"
NOT_RECOGNISED = "not_recognised"
RETURNED = "returned"  # back with the applicant, to complete (the commune review returned it)
WITHDRAWN = "withdrawn"
FINAL_STAGES = frozenset({RECOGNISED, NOT_RECOGNISED, RETURNED, WITHDRAWN})
OPEN_STAGES = (COMMUNE_REVIEW, AWAITING_ASSIGNMENT, IN_EVALUATION, AWAITING_DECISION)


class Step(StrEnum):
    """What happens to a case; who may take each step is checked by the use case."""

    PROPOSE = "propose"  # commune officer: Form 03 proposes it upward
    RETURN = "return"  # commune officer: back to the applicant for completion
    REJECT = "reject"  # commune officer: not proposed
    ASSIGN = "assign"  # secretariat of the level: to a council and round
    RECOGNISE = "recognise"  # council close: a rank this level's authority recognises
    FORWARD = "forward"  # council close: a rank above this level's authority
    HAND_BACK = "hand_back"  # council close: a rank below it, to the level that recognises it
    REFUSE = "refuse"  # council close: below 3★
    CONFIRM = "confirm"  # the level's authority signs the recognition
    WITHDRAW = "withdraw"  # the applicant withdrew the dossier
    REOPEN = "reopen"  # the completed dossier was accepted again: the review starts over


TABLE: dict[tuple[str, Step], str] = {
    (COMMUNE_REVIEW, Step.PROPOSE): AWAITING_ASSIGNMENT,
    (COMMUNE_REVIEW, Step.RETURN): RETURNED,
    (COMMUNE_REVIEW, Step.REJECT): NOT_RECOGNISED,
    (AWAITING_ASSIGNMENT, Step.ASSIGN): IN_EVALUATION,
    (IN_EVALUATION, Step.RECOGNISE): AWAITING_DECISION,
    (IN_EVALUATION, Step.FORWARD): AWAITING_ASSIGNMENT,
    (IN_EVALUATION, Step.HAND_BACK): AWAITING_DECISION,
    (IN_EVALUATION, Step.REFUSE): NOT_RECOGNISED,
    (AWAITING_DECISION, Step.CONFIRM): RECOGNISED,
    (RETURNED, Step.REOPEN): COMMUNE_REVIEW,
    **{(stage, Step.WITHDRAW): WITHDRAWN for stage in (*OPEN_STAGES, RETURNED)},
}


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
    """The stage ``step`` leads to from ``stage``."""
    to = TABLE.get((stage, step))
    if to is None:
        raise StageError(stage, step)
    return to
