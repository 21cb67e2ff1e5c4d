"""Council quorum (with conflicted members left out) and the spread between members' totals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.council_rules import CouncilRules, has_quorum, spread

SETTINGS = settings(max_examples=200, deadline=None, database=None)
RULES = CouncilRules()
EIGHT = [f"m{i}" for i in range(1, 9)]  # m1 chairs


def test_defaults_are_the_provincial_rules() -> None:
    assert (RULES.quorum_numerator, RULES.quorum_denominator) == (3, 4)
    assert RULES.chair_required
    assert RULES.max_spread == 10.0


@pytest.mark.parametrize(
    ("eligible", "needed"), [(0, 0), (1, 1), (3, 3), (4, 3), (5, 4), (6, 5), (7, 6), (8, 6)]
)
def test_quorum_size_rounds_up(eligible: int, needed: int) -> None:
    assert RULES.quorum_size(eligible) == needed


def test_three_quarters_including_the_chair() -> None:
    assert has_quorum(RULES, EIGHT, EIGHT[:6], "m1")
    assert not has_quorum(RULES, EIGHT, EIGHT[:5], "m1")
    assert not has_quorum(RULES, EIGHT, EIGHT[1:7], "m1")  # six sheets, none from the chair


def test_chair_optional_by_configuration() -> None:
    rules = CouncilRules(chair_required=False)
    assert has_quorum(rules, EIGHT, EIGHT[1:7], "m1")


def test_conflicted_members_leave_the_count() -> None:
    # 8 members, 2 conflicted: 6 eligible, so 5 sheets (4.5 rounded up) make a quorum.
    conflicted = ["m7", "m8"]
    assert has_quorum(RULES, EIGHT, EIGHT[:5], "m1", conflicted)
    assert not has_quorum(RULES, EIGHT, EIGHT[:4], "m1", conflicted)
    # Without the exclusion five of eight would not do.
    assert not has_quorum(RULES, EIGHT, EIGHT[:5], "m1")


def test_sheets_of_conflicted_members_and_strangers_do_not_count() -> None:
    present = [*EIGHT[:4], "m8", "outsider"]
    assert not has_quorum(RULES, EIGHT, present, "m1", conflicted=["m8"])


def test_a_conflicted_chair_cannot_make_a_quorum() -> None:
    assert not has_quorum(RULES, EIGHT, EIGHT, "m1", conflicted=["m1"])


def test_no_eligible_member_no_quorum() -> None:
    assert not has_quorum(RULES, [], [], "m1")
    assert not has_quorum(CouncilRules(chair_required=False), ["a"], ["a"], "a", ["a"])


def test_custom_fraction() -> None:
    rules = CouncilRules(quorum_numerator=2, quorum_denominator=3)
    assert rules.quorum_size(6) == 4
    assert has_quorum(rules, EIGHT[:6], EIGHT[:4], "m1")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quorum_numerator": 0},
        {"quorum_numerator": 5, "quorum_denominator": 4},
        {"quorum_denominator": 0},
        {"max_spread": -1.0},
    ],
)
def test_invalid_rules(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        CouncilRules(**kwargs)  # type: ignore[arg-type]


def test_spread() -> None:
    assert spread([80, 72, 90]) == 18
    assert spread([75]) == 0
    with pytest.raises(ValueError):
        spread([])


def test_spread_of_exactly_the_maximum_is_allowed() -> None:
    assert not RULES.spread_exceeded([80, 90])
    assert not RULES.spread_exceeded([70.1, 80.1])  # 9.999999999999986 in floats
    assert RULES.spread_exceeded([80, 90.01])
    assert RULES.spread_exceeded([80, 91])


def test_custom_maximum_spread() -> None:
    rules = CouncilRules(max_spread=5)
    assert not rules.spread_exceeded([80, 85])
    assert rules.spread_exceeded([80, 86])


@SETTINGS
@given(
    st.integers(min_value=1, max_value=15).flatmap(
        lambda n: st.tuples(st.just(n), st.sets(st.integers(0, n - 1)), st.integers(0, n - 1))
    )
)
def test_one_more_sheet_never_loses_a_quorum(case: tuple[int, set[int], int]) -> None:
    n, present, extra = case
    members = [f"m{i}" for i in range(n)]
    authors = [members[i] for i in present]
    before = has_quorum(RULES, members, authors, "m0")
    after = has_quorum(RULES, members, [*authors, members[extra]], "m0")
    assert after or not before


@SETTINGS
@given(st.lists(st.integers(0, 100), min_size=1, max_size=12))
def test_spread_is_the_width_of_the_totals(totals: list[int]) -> None:
    width = spread(totals)
    assert width >= 0
    assert all(min(totals) <= t <= min(totals) + width for t in totals)
    shuffled = sorted(totals, reverse=True)
    assert spread(shuffled) == width
    assert RULES.spread_exceeded(totals) == (width > 10)
