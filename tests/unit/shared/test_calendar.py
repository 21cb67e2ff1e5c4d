"""The shared calendar: working days in Vietnam (Tết included), the yearly notices that add days
off and declare working Saturdays, and the deadlines counted on them (Civil Code Art. 147 and
148.5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.calendar import (
    TIMEZONE,
    Deadline,
    Notice,
    NoticeError,
    WorkingCalendar,
    local_date,
    parse_notice,
)

SETTINGS = settings(max_examples=200, deadline=None, database=None)
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31))
VIETNAM = WorkingCalendar()  # the public holidays, no notice loaded
TEN_DAYS = Deadline("ten", 10, working_days=False)


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
    working = {date(2027, 2, d) for d in range(1, 15) if VIETNAM.is_working_day(date(2027, 2, d))}
    assert working == {date(2027, 2, d) for d in (1, 2, 3, 11, 12)}
    assert VIETNAM.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert VIETNAM.add_working_days(date(2027, 1, 29), 5) == date(2027, 2, 12)
    assert VIETNAM.working_days_between(date(2027, 1, 31), date(2027, 2, 14)) == 5


def test_weekends_and_public_holidays() -> None:
    assert not VIETNAM.is_working_day(date(2026, 6, 13))  # Saturday
    assert not VIETNAM.is_working_day(date(2026, 6, 14))  # Sunday
    assert VIETNAM.is_working_day(date(2026, 6, 15))
    assert not VIETNAM.is_working_day(date(2026, 9, 2))  # National Day
    assert not VIETNAM.is_working_day(date(2026, 2, 17))  # Tết 2026
    assert not VIETNAM.is_working_day(date(2026, 11, 24))  # Vietnam Culture Day, from 2026


def test_a_declared_working_saturday_counts() -> None:
    # 2026: Monday 31 August off in exchange for Saturday 22 August worked; 2025: Friday 2 May
    # off for Saturday 26 April.
    assert VIETNAM.is_working_day(date(2026, 8, 22))
    assert not VIETNAM.is_working_day(date(2026, 8, 31))
    assert VIETNAM.is_working_day(date(2025, 4, 26))
    # Filed on Friday 14 August 2026: the 6th working day is that Saturday.
    assert VIETNAM.add_working_days(date(2026, 8, 14), 6) == date(2026, 8, 22)


def test_add_working_days_counts_from_the_next_day() -> None:
    friday = date(2026, 6, 12)
    assert VIETNAM.add_working_days(friday, 0) == friday
    assert VIETNAM.add_working_days(friday, 1) == date(2026, 6, 15)
    assert VIETNAM.add_working_days(date(2026, 6, 13), 0) == date(2026, 6, 13)
    with pytest.raises(ValueError):
        VIETNAM.add_working_days(friday, -1)


def test_a_deadline_ending_on_a_sunday_or_a_holiday_moves_to_the_next_working_day() -> None:
    # Ten days after Thursday 4 June 2026 is Sunday 14 June: due Monday 15 June.
    assert TEN_DAYS.due(date(2026, 6, 4), VIETNAM) == date(2026, 6, 15)
    # Ten days after Tuesday 22 December 2026 is Friday 1 January 2027 (New Year's Day), then a
    # weekend: due Monday 4 January.
    assert TEN_DAYS.due(date(2026, 12, 22), VIETNAM) == date(2027, 1, 4)
    # 23 Dec 2026 + 45 days = Saturday 6 Feb 2027, in Tết: due the next working day.
    assert Deadline("d", 45, working_days=False).due(date(2026, 12, 23), VIETNAM) == date(
        2027, 2, 11
    )
    # Ending on a working day, it stays.
    assert TEN_DAYS.due(date(2026, 6, 5), VIETNAM) == date(2026, 6, 15)


def test_a_deadline_ending_on_a_declared_working_saturday_ends_there() -> None:
    # Ten days after Wednesday 12 August 2026 is Saturday 22 August, a working day that year.
    assert TEN_DAYS.due(date(2026, 8, 12), VIETNAM) == date(2026, 8, 22)
    # Ten days after Thursday 13 August is Sunday 23 August: Monday 24.
    assert TEN_DAYS.due(date(2026, 8, 13), VIETNAM) == date(2026, 8, 24)


def test_a_notice_adds_days_off_and_working_days() -> None:
    notice = Notice(
        2027,
        "Thông báo thử",
        days_off=frozenset({date(2027, 2, 3)}),
        working_days=frozenset({date(2027, 2, 20)}),
    )
    calendar = WorkingCalendar.of([notice])
    assert not calendar.is_working_day(date(2027, 2, 3))
    assert calendar.is_working_day(date(2027, 2, 20))  # a Saturday
    assert VIETNAM.is_working_day(date(2027, 2, 3)) and not VIETNAM.is_working_day(
        date(2027, 2, 20)
    )
    # Received Tuesday 2 February 2027: 3 February is off now, Tết runs to the 10th; the 8th
    # working day is Saturday 20 February (without the notice: Friday 19 February).
    assert calendar.add_working_days(date(2027, 2, 2), 8) == date(2027, 2, 20)
    assert VIETNAM.add_working_days(date(2027, 2, 2), 8) == date(2027, 2, 19)
    # A period ending on the added day off moves on.
    assert Deadline("d", 1, working_days=False).due(date(2027, 2, 2), calendar) == date(2027, 2, 11)


def test_a_notice_is_read_from_its_json_form() -> None:
    notice = parse_notice(
        {
            "year": 2027,
            "reference": " Thông báo 1/TB-BNV ",
            "days_off": ["2027-02-03", "2027-02-03"],
            "working_days": ["2027-02-20"],
        }
    )
    assert notice == Notice(
        2027, "Thông báo 1/TB-BNV", frozenset({date(2027, 2, 3)}), frozenset({date(2027, 2, 20)})
    )
    assert notice.as_payload() == {
        "year": 2027,
        "reference": "Thông báo 1/TB-BNV",
        "days_off": ["2027-02-03"],
        "working_days": ["2027-02-20"],
    }
    assert parse_notice(notice.as_payload()) == notice
    assert parse_notice({"year": 2028, "reference": "x"}) == Notice(2028, "x")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "JSON object"),
        ({"reference": "x"}, "year"),
        ({"year": "2027", "reference": "x"}, "year"),
        ({"year": 2027}, "reference"),
        ({"year": 2027, "reference": "x", "days_off": "2027-02-03"}, "a list of dates"),
        ({"year": 2027, "reference": "x", "days_off": ["3/2/2027"]}, "is not a date"),
        ({"year": 2027, "reference": "x", "working_days": ["2026-12-26"]}, "not in 2027"),
        (
            {
                "year": 2027,
                "reference": "x",
                "days_off": ["2027-02-20"],
                "working_days": ["2027-02-20"],
            },
            "both",
        ),
        ({"year": 2027, "reference": "x", "holidays": []}, "unknown fields: holidays"),
    ],
)
def test_a_bad_notice_says_what_is_wrong(data: object, problem: str) -> None:
    with pytest.raises(NoticeError, match=problem):
        parse_notice(data)


def test_working_days_between_is_signed() -> None:
    assert VIETNAM.working_days_between(date(2026, 6, 15), date(2026, 6, 15)) == 0
    assert VIETNAM.working_days_between(date(2026, 6, 12), date(2026, 6, 19)) == 5
    assert VIETNAM.working_days_between(date(2026, 6, 19), date(2026, 6, 12)) == -5


@SETTINGS
@given(DAYS, st.integers(min_value=0, max_value=60))
def test_adding_a_working_day_never_goes_backwards(start: date, n: int) -> None:
    due = VIETNAM.add_working_days(start, n)
    later = VIETNAM.add_working_days(start, n + 1)
    assert start <= due < later
    assert VIETNAM.is_working_day(later)
    assert VIETNAM.working_days_between(start, later) == n + 1
    assert VIETNAM.working_days_between(start, due) == n


@SETTINGS
@given(DAYS, st.integers(min_value=0, max_value=60))
def test_calendar_day_deadlines_are_never_early(start: date, days: int) -> None:
    due = Deadline("d", days, working_days=False).due(start, VIETNAM)
    assert due >= start + timedelta(days=days)
    assert VIETNAM.is_working_day(due)
    assert all(
        not VIETNAM.is_working_day(start + timedelta(days=k))
        for k in range(days, (due - start).days)
    )
