"""Working days in Vietnam (Tết included) and the deadlines built on them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.calendar import (
    INTAKE,
    REEVALUATION_DECISION,
    REVOCATION,
    TIMEZONE,
    Deadline,
    WorkingCalendar,
    add_working_days,
    is_working_day,
    local_date,
    working_days_between,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))


def test_timezone_is_ho_chi_minh_city() -> None:
    assert str(TIMEZONE) == "Asia/Ho_Chi_Minh"
    assert local_date(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert local_date(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)) == date(2026, 12, 31)
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 12, 31, 17, 0))


def test_the_holidays_package_includes_tet() -> None:
    vn = holidays.country_holidays("VN", years=2027)
    assert date(2027, 2, 6) in vn  # Tết Nguyên Đán, 1st day of the lunar year (a Saturday)
    assert date(2027, 2, 5) in vn  # New Year's Eve


def test_tet_week_2027() -> None:
    # Tết 2027 falls on Saturday 6 February; the package gives 4–10 February off (the
    # weekend days moved to Thursday 4 and Wednesday 10).
    working = {date(2027, 2, d) for d in range(1, 15) if is_working_day(date(2027, 2, d))}
    assert working == {date(2027, 2, d) for d in (1, 2, 3, 11, 12)}
    assert add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert add_working_days(date(2027, 1, 29), 5) == date(2027, 2, 12)
    assert working_days_between(date(2027, 1, 31), date(2027, 2, 14)) == 5


def test_weekends_and_public_holidays() -> None:
    assert not is_working_day(date(2026, 6, 13))  # Saturday
    assert not is_working_day(date(2026, 6, 14))  # Sunday
    assert is_working_day(date(2026, 6, 15))
    assert not is_working_day(date(2026, 9, 2))  # National Day
    assert not is_working_day(date(2026, 2, 17))  # Tết 2026
    assert not is_working_day(date(2026, 11, 24))  # Vietnam Culture Day, from 2026


def test_swapped_days() -> None:
    # 2026: Monday 31 August off in exchange for Saturday 22 August worked.
    assert not is_working_day(date(2026, 8, 31))
    assert is_working_day(date(2026, 8, 22))


def test_add_working_days_counts_from_the_next_day() -> None:
    friday = date(2026, 6, 12)
    assert add_working_days(friday, 0) == friday
    assert add_working_days(friday, 1) == date(2026, 6, 15)
    assert add_working_days(date(2026, 6, 13), 0) == date(2026, 6, 13)
    with pytest.raises(ValueError):
        add_working_days(friday, -1)


def test_intake_deadline_is_15_working_days() -> None:
    # Received Friday 24 April 2026: 27 April (Giỗ Tổ, observed), 30 April and 1 May off.
    assert (INTAKE.days, INTAKE.working_days) == (15, True)
    assert INTAKE.due(date(2026, 4, 24)) == date(2026, 5, 20)


def test_calendar_day_deadlines_end_on_a_working_day() -> None:
    assert not REEVALUATION_DECISION.working_days and REEVALUATION_DECISION.days == 45
    assert not REVOCATION.working_days and REVOCATION.days == 15
    assert REEVALUATION_DECISION.due(date(2026, 6, 1)) == date(2026, 7, 16)  # a Thursday
    # 23 Dec 2026 + 45 days = Saturday 6 Feb 2027, in Tết: due the next working day.
    assert REEVALUATION_DECISION.due(date(2026, 12, 23)) == date(2027, 2, 11)


def test_working_calendar_takes_a_year_notice() -> None:
    extra = WorkingCalendar(
        extra_holidays=frozenset({date(2027, 2, 3)}),
        extra_working_days=frozenset({date(2027, 2, 6)}),
    )
    assert not extra.is_working_day(date(2027, 2, 3))
    assert extra.is_working_day(date(2027, 2, 6))
    assert extra.add_working_days(date(2027, 2, 2), 1) == date(2027, 2, 6)
    assert INTAKE.due(date(2027, 2, 2), extra) == extra.add_working_days(date(2027, 2, 2), 15)


def test_working_days_between_is_signed() -> None:
    assert working_days_between(date(2026, 6, 15), date(2026, 6, 15)) == 0
    assert working_days_between(date(2026, 6, 12), date(2026, 6, 19)) == 5
    assert working_days_between(date(2026, 6, 19), date(2026, 6, 12)) == -5


@SETTINGS
@given(DAYS, st.integers(min_value=0, max_value=60))
def test_adding_a_working_day_never_goes_backwards(start: date, n: int) -> None:
    due = add_working_days(start, n)
    later = add_working_days(start, n + 1)
    assert start <= due < later
    assert is_working_day(later)
    assert working_days_between(start, later) == n + 1
    assert working_days_between(start, due) == n


@SETTINGS
@given(DAYS, st.integers(min_value=0, max_value=60))
def test_calendar_day_deadlines_are_never_early(start: date, days: int) -> None:
    due = Deadline("d", days, working_days=False).due(start)
    assert due >= start + timedelta(days=days)
    assert is_working_day(due)
    assert all(
        not is_working_day(start + timedelta(days=k)) for k in range(days, (due - start).days)
    )
