"""A council's result: raw means, band on the mean, star marks by the median member."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.aggregation import (
    CouncilResult,
    IncompleteSheet,
    MemberSheet,
    aggregate,
)
from shared.rubrics import (
    Case,
    Condition,
    Criterion,
    Group,
    Option,
    Part,
    Sheet,
    accepted_answers,
    load_rubric,
    score,
)
from tests.unit.evaluation.sheets import SHEET, Answers, answers_for, member, members

SETTINGS = settings(max_examples=150, deadline=None, database=None)
ALL_SHEETS = load_rubric().sheets


def result(total: float, marks: int = 5) -> CouncilResult:
    """A council result given directly by its figures (B and C full from 60 up)."""
    if total >= 60:
        parts = {"A": total - 60, "B": 25.0, "C": 35.0}
    else:
        parts = {"A": 0.0, "B": 0.0, "C": total}
    return CouncilResult(part_means=parts, total_mean=total, marks_met_level=marks, member_count=5)


# ------------------------------------------------------------------ means and bands


def test_means_per_part_and_total() -> None:
    sheets = members(answers_for(100), answers_for(90), answers_for(80), answers_for(71))
    res = aggregate(sheets)
    assert res.total_mean == 85.25
    assert res.member_count == 4
    assert res.set_code == "06"
    for part in ("A", "B", "C"):
        assert res.part_means[part] == sum(s.part_points[part] for s in sheets) / 4
    assert sum(res.part_means.values()) == pytest.approx(res.total_mean)
    assert res.band == 4 and res.star_rank == 4


def test_raw_mean_decides_the_band_not_the_displayed_one() -> None:
    # 90 + 90 + 90 + 89 = 359 / 4 = 89.75: shown as 89.8, still 4★.
    res = aggregate(members(answers_for(90), answers_for(90), answers_for(90), answers_for(89)))
    assert res.total_mean == 89.75
    assert res.display().total_mean == Decimal("89.8")
    assert res.band == 4 and res.star_rank == 4


def test_display_rounds_half_up_to_one_decimal() -> None:
    res = result(89.95)
    shown = res.display()
    assert shown.total_mean == Decimal("90.0")  # half up, where round() would give 89.9
    assert shown.star_rank == 4  # the raw 89.95 is 4★
    assert shown.part_means == {"A": Decimal("30.0"), "B": Decimal("25.0"), "C": Decimal("35.0")}
    assert result(80.25).display().total_mean == Decimal("80.3")


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0.0, 1),
        (29.99, 1),
        (30.0, 2),
        (49.99, 2),
        (50.0, 3),
        (69.99, 3),
        (70.0, 4),
        (89.99, 4),
        (90.0, 5),
        (100.0, 5),
    ],
)
def test_band_edges_are_half_open(total: float, band: int) -> None:
    res = result(total)
    assert res.band == band
    assert res.star_rank == band  # all marks met


def test_band_edges_from_member_sheets() -> None:
    for total, band in ((70, 4), (90, 5)):
        assert aggregate(members(answers_for(total), answers_for(total))).band == band
    assert aggregate(members(answers_for(69), answers_for(70))).band == 3  # 69.5
    assert aggregate(members(answers_for(89), answers_for(90))).band == 4  # 89.5


def test_rank_is_capped_by_the_marks() -> None:
    assert result(95.0, marks=4).star_rank == 4
    assert result(95.0, marks=2).star_rank == 2
    assert result(60.0, marks=5).star_rank == 3


def test_result_validation() -> None:
    with pytest.raises(ValueError, match="add up"):
        CouncilResult({"A": 30.0, "B": 20.0, "C": 30.0}, 93.0, 5, 3)
    with pytest.raises(ValueError, match="marks_met_level"):
        CouncilResult({"A": 93.0}, 93.0, 1, 3)
    with pytest.raises(ValueError, match="outside"):
        CouncilResult({"A": 101.0}, 101.0, 5, 3)
    with pytest.raises(ValueError, match="at least one"):
        CouncilResult({"A": 93.0}, 93.0, 5, 0)


# ------------------------------------------------------------ star marks: median member


def test_median_member_meets_the_mark() -> None:
    # Criterion 1.5 carries 4★ on option c (2 points) and 5★ on option d (3 points).
    two_of_three = aggregate(members(answers_for(95), answers_for(95), answers_for(95, c1_5="c")))
    assert two_of_three.criterion_medians["1.5"] == 3
    assert two_of_three.marks_met_level == 5 and two_of_three.star_rank == 5
    one_of_three = aggregate(
        members(answers_for(95), answers_for(95, c1_5="c"), answers_for(95, c1_5="c"))
    )
    assert one_of_three.criterion_medians["1.5"] == 2
    assert one_of_three.marks_met_level == 4 and one_of_three.star_rank == 4
    assert one_of_three.unmet_marks[5] == ("1.5",)
    assert one_of_three.holding_back == ("1.5",)


def test_a_tie_does_not_meet_the_mark() -> None:
    met, unmet = answers_for(95), answers_for(95, c1_5="c")
    assert aggregate(members(met, met, unmet, unmet)).marks_met_level == 4  # 2 of 4
    assert aggregate(members(met, met, met, unmet)).marks_met_level == 5  # 3 of 4


def test_the_council_can_meet_marks_no_single_member_meets() -> None:
    # Each member misses a different 5★ mark (1.5 d, 6.4 d, 6.5 d); each is 4★ on his own,
    # but on every criterion two of three meet the mark, so the council is 5★.
    sheets = members(
        answers_for(95, c1_5="c"), answers_for(95, c6_4="c"), answers_for(95, c6_5="c")
    )
    assert [s.marks_met_level for s in sheets] == [4, 4, 4]
    assert aggregate(sheets).marks_met_level == 5


def test_one_member_below_the_3_star_mark_does_not_block_the_council() -> None:
    sheets = members(answers_for(80), answers_for(80), answers_for(80, c1_1="a"))
    assert sheets[2].marks_met_level == 2
    assert aggregate(sheets).star_rank == 4


def test_unmet_3_star_mark_by_majority_caps_at_2() -> None:
    low = answers_for(80, c1_1="a")
    res = aggregate(members(low, low, answers_for(80)))
    assert res.marks_met_level == 2 and res.star_rank == 2
    assert res.unmet_marks[3] == ("1.1",)


def _case_sheet() -> Sheet:
    """One criterion in two cases, each with a 4★ mark (like set 26, which has no marks)."""
    options = (
        Option("a", "x low", 1, case="x"),
        Option("b", "x high", 3, min_star=4, case="x"),
        Option("c", "y low", 2, case="y"),
        Option("d", "y high", 4, min_star=4, case="y"),
    )
    crit = Criterion(
        code="1",
        name="c",
        name_en="c",
        max_points=4,
        options=options,
        part_code="A",
        group_code="1",
        cases=(Case("x", "x", ("a", "b"), 3), Case("y", "y", ("c", "d"), 4)),
    )
    group = Group("1", "g", "g", 4, "A", (crit,))
    return Sheet("test", "99", "s", "s", False, (Part("A", "A", "A", 4, 4, (group,)),), ())


def test_cases_compare_each_member_with_his_own_case() -> None:
    sheet = _case_sheet()

    def council(*options: str) -> CouncilResult:
        return aggregate([member(f"m{i}", {"1": o}, sheet) for i, o in enumerate(options)])

    # Points 3, 4, 2: m1 meets case x (3 ≥ 3), m2 meets case y, m3 misses case y (2 < 4).
    assert council("b", "d", "c").marks_met_level == 5
    assert council("b", "c", "c").marks_met_level == 3  # only one of three meets
    assert council("a", "d", "d").marks_met_level == 5


def _conditional_sheet() -> Sheet:
    """Criterion 2 applies only when 1 is b (like 5.2 and a story), and carries a 4★ mark."""
    story = Criterion(
        "1", "story", "story", 1, (Option("a", "no", 0), Option("b", "yes", 1)), "A", "1"
    )
    shape = Criterion(
        code="2",
        name="shape",
        name_en="shape",
        max_points=2,
        options=(Option("a", "plain", 0), Option("b", "fine", 2, min_star=4)),
        part_code="A",
        group_code="1",
        applies_if="only with a story",
        applies_when=Condition("1", ("b",)),
    )
    group = Group("1", "g", "g", 3, "A", (story, shape))
    return Sheet("test", "99", "s", "s", False, (Part("A", "A", "A", 3, 3, (group,)),), ())


def test_a_criterion_that_does_not_apply_neither_meets_nor_fails_a_mark() -> None:
    sheet = _conditional_sheet()
    no_story, meets, fails = {"1": "a", "2": "b"}, {"1": "b", "2": "b"}, {"1": "b", "2": "a"}

    def council(*answer_sets: Answers) -> CouncilResult:
        return aggregate([member(f"m{i}", a, sheet) for i, a in enumerate(answer_sets)])

    assert council(no_story).unmet_marks[4] == ()  # applies on no sheet: nothing required
    assert council(no_story, no_story, meets).unmet_marks[4] == ()
    # Of the two members it applies to, one meets: a tie, which does not meet the mark
    # (counting the member without a story as meeting it would have made it 2 of 3).
    assert council(no_story, meets, fails).unmet_marks[4] == ("2",)
    assert council(no_story, meets, meets, fails).unmet_marks[4] == ()
    # The ignored answer does not count toward the mean either.
    assert council(no_story, meets).total_mean == (0 + 3) / 2


# ------------------------------------------------------------------- findings, errors


def test_knockout_finding_is_recorded() -> None:
    knockout = next(rule for rule in SHEET.rules if rule.type == "knockout")
    res = aggregate(members(answers_for(95), answers_for(95)), findings=[knockout])
    assert res.knocked_out and res.findings == (knockout,)
    assert not aggregate(members(answers_for(95))).knocked_out


def test_a_finding_must_be_printed_on_the_sheet() -> None:
    foreign = next(r for s in ALL_SHEETS for r in s.rules if r not in SHEET.rules)
    with pytest.raises(ValueError, match="not printed"):
        aggregate(members(answers_for(95)), findings=[foreign])


def test_aggregation_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="no member sheets"):
        aggregate([])
    with pytest.raises(ValueError, match="more than one sheet"):
        aggregate([member("m1", answers_for(90)), member("m1", answers_for(80))])
    other = load_rubric().sheet("07")
    mixed = [member("m1", answers_for(90)), member("m2", answers_for(90, sheet=other), other)]
    with pytest.raises(ValueError, match="different scoring sheets"):
        aggregate(mixed)
    partial = answers_for(90)
    del partial["1.2"]
    with pytest.raises(IncompleteSheet, match=r"m2.*1\.2"):
        aggregate([member("m1", answers_for(90)), member("m2", partial)])


def test_conditional_criterion_may_be_left_out_where_it_does_not_apply() -> None:
    answers = answers_for(80, marks=3, c5_1="a")  # no product story
    answers.pop("5.2")  # "only if there is a product story"
    res = aggregate(members(answers, answers))
    assert res.criterion_medians["5.2"] == 0
    assert res.total_mean == score(SHEET, answers).total == 80


def test_conditional_criterion_must_be_answered_where_it_applies() -> None:
    answers = answers_for(80)
    assert answers["5.1"] != "a"  # a story, so 5.2 applies
    answers.pop("5.2")
    with pytest.raises(IncompleteSheet, match=r"m2.*5\.2"):
        aggregate(members(answers_for(80), answers))


def test_member_sheet_exposes_its_score() -> None:
    sheet = member("m1", answers_for(93, c1_5="c"))
    assert isinstance(sheet, MemberSheet)
    assert sheet.total == 93 and sheet.marks_met_level == 4
    assert sum(sheet.part_points.values()) == 93


# -------------------------------------------------------------------------- properties


@st.composite
def councils(draw: st.DrawFn) -> list[MemberSheet]:
    """One to seven members' complete sheets on one random Decision 26/2026 sheet."""
    sheet = draw(st.sampled_from(ALL_SHEETS))
    count = draw(st.integers(min_value=1, max_value=7))
    sheets = []
    for i in range(count):
        answers: Answers = {}
        for crit in sheet.criteria:
            options: tuple[str | None, ...] = accepted_answers(crit)
            cond = crit.applies_when
            if cond is not None and answers.get(cond.criterion) not in cond.options:
                options = (None, *options)  # does not apply: omitted, or answered and ignored
            answers[crit.code] = draw(st.sampled_from(options))
        sheets.append(MemberSheet.scored(f"m{i}", sheet, answers))
    return sheets


