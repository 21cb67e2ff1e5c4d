"""Working days and time limits in Vietnam (Asia/Ho_Chi_Minh): one calendar for every service.

Public holidays come from ``holidays.country_holidays("VN")``: the Labour Code list including
Tết Nguyên Đán (lunar New Year's Eve and the days after it, plus the days the package moves in
when one falls on a weekend), the days off the government substituted in past years, and the
Saturdays it declared working days in exchange (``weekend_workdays``). For the years the
package does not know yet, the government's yearly notice of days off (a :class:`Notice`)
adds days off and declares weekend days working days; an operator loads it with
``ocop calendar load FILE`` and every service keeps it from the ``calendar.notice_loaded`` event
(``shared.calendar_store``, ADR 0010).

Counting follows the Civil Code 2015: a period in days starts the day after the event
(Art. 147), and a period whose last day is a day off ends on the next working day
(Art. 148.5). ``add_working_days(d, n)`` is therefore the n-th working day after ``d``; a
period in calendar days is moved to the next working day (:meth:`WorkingCalendar.add_days`).
A window to file in (the re-evaluation window, ``shared.certificates``) is not a period to act
within, and is not moved.

Pure: no database here. A service builds its :class:`WorkingCalendar` from the notices it keeps
(``shared.calendar_store.working_calendar``) and passes it to the rules that count days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_DAY = timedelta(days=1)


def local_date(instant: datetime) -> date:
    """The date in Vietnam at ``instant``; ``ValueError`` for a naive datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("a naive datetime has no place in time; give it a time zone")
    return instant.astimezone(TIMEZONE).date()


def today() -> date:
    """Today in Vietnam."""
    return local_date(datetime.now(UTC))


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> holidays.HolidayBase:
    # Neighbouring years too: a substitution may be declared in the year before.
    return holidays.country_holidays("VN", years=(year - 1, year, year + 1))


class NoticeError(ValueError):
    """A notice file that cannot be loaded; ``problems`` says what is wrong, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Notice:
    """A year's government notice of days off (thông báo lịch nghỉ lễ, Tết).

    ``days_off`` are days not worked besides the public holidays the package knows (a bridge
    day given in exchange, say); ``working_days`` are days worked although they fall on a
    weekend or a holiday (the Saturday worked in exchange). Every day lies in ``year``: a swap
    that reaches into another year belongs to that year's notice. A notice loaded again for the
    same year replaces the earlier one.
    """

    year: int
    reference: str
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def as_payload(self) -> dict[str, Any]:
        """The notice as the ``calendar.notice_loaded`` event and the stored row say it."""
        return {
            "year": self.year,
            "reference": self.reference,
            "days_off": sorted(d.isoformat() for d in self.days_off),
            "working_days": sorted(d.isoformat() for d in self.working_days),
        }


def _days(value: Any, name: str, year: int, problems: list[str]) -> frozenset[date]:
    if not isinstance(value, list):
        problems.append(f"{name}: a list of dates (YYYY-MM-DD)")
        return frozenset()
    days: set[date] = set()
    for item in value:
        try:
            day = date.fromisoformat(str(item))
        except ValueError:
            problems.append(f"{name}: {item!r} is not a date (YYYY-MM-DD)")
            continue
        if day.year != year:
            problems.append(f"{name}: {day.isoformat()} is not in {year}")
        days.add(day)
    return frozenset(days)


def parse_notice(data: Any) -> Notice:
    """A notice from its JSON form (``NoticeError`` listing every problem)::

    {"year": 2027, "reference": "Thông báo số …/TB-BLĐTBXH",
     "days_off": ["2027-02-03"], "working_days": ["2027-02-20"]}
    """
    if not isinstance(data, Mapping):
        raise NoticeError(["a JSON object with year, reference, days_off and working_days"])
    problems: list[str] = []
    unknown = sorted(set(data) - {"year", "reference", "days_off", "working_days"})
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    year = data.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise NoticeError([*problems, "year: a year from 2000 to 2100"])
    reference = data.get("reference")
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 500:
        problems.append("reference: the notice's number and date, up to 500 characters")
        reference = ""
    days_off = _days(data.get("days_off", []), "days_off", year, problems)
    working_days = _days(data.get("working_days", []), "working_days", year, problems)
    both = sorted(d.isoformat() for d in days_off & working_days)
    if both:
        problems.append(f"both a day off and a working day: {', '.join(both)}")
    if problems:
        raise NoticeError(problems)
    return Notice(year, reference.strip(), days_off, working_days)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Vietnamese working days, with what the loaded yearly notices add."""

    extra_holidays: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()

    @classmethod
    def of(cls, notices: Iterable[Notice]) -> WorkingCalendar:
        """The public holidays with these notices (at most one per year) applied."""
        off: set[date] = set()
        working: set[date] = set()
        for notice in notices:
            off |= notice.days_off
            working |= notice.working_days
        return cls(frozenset(off), frozenset(working))

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (not a weekend or a day off)."""
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
        """``n`` calendar days after ``start``, moved to the next working day if it is a day
        off (Civil Code Art. 148.5)."""
        if n < 0:
            raise ValueError("n must not be negative")
        return self.next_working_day(start + _DAY * n)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A legal time limit: ``days`` working days, or calendar days ending on a working day."""

    name: str
    days: int
    working_days: bool

    def due(self, start: date, calendar: WorkingCalendar) -> date:
        """The last day to act for an event on ``start``."""
        if self.working_days:
            return calendar.add_working_days(start, self.days)
        return calendar.add_days(start, self.days)
