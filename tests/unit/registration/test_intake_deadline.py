"""The commune's intake deadline (15 working days from receipt), owned by registration: against an
independent count over every filing date of 2025–2026, including the 41 on which the portal's
own arithmetic (deleted) showed a date a working day late, because it took the Saturdays
declared working days for days off."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays
import pytest

from services.registration.domain.intake import INTAKE, intake_due_on
from shared.calendar import Notice, WorkingCalendar

VIETNAM = WorkingCalendar()

# Vietnam's days off for officials, weekdays only, as the government announced them for 2025
# and 2026 (and 1 January 2027, which the last filings of 2026 reach), written out by hand.
_DAYS_OFF = {
    # 2025: New Year; Tết Ất Tỵ (Monday 27 to Friday 31 January); Hùng Kings; 30 April,
    # 1 May and Friday 2 May (worked on Saturday 26 April); National Day (1–2 September).
    date(2025, 1, 1),
    *(date(2025, 1, d) for d in range(27, 32)),
    date(2025, 4, 7),
    date(2025, 4, 30),
    date(2025, 5, 1),
    date(2025, 5, 2),
    date(2025, 9, 1),
    date(2025, 9, 2),
    # 2026: New Year; Tết Bính Ngọ (Monday 16 to Friday 20 February); Hùng Kings (Sunday 26
    # April, observed Monday 27); 30 April, 1 May; Monday 31 August (worked on Saturday
    # 22 August), 1–2 September; Vietnam Culture Day (24 November).
    date(2026, 1, 1),
    *(date(2026, 2, d) for d in range(16, 21)),
    date(2026, 4, 27),
    date(2026, 4, 30),
    date(2026, 5, 1),
    date(2026, 8, 31),
    date(2026, 9, 1),
    date(2026, 9, 2),
    date(2026, 11, 24),
    date(2027, 1, 1),
}
_WORKED_SATURDAYS = {date(2025, 4, 26), date(2026, 8, 22)}
FILING_DATES = [date(2025, 1, 1) + timedelta(days=n) for n in range(730)]


def _independent_due(received_on: date) -> date:
    """The 15th working day after ``received_on``, counted one day at a time."""
    day, left = received_on, 15
    while left:
        day += timedelta(days=1)
        if day in _WORKED_SATURDAYS or (day.weekday() < 5 and day not in _DAYS_OFF):
            left -= 1
    return day


@cache
def _package(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=[year, year + 1])


def _portal_before(filed_on: date) -> date:
    """What the portal showed (services/portal/deadlines.py, now deleted): Monday to Friday
    less the package's holidays, blind to the Saturdays declared working days."""
    day, left = filed_on, 15
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in _package(filed_on.year):
            left -= 1
    return day


def test_the_portal_was_late_on_41_filing_dates_and_the_rule_now_agrees() -> None:
    late = [d for d in FILING_DATES if _portal_before(d) != _independent_due(d)]
    assert len(late) == 41
    for filed_on in late:
        due = intake_due_on("submitted", filed_on, VIETNAM)
        assert due == _independent_due(filed_on), filed_on
        # The portal's date was later, by one working day.
        assert _portal_before(filed_on) > due
        assert VIETNAM.working_days_between(due, _portal_before(filed_on)) == 1
    # They are filings whose 15 days include a Saturday declared a working day.
    assert all(any(d < s <= _independent_due(d) for s in _WORKED_SATURDAYS) for d in late)
    assert {d.year for d in late} == {2025, 2026}


def test_every_filing_date_of_2025_and_2026_agrees_with_the_independent_count() -> None:
    wrong = [
        d for d in FILING_DATES if intake_due_on("submitted", d, VIETNAM) != _independent_due(d)
    ]
    assert wrong == []


def test_the_intake_deadline_is_15_working_days() -> None:
    assert (INTAKE.days, INTAKE.working_days) == (15, True)
    # Received Friday 24 April 2026: 27 April (Giỗ Tổ, observed), 30 April and 1 May off.
    assert intake_due_on("submitted", date(2026, 4, 24), VIETNAM) == date(2026, 5, 20)
    # Filed on Friday 2 October 2026: 15 working days later is Friday 23 October.
    assert intake_due_on("resubmitted", date(2026, 10, 2), VIETNAM) == date(2026, 10, 23)


def test_a_notice_loaded_for_the_year_moves_it() -> None:
    # A notice giving Friday 16 October 2026 off: the same filing is due a working day later.
    notice = Notice(2026, "Thông báo thử", days_off=frozenset({date(2026, 10, 16)}))
    calendar = WorkingCalendar.of([notice])
    assert intake_due_on("submitted", date(2026, 10, 2), calendar) == date(2026, 10, 26)


@pytest.mark.parametrize("status", ["draft", "returned", "accepted", "withdrawn"])
def test_only_a_dossier_awaiting_the_check_has_one(status: str) -> None:
    assert intake_due_on(status, date(2026, 10, 2), VIETNAM) is None
    assert intake_due_on("submitted", None, VIETNAM) is None
