"""Property tests of scoring over random answer sets on random Decision 26/2026 sheets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.rubrics import (
    Criterion,
    Sheet,
    accepted_answers,
    answer_points,
    load_rubric,
    score,
    validate_answers,
)

SHEETS = load_rubric().sheets
# No example database: it would write a .hypothesis folder into the working tree.
SETTINGS = settings(max_examples=300, deadline=None, database=None)

Answers = dict[str, str | None]


@st.composite
def answer_sets(draw: st.DrawFn, *, complete: bool = True) -> tuple[Sheet, Answers]:
    """A sheet and a valid answer set for it (criteria that do not apply sometimes omitted)."""
    sheet = draw(st.sampled_from(SHEETS))
    answers: Answers = {}
    for crit in sheet.criteria:
        options: tuple[str | None, ...] = accepted_answers(crit)
        if not applies(crit, answers) or not complete:
            options = (None, *options)
        choice = draw(st.sampled_from(options))
        if choice is not None or draw(st.booleans()):
            answers[crit.code] = choice  # None and absent both mean "not answered"
    return sheet, answers


def applies(crit: Criterion, answers: Answers) -> bool:
    """Whether ``crit`` applies, given the answers to the criteria before it (5.2: a story)."""
    cond = crit.applies_when
    return cond is None or answers.get(cond.criterion) in cond.options


@SETTINGS
@given(answer_sets())
def test_random_complete_answers_are_valid_and_bounded(case: tuple[Sheet, Answers]) -> None:
    sheet, answers = case
    assert validate_answers(sheet, answers, complete=True) == {}
    result = score(sheet, answers)
    assert 0 <= result.total <= 100
    assert result.total == sum(result.part_totals.values())
    assert result.star_rank <= result.band
    assert result.star_rank == min(result.band, result.marks_met_level)
    assert 2 <= result.marks_met_level <= 5
    for part in sheet.parts:
        assert 0 <= result.part_totals[part.code] <= part.max_points


@SETTINGS
@given(answer_sets(complete=False))
def test_partial_answers_are_bounded(case: tuple[Sheet, Answers]) -> None:
    sheet, answers = case
    assert validate_answers(sheet, answers, complete=False) == {}
    result = score(sheet, answers)
    assert 0 <= result.total <= 100
    assert result.star_rank <= result.band
    assert set(result.missing) == {
        c.code for c in sheet.criteria if applies(c, answers) and answers.get(c.code) is None
    }


@SETTINGS
@given(answer_sets(complete=False), st.data())
def test_raising_one_answer_never_lowers_total_or_rank(
    case: tuple[Sheet, Answers], data: st.DataObject
) -> None:
    sheet, answers = case
    crit = data.draw(st.sampled_from(sheet.criteria))
    current = answers.get(crit.code)
    floor = -1 if current is None else answer_points(crit, current)  # unanswered scores 0
    higher = [a for a in accepted_answers(crit) if answer_points(crit, a) > max(floor, 0)]
    if current is None:
        higher += [a for a in accepted_answers(crit) if answer_points(crit, a) == 0]
    if not higher:
        return
    before = score(sheet, answers)
    after = score(sheet, {**answers, crit.code: data.draw(st.sampled_from(higher))})
    assert after.total >= before.total
    assert after.star_rank >= before.star_rank
    assert after.marks_met_level >= before.marks_met_level
