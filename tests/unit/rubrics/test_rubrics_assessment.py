"""Answer validation and scoring of one sheet (shared.rubrics.assessment)."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal

import pytest

from shared.rubrics import (
    NO,
    SCHEMA_KEY,
    YES,
    AnswerError,
    Criterion,
    Sheet,
    accepted_answers,
    answer_points,
    load_rubric,
    marked_minimum,
    not_applicable,
    score,
    star_band,
    validate_answers,
)
from shared.rubrics.assessment import _required_points

RUBRIC = load_rubric()
VEG = RUBRIC.sheet("01")  # sheet 01 has every common feature: yes/no, conditional, marks
TOURISM = RUBRIC.sheet("26")  # alternative cases


def choices(crit: Criterion) -> list[tuple[str, int]]:
    return [(a, answer_points(crit, a)) for a in accepted_answers(crit)]


def best(sheet: Sheet) -> dict[str, str]:
    return {c.code: max(choices(c), key=lambda x: x[1])[0] for c in sheet.criteria}


def worst(sheet: Sheet) -> dict[str, str]:
    return {c.code: min(choices(c), key=lambda x: x[1])[0] for c in sheet.criteria}


def with_total(sheet: Sheet, target: int, marks_for: int | None = None) -> dict[str, str]:
    """A complete answer set totalling exactly ``target`` (meeting every mark for a level).

    Dynamic programming over criteria: reachable totals with one witness each. A conditional
    criterion is left out where its witness makes it not apply.
    """
    reachable: dict[int, dict[str, str]] = {0: {}}
    for crit in sheet.criteria:
        needed = 0 if marks_for is None else _required_points(crit, marks_for, None) or 0
        options = [(a, p) for a, p in choices(crit) if p >= needed]
        step: dict[int, dict[str, str]] = {}
        for total, answers in reachable.items():
            cond = crit.applies_when
            if cond is not None and answers.get(cond.criterion) not in cond.options:
                step.setdefault(total, answers)
                continue
            for answer, points in options:
                step.setdefault(total + points, {**answers, crit.code: answer})
        reachable = step
    assert target in reachable, f"total {target} unreachable on set {sheet.set_code}"
    return reachable[target]


# ----------------------------------------------------------------------- star_band


@pytest.mark.parametrize(
    ("total", "stars"),
    [
        (0, 1),
        (29, 1),
        (29.999, 1),
        (30, 2),
        (49.99, 2),
        (50, 3),
        (69.5, 3),
        (70, 4),
        (89.999, 4),
        (90, 5),
        (100, 5),
        (Decimal("89.99"), 4),
        (Decimal("90.00"), 5),
    ],
)
def test_star_band_is_half_open(total: float, stars: int) -> None:
    assert star_band(total) == stars


@pytest.mark.parametrize("total", [-1, 100.01, float("nan"), float("inf")])
def test_star_band_refuses_out_of_range(total: float) -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.100"):
        star_band(total)


@pytest.mark.parametrize("total", [True, "90", None])
def test_star_band_refuses_non_numbers(total: object) -> None:
    with pytest.raises(TypeError):
        star_band(total)  # type: ignore[arg-type]


# ----------------------------------------------------------------- answer format


def test_accepted_answers() -> None:
    assert accepted_answers(VEG.criterion("1.1")) == ("a", "b", "c")
    assert accepted_answers(VEG.criterion("2.4")) == (YES, NO)
    assert answer_points(VEG.criterion("2.4"), YES) == 1
    assert answer_points(VEG.criterion("2.4"), NO) == 0
    assert answer_points(TOURISM.criterion("8"), "d") == 3
    with pytest.raises(ValueError, match=r"criterion 1\.1: unknown option 'z'"):
        answer_points(VEG.criterion("1.1"), "z")


def test_valid_answer_sets() -> None:
    assert validate_answers(VEG, {}, complete=False) == {}
    assert validate_answers(VEG, best(VEG), complete=True) == {}
    # None means "not answered yet", so a draft may send every key.
    assert validate_answers(VEG, dict.fromkeys(VEG.criterion_codes), complete=False) == {}
    # Case criteria take a plain option code from either case.
    assert validate_answers(TOURISM, {"8": "a", "9": "d", "15": "c"}, complete=False) == {}


def test_field_errors() -> None:
    errors = validate_answers(
        VEG,
        {"1.1": "z", "2.4": "maybe", "1.2": 2, "9.9": "a", "2.3": "A"},
        complete=False,
    )
    assert errors == {
        "1.1": "unknown option 'z'; expected one of a, b, c",
        "2.4": "unknown answer 'maybe'; expected yes or no",
        "1.2": "wrong type (int); expected one of a, b, c",
        "9.9": "unknown criterion for set 01",
        "2.3": "unknown option 'A'; expected one of a, b, c",
    }


def test_yes_no_is_only_for_criteria_without_options() -> None:
    assert validate_answers(VEG, {"1.7": YES, "2.4": True}, complete=False) == {
        "1.7": "unknown option 'yes'; expected one of a, b",
        "2.4": "wrong type (bool); expected yes or no",
    }


def test_complete_requires_every_criterion_that_applies() -> None:
    answers = best(VEG)  # 5.1 e: there is a product story, so 5.2 applies
    del answers["1.1"], answers["2.4"], answers["5.2"]
    answers["3.1"] = None  # type: ignore[assignment]
    assert validate_answers(VEG, answers, complete=False) == {}
    assert validate_answers(VEG, answers, complete=True) == {
        "1.1": "missing answer; expected one of a, b, c",
        "2.4": "missing answer; expected yes or no",
        "3.1": "missing answer; expected one of a, b, c",
        "5.2": "missing answer; expected one of a, b, c",
    }
    answers["5.1"] = "a"  # "Không có câu chuyện sản phẩm": 5.2 does not apply
    assert "5.2" not in validate_answers(VEG, answers, complete=True)


def test_answer_set_must_be_a_mapping() -> None:
    assert validate_answers(VEG, ["a"], complete=False) == {  # type: ignore[arg-type]
        SCHEMA_KEY: "expected an object mapping criterion codes to answers"
    }
    assert validate_answers(VEG, {1: "a"}, complete=False) == {  # type: ignore[dict-item]
        "1": "criterion code must be a string"
    }


def test_score_refuses_invalid_answers() -> None:
    with pytest.raises(AnswerError) as info:
        score(VEG, {"1.1": "z"})
    assert info.value.errors == {"1.1": "unknown option 'z'; expected one of a, b, c"}
    assert "1.1: unknown option 'z'" in str(info.value)


# ----------------------------------------------------------------------- scoring


@pytest.mark.parametrize("sheet", RUBRIC.sheets, ids=lambda s: s.set_code)
def test_maximal_answers_score_100_and_five_stars(sheet: Sheet) -> None:
    result = score(sheet, best(sheet))
    assert result.total == 100
    assert dict(result.part_totals) == {"A": 40, "B": 25, "C": 35}
    assert result.band == result.marks_met_level == result.star_rank == 5
    assert result.holding_back == ()
    assert result.missing == () and result.is_complete
    assert all(result.group_totals[g.code] == g.max_points for g in sheet.groups)


@pytest.mark.parametrize("sheet", RUBRIC.sheets, ids=lambda s: s.set_code)
def test_minimal_answers_score_low(sheet: Sheet) -> None:
    result = score(sheet, worst(sheet))
    expected = sum(min(p for _, p in choices(c)) for c in sheet.criteria)
    assert result.total == expected < 35
    assert result.band <= 2
    assert result.star_rank == result.band
    assert result.marks_met_level <= 3
    assert result.holding_back == ()  # 1★ → 2★ is a matter of points, not marks


def test_band_edges_on_a_real_sheet() -> None:
    for target, band in [(50, 3), (69, 3), (70, 4), (89, 4), (90, 5)]:
        result = score(VEG, with_total(VEG, target, marks_for=5))
        assert (result.total, result.band) == (target, band)
        # Every mark for 5 is met, so the band alone decides.
        assert result.marks_met_level == 5
        assert result.star_rank == band
        assert result.holding_back == ()
    # Meeting every 5★ mark already scores 50 on this sheet, so test the low edges without.
    for target, band in [(29, 1), (30, 2), (49, 2)]:
        result = score(VEG, with_total(VEG, target))
        assert (result.total, result.band, result.star_rank) == (target, band, band)


def test_band_five_with_unmet_five_star_mark_ranks_four() -> None:
    answers = best(VEG)
    answers["1.3"] = "b"  # option c (3 points) carries *****
    result = score(VEG, answers)
    assert (result.total, result.band) == (99, 5)
    assert result.marks_met_level == 4
    assert result.star_rank == 4
    assert result.holding_back == ("1.3",)
    assert result.unmet_marks == {3: (), 4: (), 5: ("1.3",)}


def test_unmet_three_star_mark_caps_at_two() -> None:
    answers = best(VEG)
    answers["4.1"] = "a"  # option b (2 points) carries ***
    result = score(VEG, answers)
    assert (result.total, result.band) == (96, 5)
    assert result.marks_met_level == 2
    assert result.star_rank == 2
    assert result.holding_back == ("4.1",)
    assert result.unmet_marks[5] == ("4.1",)


def test_holding_back_lists_the_next_level_only() -> None:
    answers = with_total(VEG, 75, marks_for=4)
    result = score(VEG, answers)
    assert (result.band, result.marks_met_level, result.star_rank) == (4, 4, 4)
    # 5★ also needs points here, but the marks still to reach are listed.
    assert result.holding_back == result.unmet_marks[5] != ()
    assert result.unmet_marks[4] == result.unmet_marks[3] == ()
    answers["6.1"] = "b"  # 6.1 c (2 points) carries ****
    lowered = score(VEG, answers)
    assert (lowered.total, lowered.band, lowered.marks_met_level) == (74, 4, 3)
    assert lowered.star_rank == 3
    assert lowered.holding_back == ("6.1",)


def test_lowest_option_mark_is_always_met() -> None:
    # README anomaly g: **** on the lowest option of the environmental criterion.
    env = VEG.criterion("1.6")
    assert marked_minimum(env, 4) == env.option("a")
    assert marked_minimum(env, 3) is None
    answers = best(VEG)
    answers["1.6"] = "a"
    assert score(VEG, answers).star_rank == 5


def test_marked_minimum_takes_the_largest_mark_up_to_the_level() -> None:
    crit = VEG.criterion("4.1")  # b ***, c ****, d *****
    assert [marked_minimum(crit, level).code for level in (3, 4, 5)] == ["b", "c", "d"]  # type: ignore[union-attr]
    label = VEG.criterion("2.3")  # a ***, c ****, nothing for 5
    assert marked_minimum(label, 5) == label.option("c")
    assert marked_minimum(VEG.criterion("1.1"), 5) is None


def test_conditional_criterion_with_a_story_must_be_answered() -> None:
    answers = best(VEG)
    del answers["5.2"]
    assert validate_answers(VEG, answers, complete=True) == {
        "5.2": "missing answer; expected one of a, b, c"
    }
    result = score(VEG, answers)
    assert result.criterion_points["5.2"] == 0
    assert result.total == 98
    assert result.missing == ("5.2",) and not result.is_complete
    assert result.not_applicable == ()


def test_conditional_criterion_without_a_story_may_be_omitted() -> None:
    answers = best(VEG)
    answers["5.1"] = "a"
    del answers["5.2"]
    assert validate_answers(VEG, answers, complete=True) == {}
    result = score(VEG, answers)
    assert result.criterion_points["5.2"] == 0
    assert result.total == 93
    assert result.missing == () and result.is_complete
    assert result.not_applicable == ("5.2",)


def test_conditional_criterion_without_a_story_ignores_its_answer() -> None:
    # Issue 20: a set-01 sheet with no story and 5.2 ticked was scored 51, 3★; it is 49.
    answers = with_total(VEG, 49, marks_for=3)
    assert answers["5.1"] == "a" and "5.2" not in answers
    ticked = {**answers, "5.2": "c"}
    assert validate_answers(VEG, ticked, complete=True) == {}
    for sheet_answers in (answers, ticked):
        result = score(VEG, sheet_answers)
        assert (result.total, result.band, result.star_rank) == (49, 2, 2)
        assert result.criterion_points["5.2"] == 0
        assert result.not_applicable == ("5.2",)
        assert result.missing == ()
    # The answer is ignored, not unchecked: it must still be one 5.2 accepts.
    assert validate_answers(VEG, {**answers, "5.2": "z"}, complete=True) == {
        "5.2": "unknown option 'z'; expected one of a, b, c"
    }


def test_whether_a_criterion_applies_follows_the_answer_it_depends_on() -> None:
    assert not_applicable(VEG, {}) == ("5.2",)  # 5.1 not answered yet
    assert not_applicable(VEG, {"5.1": "a", "5.2": "c"}) == ("5.2",)
    for story in "bcde":
        assert not_applicable(VEG, {"5.1": story}) == ()
    assert not_applicable(TOURISM, {}) == ()  # set 26 has no conditional criterion
    assert [c.code for c in VEG.criteria if c.applies_when] == ["5.2"]
    cond = VEG.criterion("5.2").applies_when
    assert cond is not None and (cond.criterion, cond.options) == ("5.1", ("b", "c", "d", "e"))


def test_partial_answers_score_what_is_answered() -> None:
    result = score(VEG, {"1.1": "c", "2.4": YES})
    assert result.total == 4
    assert result.part_totals == {"A": 4, "B": 0, "C": 0}
    assert "1.2" in result.missing and "5.2" not in result.missing
    assert result.not_applicable == ("5.2",)  # until 5.1 says there is a story
    assert not result.is_complete
    assert "1.3" in result.unmet_marks[5]  # unanswered counts as 0 points


def test_cases_in_tourism_sheet() -> None:
    answers = best(TOURISM)
    for case_b in ({"8": "d", "9": "d", "15": "d"}, {"8": "b", "9": "b"}):
        assert score(TOURISM, {**answers, **case_b}).total == 100
    answers["8"] = "c"
    assert score(TOURISM, answers).criterion_points["8"] == 1


def test_score_as_dict_is_json_ready() -> None:
    answers = best(VEG)
    answers["1.3"] = "b"
    data = score(VEG, answers).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["unmet_marks"] == {"3": [], "4": [], "5": ["1.3"]}
    assert data["star_rank"] == 4


def test_score_is_frozen_and_picklable() -> None:
    result = score(VEG, best(VEG))
    with pytest.raises(AttributeError):
        result.total = 0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(result)) == result
