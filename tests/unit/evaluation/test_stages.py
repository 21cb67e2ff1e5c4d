"""The stage table of a case."""

from __future__ import annotations

import pytest

from services.evaluation.domain import stages
from services.evaluation.domain.stages import StageError, Step, next_stage

ALL_STAGES = (*stages.OPEN_STAGES, *sorted(stages.FINAL_STAGES))


def test_the_climb_and_the_decision() -> None:
    stage = stages.COMMUNE_REVIEW
    for step in (
        Step.PROPOSE,
        Step.ASSIGN,
        Step.FORWARD,
        Step.ASSIGN,
        Step.RECOGNISE,
        Step.CONFIRM,
    ):
        stage = next_stage(stage, step)
    assert stage == stages.RECOGNISED


@pytest.mark.parametrize("stage", ALL_STAGES)
@pytest.mark.parametrize("step", list(Step))
def test_every_pair_is_in_the_table_or_refused(stage: str, step: Step) -> None:
    if (stage, step) in stages.TABLE:
        assert next_stage(stage, step) == stages.TABLE[(stage, step)]
    else:
        with pytest.raises(StageError):
            next_stage(stage, step)


def test_final_stages_are_final_but_a_returned_case_can_start_over() -> None:
    for stage in stages.FINAL_STAGES - {stages.RETURNED}:
        assert not [s for (st, s) in stages.TABLE if st == stage]
    assert next_stage(stages.RETURNED, Step.REOPEN) == stages.COMMUNE_REVIEW
    for stage in stages.OPEN_STAGES:
        assert next_stage(stage, Step.WITHDRAW) == stages.WITHDRAWN
