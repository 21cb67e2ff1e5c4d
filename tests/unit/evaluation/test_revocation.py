"""Revocation: the six grounds, the 15-day limit and the revoking authority."""

from __future__ import annotations

from datetime import date

import pytest

from services.evaluation.domain.regime import FOUR_LEVEL, TWO_TIER, Regime
from services.evaluation.domain.revocation import (
    RevocationCase,
    RevocationGround,
    open_case,
    revocation_due,
    revoking_level,
)


def test_six_grounds_with_labels() -> None:
    assert len(RevocationGround) == 6
    assert len({g.label_vi for g in RevocationGround}) == 6
    assert len({g.label_en for g in RevocationGround}) == 6
    breach = RevocationGround.BREACH_OF_LAW
    for word in ("chất lượng", "an toàn thực phẩm", "môi trường", "sở hữu trí tuệ", "ghi nhãn"):
        assert word in breach.label_vi
    assert "giả mạo" in RevocationGround.UNTRUTHFUL_DOSSIER.label_vi
    assert RevocationGround("mark_misuse") is RevocationGround.MARK_MISUSE


def test_revocation_due_in_15_calendar_days() -> None:
    assert revocation_due(date(2026, 4, 20)) == date(2026, 5, 5)
    # 16 April + 15 = Friday 1 May (Labour Day), then a weekend: Monday 4 May.
    assert revocation_due(date(2026, 4, 16)) == date(2026, 5, 4)


def test_open_case() -> None:
    case = open_case("production_stopped", date(2026, 4, 20))
    assert case == RevocationCase(
        RevocationGround.PRODUCTION_STOPPED, date(2026, 4, 20), date(2026, 5, 5)
    )
    with pytest.raises(ValueError):
        open_case("bad_smell", date(2026, 4, 20))


@pytest.mark.parametrize(
    ("regime", "rank", "code"),
    [
        (FOUR_LEVEL, 3, "district"),
        (FOUR_LEVEL, 4, "province"),
        (FOUR_LEVEL, 5, "national"),
        (TWO_TIER, 3, "province"),
        (TWO_TIER, 4, "province"),
        (TWO_TIER, 5, "central"),
    ],
)
def test_the_recognising_authority_revokes(regime: Regime, rank: int, code: str) -> None:
    assert revoking_level(regime, rank).code == code
