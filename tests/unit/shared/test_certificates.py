"""Certificate expiry (36 months), the re-evaluation window and late filers: the one home of
these rules (shared.certificates), for evaluation and registration alike."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.certificates import (
    FilingWindow,
    add_months,
    certificate_expiry,
    late_filing_until,
    reevaluation_window,
    validity_extended_until,
)

SETTINGS = settings(max_examples=300, deadline=None, database=None)
EXPIRY = date(2029, 11, 30)


@pytest.mark.parametrize(
    ("issued", "expires"),
    [
        (date(2026, 11, 30), date(2029, 11, 30)),
        (date(2024, 2, 29), date(2027, 2, 28)),  # no 29 February in 2027
        (date(2025, 2, 28), date(2028, 2, 28)),
        (date(2026, 1, 31), date(2029, 1, 31)),
        (date(2026, 6, 15), date(2029, 6, 15)),
    ],
)
def test_expiry_is_issue_plus_36_months(issued: date, expires: date) -> None:
    assert certificate_expiry(issued) == expires


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)


def test_reevaluation_window_is_180_to_120_days_before_expiry() -> None:
    window = reevaluation_window(EXPIRY)
    assert window == FilingWindow(opens_on=date(2029, 6, 3), closes_on=date(2029, 8, 2))


def test_the_window_is_not_moved_off_a_day_off() -> None:
    # A window to file in, not a time limit to act within: Art. 148.5 does not move it. Expiry
    # on 2 September 2029: the window closes on Saturday 5 May 2029, not on Monday 7 May;
    # expiry on 30 April 2029: it closes on Sunday 31 December 2028.
    assert reevaluation_window(date(2029, 9, 2)) == FilingWindow(date(2029, 3, 6), date(2029, 5, 5))
    assert reevaluation_window(date(2029, 4, 30)).closes_on == date(2028, 12, 31)


def test_a_late_filing_is_accepted_until_180_days_after_expiry() -> None:
    assert late_filing_until(EXPIRY) == date(2030, 5, 29)
    assert validity_extended_until(EXPIRY, filed_on=EXPIRY) == late_filing_until(EXPIRY)


def test_validity_without_or_after_expiry_filing() -> None:
    assert validity_extended_until(EXPIRY, filed_on=None) == EXPIRY
    assert validity_extended_until(EXPIRY, filed_on=EXPIRY + timedelta(days=1)) == EXPIRY


def test_late_filer_keeps_validity_until_decided_at_most_180_days() -> None:
    late = date(2029, 10, 1)  # after the window closed, before expiry
    cap = date(2030, 5, 29)  # expiry + 180 days
    assert validity_extended_until(EXPIRY, filed_on=late) == cap
    assert validity_extended_until(EXPIRY, filed_on=late, decided_on=date(2030, 1, 10)) == date(
        2030, 1, 10
    )
    assert validity_extended_until(EXPIRY, filed_on=late, decided_on=date(2030, 7, 1)) == cap
    assert validity_extended_until(EXPIRY, filed_on=EXPIRY, decided_on=cap) == cap


def test_decision_before_expiry_leaves_the_expiry() -> None:
    on_time = date(2029, 7, 1)
    assert validity_extended_until(EXPIRY, filed_on=on_time, decided_on=date(2029, 8, 10)) == EXPIRY


@SETTINGS
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_expiry_properties(issued: date) -> None:
    expires = certificate_expiry(issued)
    assert (expires.year, expires.month) == (issued.year + 3, issued.month)
    assert expires.day <= issued.day
    assert 1094 <= (expires - issued).days <= 1096
    window = reevaluation_window(expires)
    assert (window.closes_on - window.opens_on).days == 60
