"""Certificate validity (giấy chứng nhận): expiry, the re-evaluation window, late filers.

The one home of these rules: the evaluation service issues, expires and reminds by them; the
registration service checks a re-evaluation's filing date against them.

A certificate is valid for 36 months: ``expires_on`` is the same day of the month 36 months
after issue, or that month's last day when it has no such day (Civil Code 2015 Art. 148:
2024-02-29 gives 2027-02-28). It is valid up to and including ``expires_on``.

Re-evaluation (phân hạng lại) is filed 180 to 120 days before expiry, both days included,
in calendar days without moving to a working day (a window to file in, not a time limit to act
within, so Art. 148.5 does not move it). A certificate whose product is not re-evaluated
expires; one whose holder filed before expiry, even after the window closed, stays valid until
the decision, at most 180 days after expiry. Filing after expiry keeps nothing valid, and after
those 180 days there is nothing left to re-evaluate: the product files a first registration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

VALIDITY_MONTHS = 36
WINDOW_OPENS_DAYS_BEFORE = 180
WINDOW_CLOSES_DAYS_BEFORE = 120
LATE_FILER_GRACE_DAYS = 180


@dataclass(frozen=True, slots=True)
class FilingWindow:
    """The days on which a re-evaluation may be filed on time, both ends included."""

    opens_on: date
    closes_on: date


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months``, clamped to the last day of a shorter month."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, _days_in_month(year, month + 1)))


def certificate_expiry(issued_on: date) -> date:
    """The expiry of a certificate issued on ``issued_on`` (issue + 36 months)."""
    return add_months(issued_on, VALIDITY_MONTHS)


def reevaluation_window(expires_on: date) -> FilingWindow:
    """From 180 to 120 days before ``expires_on``."""
    return FilingWindow(
        opens_on=expires_on - timedelta(days=WINDOW_OPENS_DAYS_BEFORE),
        closes_on=expires_on - timedelta(days=WINDOW_CLOSES_DAYS_BEFORE),
    )


def late_filing_until(expires_on: date) -> date:
    """The last day a late re-evaluation may be filed: 180 days after ``expires_on``, the
    longest a late filer's certificate can be kept valid."""
    return expires_on + timedelta(days=LATE_FILER_GRACE_DAYS)


def validity_extended_until(
    expires_on: date, *, filed_on: date | None, decided_on: date | None = None
) -> date:
    """Last day of validity given a re-evaluation filing and, once known, its decision.

    Not filed, or filed after expiry: ``expires_on``. Filed by then: until the decision
    (never earlier than ``expires_on``), at most 180 days after expiry; while undecided,
    that cap is the date to plan for.
    """
    if filed_on is None or filed_on > expires_on:
        return expires_on
    cap = late_filing_until(expires_on)
    if decided_on is None:
        return cap
    return min(max(decided_on, expires_on), cap)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
