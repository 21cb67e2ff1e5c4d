"""Programme regimes: the level chain and each level's authority."""

from __future__ import annotations

import pytest

from services.evaluation.domain.regime import (
    FOUR_LEVEL,
    TWO_TIER,
    Level,
    LevelCode,
    Regime,
    regime_by_name,
)

C, D, P, N = (LevelCode.COMMUNE, LevelCode.DISTRICT, LevelCode.PROVINCE, LevelCode.NATIONAL)


def test_four_level_chain_and_authority() -> None:
    assert [lvl.code for lvl in FOUR_LEVEL.levels] == [C, D, P, N]
    assert FOUR_LEVEL.level(C).authority == frozenset()
    assert FOUR_LEVEL.level(D).authority == {3}
    assert FOUR_LEVEL.level(P).authority == {4}
    assert FOUR_LEVEL.level(N).authority == {5}
    assert [lvl.code for lvl in FOUR_LEVEL.scoring_levels] == [D, P, N]
    assert FOUR_LEVEL.first_scoring_level.code == D


def test_two_tier_chain_and_authority() -> None:
    assert [lvl.code for lvl in TWO_TIER.levels] == [C, P, N]
    assert TWO_TIER.level("province").authority == {3, 4}
    assert TWO_TIER.level("national").authority == {5}
    assert [lvl.code for lvl in TWO_TIER.scoring_levels] == [P, N]
    assert TWO_TIER.first_scoring_level.code == P


def test_commune_reviews_only() -> None:
    commune = FOUR_LEVEL.level("commune")
    assert not commune.scores
    assert commune.highest_authority is None
    assert not any(commune.recognises(rank) for rank in range(1, 6))


def test_next_level() -> None:
    assert FOUR_LEVEL.next_level("commune") == FOUR_LEVEL.level("district")
    assert FOUR_LEVEL.next_level(FOUR_LEVEL.level("province")) == FOUR_LEVEL.level("national")
    assert FOUR_LEVEL.next_level("national") is None
    assert TWO_TIER.next_level("province") == TWO_TIER.level("national")


def test_unknown_level_in_regime() -> None:
    with pytest.raises(KeyError, match="district"):
        TWO_TIER.level("district")
    with pytest.raises(KeyError):
        TWO_TIER.next_level("central")  # a former name, read only where data comes in
    assert TWO_TIER.next_level("national") is None  # one name for the top in both regimes


@pytest.mark.parametrize(
    ("regime", "rank", "code"),
    [
        (FOUR_LEVEL, 3, D),
        (FOUR_LEVEL, 4, P),
        (FOUR_LEVEL, 5, N),
        (TWO_TIER, 3, P),
        (TWO_TIER, 4, P),
        (TWO_TIER, 5, N),
    ],
)
def test_recognising_level(regime: Regime, rank: int, code: LevelCode) -> None:
    assert regime.recognising_level(rank).code == code


@pytest.mark.parametrize("rank", [0, 1, 2, 6])
def test_no_level_recognises_outside_3_to_5(rank: int) -> None:
    with pytest.raises(ValueError):
        FOUR_LEVEL.recognising_level(rank)


def test_regime_by_name() -> None:
    assert regime_by_name("four-level") is FOUR_LEVEL
    assert regime_by_name("two-tier") is TWO_TIER
    with pytest.raises(KeyError, match="four-level, two-tier"):
        regime_by_name("three-level")


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        ((Level(C), Level(P, frozenset({3, 4}))), "cover"),  # nobody recognises 5★
        ((Level(C), Level(D, frozenset({3})), Level(N, frozenset({5}))), "cover"),  # no 4★
        ((Level(C), Level(P, frozenset({4, 5})), Level(N, frozenset({3}))), "right above"),
        ((Level(C), Level(P, frozenset({3, 4})), Level(N, frozenset({4, 5}))), "right above"),
        ((Level(P, frozenset({3, 4, 5})), Level(C)), "review-only"),
        ((Level(C), Level(C), Level(P, frozenset({3, 4, 5}))), "twice"),
        ((Level(C),), "no level"),
    ],
)
def test_inconsistent_regimes_are_refused(levels: tuple[Level, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Regime("broken", levels)


def test_level_authority_must_be_a_range_of_recognised_ranks() -> None:
    with pytest.raises(ValueError, match="contiguous"):
        Level(P, frozenset({3, 5}))
    with pytest.raises(ValueError, match="outside"):
        Level(P, frozenset({2, 3}))


def test_a_one_level_regime_is_allowed() -> None:
    regime = Regime("single", (Level(C), Level(P, frozenset({3, 4, 5}))))
    assert regime.next_level("province") is None
    assert regime.recognising_level(5).code == P
