"""Revocation: the six grounds and the 15-day limit."""

from __future__ import annotations

from datetime import date

import pytest

from services.evaluation.domain.deadlines import REVOCATION
from services.evaluation.domain.revocation import RevocationGround, revocation_due
from shared.calendar import WorkingCalendar

VIETNAM = WorkingCalendar()


def test_six_grounds() -> None:
    assert len(RevocationGround) == 6
    assert RevocationGround("mark_misuse") is RevocationGround.MARK_MISUSE
    with pytest.raises(ValueError):
        RevocationGround("bad_smell")


def test_revocation_due_in_15_calendar_days() -> None:
    assert not REVOCATION.working_days and REVOCATION.days == 15
    assert revocation_due(date(2026, 4, 20), VIETNAM) == date(2026, 5, 5)
    # 16 April + 15 = Friday 1 May (Labour Day), then a weekend: Monday 4 May.
    assert revocation_due(date(2026, 4, 16), VIETNAM) == date(2026, 5, 4)
    # A notice that makes Saturday 2 May a working day ends it there.
    notice = WorkingCalendar(extra_working_days=frozenset({date(2026, 5, 2)}))
    assert revocation_due(date(2026, 4, 16), notice) == date(2026, 5, 2)
