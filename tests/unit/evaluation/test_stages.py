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
        assert next_stage(stage, step) == stages.TABLE[(stage, step)].to
    else:
        with pytest.raises(StageError):
            next_stage(stage, step)


def test_final_stages_are_final_but_a_returned_case_can_start_over() -> None:
    for stage in stages.FINAL_STAGES - {stages.RETURNED}:
        assert not [s for (st, s) in stages.TABLE if st == stage]
    assert next_stage(stages.RETURNED, Step.REOPEN) == stages.COMMUNE_REVIEW
    for stage in stages.OPEN_STAGES:
        assert next_stage(stage, Step.WITHDRAW) == stages.WITHDRAWN


def test_a_step_has_the_same_takers_from_every_stage_it_leaves() -> None:
    for (_, step), transition in stages.TABLE.items():
        assert stages.TAKERS[step] is transition.by, step
    assert set(stages.TAKERS) == set(Step)


@pytest.mark.parametrize(
    ("step", "roles", "allowed"),
    [
        (Step.PROPOSE, {"commune_officer"}, True),
        (Step.PROPOSE, {"secretariat"}, False),
        (Step.ASSIGN, {"secretariat", "council_member"}, True),
        (Step.ASSIGN, {"decision_authority"}, False),
        (Step.RECOGNISE, {"chair"}, True),
        (Step.REFUSE, {"secretary"}, True),
        (Step.FORWARD, {"member"}, False),
        (Step.CONFIRM, {"decision_authority"}, True),
        (Step.CONFIRM, {"secretariat", "admin"}, False),
        (Step.WITHDRAW, {"applicant"}, False),  # registration tells it; no caller takes it here
        (Step.REOPEN, {"system"}, True),
    ],
)
def test_who_may_take_a_step(step: Step, roles: set[str], allowed: bool) -> None:
    assert stages.may_take(step, roles) is allowed


def test_a_stage_is_its_stored_string() -> None:
    assert next_stage("awaiting_decision", Step.CONFIRM) == "recognised"
    assert type(next_stage(stages.AWAITING_DECISION, Step.CONFIRM)) is str
    assert {s.value for s in stages.Stage} == {*stages.OPEN_STAGES, *stages.FINAL_STAGES}