@SETTINGS
@given(councils())
def test_mean_lies_within_the_members(sheets: list[MemberSheet]) -> None:
    res = aggregate(sheets)
    totals = [s.total for s in sheets]
    assert min(totals) <= res.total_mean <= max(totals)
    for code, mean in res.part_means.items():
        parts = [s.part_points[code] for s in sheets]
        assert min(parts) <= mean <= max(parts)
    assert res.star_rank <= res.band
    assert res.star_rank <= res.marks_met_level


@SETTINGS
@given(councils())
def test_a_mark_is_met_when_a_strict_majority_meets_it(sheets: list[MemberSheet]) -> None:
    res = aggregate(sheets)
    for level in (3, 4, 5):
        for crit in sheets[0].sheet.criteria:
            # Members whose sheet it does not apply to neither meet nor fail its marks.
            counted = [s for s in sheets if crit.code not in s.score.not_applicable]
            meeting = sum(crit.code not in s.score.unmet_marks[level] for s in counted)
            met = not counted or 2 * meeting > len(counted)
            assert (crit.code not in res.unmet_marks[level]) == met
    assert res.marks_met_level >= min(s.marks_met_level for s in sheets)


@SETTINGS
@given(councils())
def test_a_council_of_one_is_its_member(sheets: list[MemberSheet]) -> None:
    alone = sheets[0]
    res = aggregate([alone])
    assert res.total_mean == alone.total
    assert res.marks_met_level == alone.marks_met_level
    assert res.star_rank == alone.score.star_rank
    assert res.holding_back == alone.score.holding_back
    assert dict(res.criterion_medians) == dict(alone.score.criterion_points)
