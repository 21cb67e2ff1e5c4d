"""The yearly notices of days off (ADR 0010): an operator loads one (``ocop calendar load``);
this service keeps it, counts its intake deadlines on it, and tells the other services, which
keep the same notice from ``calendar.notice_loaded``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.registration.models import calendar_notices
from shared import calendar_store
from shared.calendar import Notice, WorkingCalendar
from shared.db import UnitOfWork
from shared.events import Actor, new_event

#: Who loads a notice: an operator at the console, no account.
OPERATOR = Actor(None, "operator")


def load_notice(*, uow: UnitOfWork, notice: Notice) -> None:
    """Keep ``notice`` as its year's (replacing an earlier one) and tell the other services."""
    event = new_event(
        calendar_store.EVENT_TYPE, notice.as_payload(), producer="registration", actor=OPERATOR
    )
    calendar_store.record(uow.session, calendar_notices, notice, event.occurred_at)
    uow.add_event(event)


def notices(session: Session) -> list[Notice]:
    """The notices kept, by year."""
    return calendar_store.notices(session, calendar_notices)


def working_calendar(session: Session) -> WorkingCalendar:
    """The working days this service counts in: the public holidays and the notices kept."""
    return calendar_store.working_calendar(session, calendar_notices)
