"""Dates for people (shared.catalogue.dates): Vietnamese and English conventions, Vietnam's
time zone for timestamps, and Decree 30's leading zero on a formal date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shared.catalogue.dates import day, formal_day, local_date, moment

EVENING_UTC = datetime(2026, 12, 6, 18, 30, tzinfo=UTC)  # 01:30 on 7 December in Hà Nội


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (date(2026, 12, 6), "06/12/2026", "6 Dec 2026"),
        ("2026-01-05", "05/01/2026", "5 Jan 2026"),
        (EVENING_UTC, "07/12/2026", "7 Dec 2026"),
        ("2026-12-06T18:30:00+00:00", "07/12/2026", "7 Dec 2026"),
        ("2026-12-06T18:30:00Z", "07/12/2026", "7 Dec 2026"),
        ("2026-12-06T16:59:59", "06/12/2026", "6 Dec 2026"),  # no offset: UTC, 23:59 there
    ],
)
def test_day(value: object, vi: str, en: str) -> None:
    assert day(value, "vi") == vi  # type: ignore[arg-type]
    assert day(value, "en") == en  # type: ignore[arg-type]


def test_a_utc_evening_is_the_next_day_in_vietnam() -> None:
    assert local_date(EVENING_UTC) == date(2026, 12, 7)
    assert moment(EVENING_UTC, "vi") == "07/12/2026 01:30"
    assert moment(EVENING_UTC, "en") == "7 Dec 2026, 01:30"
    assert formal_day(EVENING_UTC) == "ngày 07 tháng 12 năm 2026"


def test_moment_reads_any_offset_in_vietnams_time() -> None:
    in_tokyo = datetime(2026, 12, 6, 23, 0, tzinfo=timezone(timedelta(hours=9)))
    assert moment(in_tokyo, "vi") == "06/12/2026 21:00"
    assert moment("2026-12-06T07:30:00+07:00", "vi") == "06/12/2026 07:30"
    assert moment("2026-12-06T02:05:00", "en") == "6 Dec 2026, 09:05"  # naive is UTC
    # A bare date has no time to show.
    assert moment("2026-12-06", "vi") == "06/12/2026"


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        # Decree 30/2020/NĐ-CP: days below 10 and the months 1 and 2 take a leading zero...
        (date(2026, 1, 5), "ngày 05 tháng 01 năm 2026", "5 January 2026"),
        (date(2026, 2, 28), "ngày 28 tháng 02 năm 2026", "28 February 2026"),
        # ...the months from 3 on do not.
        (date(2026, 3, 5), "ngày 05 tháng 3 năm 2026", "5 March 2026"),
        (date(2026, 9, 15), "ngày 15 tháng 9 năm 2026", "15 September 2026"),
        (date(2026, 12, 6), "ngày 06 tháng 12 năm 2026", "6 December 2026"),
    ],
)
def test_formal_day(value: date, vi: str, en: str) -> None:
    assert formal_day(value, "vi") == vi
    assert formal_day(value, "en") == en


@pytest.mark.parametrize("fn", [day, moment, formal_day])
@pytest.mark.parametrize("empty", [None, ""])
def test_no_value_is_a_dash(fn, empty) -> None:
    assert fn(empty, "vi") == fn(empty, "en") == "—"
