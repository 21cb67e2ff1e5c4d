"""Working days and deadlines in Vietnam (Asia/Ho_Chi_Minh).

Public holidays come from ``holidays.country_holidays("VN")``: the Labour Code list including
Tết Nguyên Đán (lunar New Year's Eve and the first four days, plus the days the package moves
in when one falls on a weekend), the days off the government substituted in past years, and
the Saturdays it declared working days in exchange (``weekend_workdays``). For future years the
package computes Tết from the lunar calendar; the government's yearly notice may move days,
which :class:`WorkingCalendar` takes as ``extra_holidays`` and ``extra_working_days``.

Counting follows the Civil Code 2015: a period in days starts the day after the event
(Art. 147), and a period whose last day is a weekend or holiday ends on the next working day
(Art. 148). ``add_working_days(d, n)`` is therefore the n-th working day after ``d``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_DAY = timedelta(days=1)


def local_date(instant: datetime) -> date:
    """The date in Vietnam at ``instant``; ``ValueError`` for a naive datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a naive datetime has no place in time; give it a time zone")
    return instant.astimezone(TIMEZONE).date()


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> holidays.HolidayBase:
    # Neighbouring years too: a substitution may be declared in the year before.
    return holidays.country_holidays("VN", years=(year - 1, year, year + 1))


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Vietnamese working days, with local additions from a year's official notice."""

    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (not a weekend or public holiday)."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        return bool(_public_holidays(day.year).is_working_day(day))

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += _DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself when ``n`` is 0)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += _DAY
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(self.is_working_day(start + _DAY * i) for i in range(1, (end - start).days + 1))

    def add_days(self, start: date, n: int) -> date:
        """``n`` calendar days after ``start``, moved to the next working day if needed."""
        if n < 0:
            raise ValueError("n must not be negative")
        return self.next_working_day(start + _DAY * n)


#: Vietnamese public holidays as the ``holidays`` package knows them, nothing added.
VIETNAM = WorkingCalendar()


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in Vietnam."""
    return VIETNAM.is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """The ``n``-th working day after ``start`` in Vietnam."""
    return VIETNAM.add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end] in Vietnam."""
    return VIETNAM.working_days_between(start, end)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A legal time limit: ``days`` working days, or calendar days ending on a working day."""

    name: str
    days: int
    working_days: bool

    def due(self, start: date, calendar: WorkingCalendar = VIETNAM) -> date:
        """The last day to act for an event on ``start``."""
        if self.working_days:
            return calendar.add_working_days(start, self.days)
        return calendar.add_days(start, self.days)


#: The commune checks a dossier's completeness within 15 working days of receipt.
INTAKE = Deadline("intake", 15, working_days=True)
#: A re-evaluation is decided within 45 days of a complete dossier (calendar days: the
#: text does not say working days, as it does for intake).
REEVALUATION_DECISION = Deadline("reevaluation_decision", 45, working_days=False)
#: Revocation within 15 days of the finding (calendar days, same reading).
REVOCATION = Deadline("revocation", 15, working_days=False)
