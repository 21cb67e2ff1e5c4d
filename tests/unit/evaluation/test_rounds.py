"""Evaluation rounds of Decision 26/2026 and which round takes a proposal."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.regime import LevelCode
from services.evaluation.domain.rounds import Round, default_rounds, round_for

SETTINGS = settings(max_examples=300, deadline=None, database=None)
P, Z = LevelCode.PROVINCE, LevelCode.NATIONAL


def test_province_rounds() -> None:
    assert default_rounds("province", 2026) == (
        Round(P, closes_on=date(2026, 6, 30), proposals_due=date(2026, 4, 30)),
        Round(P, closes_on=date(2026, 12, 30), proposals_due=date(2026, 10, 30)),
    )


def test_ministry_rounds_for_the_national_council() -> None:
    rounds = default_rounds("national", 2027)
    assert [(r.proposals_due, r.closes_on) for r in rounds] == [
        (date(2027, 1, 30), date(2027, 3, 30)),
        (date(2027, 7, 30), date(2027, 9, 30)),
    ]
    national = default_rounds("national", 2027)
    assert [(r.proposals_due, r.closes_on) for r in national] == [
        (r.proposals_due, r.closes_on) for r in rounds
    ]


def test_no_default_rounds_for_a_district() -> None:
    with pytest.raises(ValueError, match="district"):
        default_rounds("district", 2026)
    with pytest.raises(ValueError):
        default_rounds("village", 2026)


@pytest.mark.parametrize(
    ("proposed", "closes"),
    [
        (date(2026, 1, 2), date(2026, 6, 30)),
        (date(2026, 4, 30), date(2026, 6, 30)),  # on the due date: still in time
        (date(2026, 5, 1), date(2026, 12, 30)),
        (date(2026, 10, 30), date(2026, 12, 30)),
        (date(2026, 10, 31), date(2027, 6, 30)),  # rolls into next year
        (date(2026, 12, 31), date(2027, 6, 30)),
    ],
)
def test_province_round_for(proposed: date, closes: date) -> None:
    assert round_for(proposed, "province").closes_on == closes


@pytest.mark.parametrize(
    ("proposed", "closes"),
    [
        (date(2026, 1, 30), date(2026, 3, 30)),
        (date(2026, 1, 31), date(2026, 9, 30)),
        (date(2026, 7, 30), date(2026, 9, 30)),
        (date(2026, 7, 31), date(2027, 3, 30)),
        (date(2026, 12, 31), date(2027, 3, 30)),
    ],
)
def test_ministry_round_for(proposed: date, closes: date) -> None:
    assert round_for(proposed, Z).closes_on == closes


def test_extra_rounds_are_taken_when_earlier() -> None:
    extra = Round(P, closes_on=date(2026, 6, 15), proposals_due=date(2026, 5, 15))
    other_level = Round(Z, closes_on=date(2026, 5, 20), proposals_due=date(2026, 5, 12))
    assert round_for(date(2026, 5, 10), P, extra_rounds=[extra, other_level]) == extra
    assert round_for(date(2026, 5, 16), P, extra_rounds=[extra]).closes_on == date(2026, 12, 30)


def test_a_round_closes_after_its_proposals_are_due() -> None:
    with pytest.raises(ValueError):
        Round(P, closes_on=date(2026, 4, 1), proposals_due=date(2026, 4, 30))


@SETTINGS
@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2035, 12, 31)),
    st.sampled_from([P, Z]),
)
def test_round_for_is_the_first_in_time(proposed: date, level: LevelCode) -> None:
    chosen = round_for(proposed, level)
    assert chosen.level == level
    assert chosen.takes(proposed) and chosen.proposals_due >= proposed
    assert (chosen.proposals_due - proposed).days < 366
    earlier = [
        r
        for year in (proposed.year - 1, proposed.year, proposed.year + 1)
        for r in default_rounds(level, year)
        if proposed <= r.proposals_due < chosen.proposals_due
    ]
    assert earlier == []
