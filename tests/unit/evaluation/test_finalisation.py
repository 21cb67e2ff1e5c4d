"""Finalising a council: quorum first, then the spread, then the mean result and outcome."""

from __future__ import annotations

import pytest

from services.evaluation.domain.council_rules import CouncilRules
from services.evaluation.domain.finalisation import (
    Council,
    Finalised,
    NoQuorum,
    Reopened,
    finalise,
)
from services.evaluation.domain.outcome import OutcomeKind
from services.evaluation.domain.regime import FOUR_LEVEL, TWO_TIER
from tests.unit.evaluation.sheets import SHEET, answers_for, member

COUNCIL = Council(CouncilRules(), frozenset({"m1", "m2", "m3", "m4"}), chair="m1")


def sheets(*totals: int, marks: int = 5) -> list:
    return [member(f"m{i}", answers_for(t, marks=marks)) for i, t in enumerate(totals, start=1)]


def test_spread_of_exactly_ten_finalises() -> None:
    done = finalise(regime=TWO_TIER, level="province", council=COUNCIL, sheets=sheets(80, 90, 85))
    assert isinstance(done, Finalised)
    assert done.result.total_mean == 85.0
    assert done.outcome.kind is OutcomeKind.RECOGNISED and done.outcome.star_rank == 4


def test_spread_above_the_maximum_reopens_the_sheets() -> None:
    done = finalise(regime=TWO_TIER, level="province", council=COUNCIL, sheets=sheets(79, 90, 85))
    assert done == Reopened(spread=11.0, max_spread=10.0)


def test_per_council_maximum_spread() -> None:
    strict = Council(CouncilRules(max_spread=5), COUNCIL.members, "m1")
    done = finalise(regime=TWO_TIER, level="province", council=strict, sheets=sheets(80, 86, 85))
    assert isinstance(done, Reopened) and done.max_spread == 5


def test_refused_without_quorum() -> None:
    with pytest.raises(NoQuorum):
        finalise(regime=TWO_TIER, level="province", council=COUNCIL, sheets=sheets(80, 85))
    without_chair = [member(f"m{i}", answers_for(80)) for i in (2, 3, 4)]
    with pytest.raises(NoQuorum):
        finalise(regime=TWO_TIER, level="province", council=COUNCIL, sheets=without_chair)


def test_quorum_counts_without_conflicted_members() -> None:
    council = Council(CouncilRules(), COUNCIL.members, "m1", conflicted=frozenset({"m4"}))
    done = finalise(regime=FOUR_LEVEL, level="district", council=council, sheets=sheets(60, 62, 64))
    assert isinstance(done, Finalised)
    assert done.outcome.kind is OutcomeKind.RECOGNISED and done.outcome.level.code == "district"


def test_sheets_from_conflicted_members_or_strangers_are_refused() -> None:
    council = Council(CouncilRules(), COUNCIL.members, "m1", conflicted=frozenset({"m3"}))
    with pytest.raises(ValueError, match="m3"):
        finalise(regime=TWO_TIER, level="province", council=council, sheets=sheets(80, 80, 80))
    stranger = [*sheets(80, 80, 80), member("x9", answers_for(80))]
    with pytest.raises(ValueError, match="x9"):
        finalise(regime=TWO_TIER, level="province", council=COUNCIL, sheets=stranger)


def test_a_knockout_ends_the_evaluation_whatever_the_spread() -> None:
    knockout = next(rule for rule in SHEET.rules if rule.type == "knockout")
    done = finalise(
        regime=FOUR_LEVEL,
        level="province",
        council=COUNCIL,
        sheets=sheets(60, 95, 90),
        findings=[knockout],
    )
    assert isinstance(done, Finalised)
    assert done.outcome.kind is OutcomeKind.NOT_RECOGNISED and done.outcome.knocked_out


def test_a_5_star_result_is_forwarded() -> None:
    done = finalise(regime=FOUR_LEVEL, level="province", council=COUNCIL, sheets=sheets(92, 96, 94))
    assert isinstance(done, Finalised)
    assert done.outcome.kind is OutcomeKind.FORWARDED and done.outcome.level.code == "national"
