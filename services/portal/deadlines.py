"""The commune's intake deadline shown in its queue: 15 working days from filing (DOMAIN.md),
counted in Vietnam with its public holidays. Display only; the services enforce deadlines."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

INTAKE_WORKING_DAYS = 15


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=[year, year + 1])


def add_working_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in _holidays(start.year):
            days -= 1
    return day


def intake_due(filed_on: str | None) -> str | None:
    if not filed_on:
        return None
    return add_working_days(date.fromisoformat(filed_on[:10]), INTAKE_WORKING_DAYS).isoformat()
