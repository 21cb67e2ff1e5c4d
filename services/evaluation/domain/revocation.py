"""Revocation of a recognition (thu hồi quyết định công nhận, Decision 26/2026 Art. 8).

The authority that recognised the rank revokes it, within 15 days of the finding, on one of
six grounds. The 15 days are calendar days, ending on the next working day if the last falls
on a day off (see :data:`.deadlines.REVOCATION`). The portal words the grounds from its own
catalogues.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from shared.calendar import WorkingCalendar

from .deadlines import REVOCATION


class RevocationGround(StrEnum):
    """The six grounds for revocation (căn cứ thu hồi)."""

    UNTRUTHFUL_DOSSIER = "untruthful_dossier"
    CRITERIA_NO_LONGER_MET = "criteria_no_longer_met"
    BREACH_OF_LAW = "breach_of_law"
    MARK_MISUSE = "mark_misuse"
    PRODUCTION_STOPPED = "production_stopped"
    AUTHORITY_CONCLUSION = "authority_conclusion"


def revocation_due(finding_date: date, calendar: WorkingCalendar) -> date:
    """Last day to revoke after a finding on ``finding_date`` (15 days)."""
    return REVOCATION.due(finding_date, calendar)
