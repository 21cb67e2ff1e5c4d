"""The commune's intake deadline (docs/domain.md#intake): the commune checks
a dossier's completeness within 15 working days of receiving it, and returns it for supplement
or accepts it.

The registration service owns this rule: it answers ``intake_due_on`` with every dossier; the
portal shows that date and counts nothing. The days are counted on the shared calendar
(``shared.calendar``: Vietnamese public holidays and the yearly notices loaded), from the day
after receipt (Civil Code Art. 147). A dossier resubmitted after a return is received again:
its 15 days run from the resubmission. A dossier that is not waiting for the commune's check
(a draft, returned to the applicant, accepted, withdrawn) has no intake deadline.
"""

from __future__ import annotations

from datetime import date

from shared.calendar import Deadline, WorkingCalendar

from .lifecycle import Status

#: 15 working days from receipt.
INTAKE = Deadline("intake", 15, working_days=True)

#: The statuses in which a dossier waits for the commune's check.
AWAITING_CHECK = frozenset({Status.SUBMITTED, Status.RESUBMITTED})


def intake_due_on(
    status: Status | str, received_on: date | None, calendar: WorkingCalendar
) -> date | None:
    """The last day for the commune's check of a dossier in ``status`` last (re)submitted on
    ``received_on`` (in Vietnam); ``None`` when it is not waiting for that check."""
    if Status(status) not in AWAITING_CHECK or received_on is None:
        return None
    return INTAKE.due(received_on, calendar)
