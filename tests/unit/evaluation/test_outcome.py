"""Where a council result sends the dossier, in both regimes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.aggregation import CouncilResult, aggregate
from services.evaluation.domain.outcome import Outcome, OutcomeKind, decide
from services.evaluation.domain.regime import FOUR_LEVEL, TWO_TIER, Regime
from tests.unit.evaluation.sheets import SHEET, answers_for, members

SETTINGS = settings(max_examples=300, deadline=None, database=None)
REC, FWD, BACK, NOT = (
    OutcomeKind.RECOGNISED,
    OutcomeKind.FORWARDED,
    OutcomeKind.HANDED_BACK,
    OutcomeKind.NOT_RECOGNISED,
)

#: The procedure: a district forwards a mean of 70 or more, a province 90 or more.
FORWARDS_FROM = {
    ("four-level", "district"): 70,
    ("four-level", "province"): 90,
    ("two-tier", "province"): 90,
}

#: The minimum mean of each band, with every mark met: gives that rank.
MEAN_FOR_RANK = {1: 20.0, 2: 40.0, 3: 60.0, 4: 80.0, 5: 95.0}


def ranked(rank: int) -> CouncilResult:
    """A result of ``rank`` stars by its band, all marks met."""
    total = MEAN_FOR_RANK[rank]
    return CouncilResult({"A": total}, total, marks_met_level=5, member_count=5)


def test_ben_tre_frozen_durian_goes_to_the_national_council() -> None:
    # Provincial council under the 1048/2019 sheets (parts out of 35 / 25 / 40).
    durian = CouncilResult(
        part_means={"A": 31.0, "B": 24.0, "C": 38.0},
        total_mean=93.0,
        marks_met_level=5,
        member_count=7,
    )
    assert durian.display().total_mean == Decimal("93.0")
    assert durian.band == 5 and durian.star_rank == 5
    outcome = decide(FOUR_LEVEL, "province", durian)
    assert outcome.kind is FWD
    assert outcome.level.code == "national"
    assert outcome.decided_at.code == "province"
    assert outcome.star_rank == 5
    assert outcome.recognised_rank is None


def test_a_mean_of_93_with_a_5_star_mark_unmet_stays_at_the_province() -> None:
    durian = CouncilResult({"A": 31.0, "B": 24.0, "C": 38.0}, 93.0, 4, 7)
    outcome = decide(FOUR_LEVEL, "province", durian)
    assert (outcome.kind, outcome.level.code, outcome.star_rank) == (REC, "province", 4)
    assert outcome.recognised_rank == 4


def test_same_rule_from_member_sheets() -> None:
    sheets = members(answers_for(93, c1_5="c"), answers_for(93, c1_5="c"), answers_for(93))
    res = aggregate(sheets)
    assert res.total_mean == 93.0 and res.band == 5 and res.star_rank == 4
    assert decide(FOUR_LEVEL, "province", res).kind is REC
    assert decide(TWO_TIER, "province", res).kind is REC


@pytest.mark.parametrize(
    ("level", "rank", "kind", "concerned"),
    [
        ("district", 1, NOT, "district"),
        ("district", 2, NOT, "district"),
        ("district", 3, REC, "district"),
        ("district", 4, FWD, "province"),
        ("district", 5, FWD, "province"),  # the province scores before the nation does
        ("province", 2, NOT, "district"),
        ("province", 3, BACK, "district"),
        ("province", 4, REC, "province"),
        ("province", 5, FWD, "national"),
        ("national", 2, NOT, "district"),
        ("national", 3, BACK, "district"),
        ("national", 4, BACK, "province"),
        ("national", 5, REC, "national"),
    ],
)
def test_four_level_paths(level: str, rank: int, kind: OutcomeKind, concerned: str) -> None:
    outcome = decide(FOUR_LEVEL, level, ranked(rank))
    assert (outcome.kind, outcome.level.code) == (kind, concerned)
    assert outcome.decided_at.code == level


@pytest.mark.parametrize(
    ("level", "rank", "kind", "concerned"),
    [
        ("province", 2, NOT, "province"),
        ("province", 3, REC, "province"),
        ("province", 4, REC, "province"),
        ("province", 5, FWD, "national"),
        ("national", 2, NOT, "province"),
        ("national", 3, BACK, "province"),
        ("national", 4, BACK, "province"),
        ("national", 5, REC, "national"),
    ],
)
def test_two_tier_paths(level: str, rank: int, kind: OutcomeKind, concerned: str) -> None:
    outcome = decide(TWO_TIER, level, ranked(rank))
    assert (outcome.kind, outcome.level.code) == (kind, concerned)


def test_handed_back_outcome_carries_the_rank_to_recognise() -> None:
    outcome = decide(TWO_TIER, "national", ranked(4))
    assert outcome.recognised_rank == 4
    assert outcome.level.recognises(4)
    assert decide(TWO_TIER, "national", ranked(2)).recognised_rank is None


@pytest.mark.parametrize(("mean", "kind"), [(69.99, REC), (70.0, FWD), (49.99, NOT), (50.0, REC)])
def test_district_edges(mean: float, kind: OutcomeKind) -> None:
    res = CouncilResult({"A": mean}, mean, 5, 5)
    assert decide(FOUR_LEVEL, "district", res).kind is kind


@pytest.mark.parametrize(("mean", "kind"), [(89.99, REC), (90.0, FWD)])
def test_province_edges(mean: float, kind: OutcomeKind) -> None:
    res = CouncilResult({"A": mean}, mean, 5, 5)
    assert decide(FOUR_LEVEL, "province", res).kind is kind
    assert decide(TWO_TIER, "province", res).kind is kind


def test_a_knockout_is_not_recognised_whatever_the_score() -> None:
    knockout = next(rule for rule in SHEET.rules if rule.type == "knockout")
    res = aggregate(members(answers_for(100), answers_for(100)), findings=[knockout])
    for regime, level in ((FOUR_LEVEL, "national"), (TWO_TIER, "province")):
        outcome = decide(regime, level, res)
        assert outcome.kind is NOT and outcome.knocked_out
        assert outcome.level == regime.first_scoring_level


def test_the_commune_does_not_score() -> None:
    with pytest.raises(ValueError, match="reviews"):
        decide(FOUR_LEVEL, "commune", ranked(3))
    with pytest.raises(KeyError):
        decide(TWO_TIER, "district", ranked(3))


def test_level_may_be_passed_as_a_level() -> None:
    assert decide(TWO_TIER, TWO_TIER.level("national"), ranked(5)).kind is REC


@st.composite
def decisions(draw: st.DrawFn) -> tuple[Regime, Outcome, CouncilResult]:
    regime = draw(st.sampled_from([FOUR_LEVEL, TWO_TIER]))
    level = draw(st.sampled_from(regime.scoring_levels))
    total = draw(st.floats(min_value=0, max_value=100, allow_nan=False))
    marks = draw(st.integers(min_value=2, max_value=5))
    res = CouncilResult({"A": total}, total, marks, 3)
    return regime, decide(regime, level, res), res


@SETTINGS
@given(decisions())
def test_no_level_recognises_outside_its_authority(case: tuple) -> None:
    regime, outcome, res = case
    assert outcome.star_rank == res.star_rank <= res.band
    if outcome.recognised_rank is not None:
        assert outcome.level.recognises(outcome.recognised_rank)
    here = regime.levels.index(outcome.decided_at)
    there = regime.levels.index(outcome.level)
    match outcome.kind:
        case OutcomeKind.RECOGNISED:
            assert there == here
        case OutcomeKind.FORWARDED:
            assert there == here + 1
            assert outcome.star_rank > max(outcome.decided_at.authority)
            threshold = FORWARDS_FROM[(regime.name, outcome.decided_at.code.value)]
            assert res.total_mean >= threshold
        case OutcomeKind.HANDED_BACK:
            assert there < here and outcome.star_rank >= 3
        case OutcomeKind.NOT_RECOGNISED:
            assert outcome.star_rank < 3
            assert outcome.level == regime.first_scoring_level
