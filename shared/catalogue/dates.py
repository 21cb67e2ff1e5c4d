"""Dates and times as people write them, in Vietnam's time zone.

Vietnamese: ``06/12/2026``, ``06/12/2026 14:30``, and on formal documents (Decree 30/2020/NĐ-CP)
``ngày 06 tháng 12 năm 2026`` (``ngày 05 tháng 02``, ``ngày 05 tháng 3``). English:
``6 Dec 2026``, ``6 Dec 2026, 14:30``, formally ``6 December 2026``. The APIs speak ISO 8601
(RFC 3339); these are for people only.

Every function takes a ``date``, a ``datetime`` or an ISO string (as the APIs return them) and
answers a dash for no value. A timestamp without an offset is UTC (what the services store).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TypeAlias

from shared.calendar import TIMEZONE

When: TypeAlias = date | datetime | str | None

_MONTHS_EN = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
NONE = "—"


def _instant(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(TIMEZONE)


def _parse(value: date | datetime | str) -> date | datetime:
    if isinstance(value, str):
        if len(value) <= 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def local_date(value: date | datetime | str) -> date:
    """The day a value falls on in Vietnam (a timestamp's local day; a date as it is)."""
    parsed = _parse(value)
    return _instant(parsed).date() if isinstance(parsed, datetime) else parsed


def day(value: When, lang: str = "vi") -> str:
    """``06/12/2026`` (vi) or ``6 Dec 2026`` (en)."""
    if value is None or value == "":
        return NONE
    d = local_date(value)
    if lang == "en":
        return f"{d.day} {_MONTHS_EN[d.month - 1][:3]} {d.year}"
    return f"{d:%d/%m/%Y}"


def moment(value: When, lang: str = "vi") -> str:
    """A timestamp's local day and ``HH:mm``; a bare date as :func:`day`."""
    if value is None or value == "":
        return NONE
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return day(parsed, lang)
    local = _instant(parsed)
    separator = ", " if lang == "en" else " "
    return f"{day(local.date(), lang)}{separator}{local:%H:%M}"


def formal_day(value: When, lang: str = "vi") -> str:
    """A document's date line: ``ngày 06 tháng 12 năm 2026`` (vi), ``6 December 2026`` (en)."""
    if value is None or value == "":
        return NONE
    d = local_date(value)
    if lang == "en":
        return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
    # Decree 30/2020/NĐ-CP, Appendix I: a day below 10 and the months 1 and 2 take a leading
    # zero (so no one can add a digit); the other months do not.
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d:%d} tháng {month} năm {d.year}"
