"""Handlers of the events the notification service listens to.

``account.*`` and ``council.*`` keep the contacts read-model; every event the recipient rules
name queues its emails (in the inbox's unit of work, so a redelivery queues nothing more).
"""

from __future__ import annotations

from functools import cache

from services.notification import mail_settings
from services.notification.domain.recipients import RULES
from services.notification.service import contacts as contact_service
from services.notification.service import deliveries as delivery_service
from services.notification.templating import Catalogue
from shared.db import UnitOfWork
from shared.events import Event
from shared.messaging.consumer import Handler


@cache
def _catalogue() -> Catalogue:
    return Catalogue()


def on_account_created(*, uow: UnitOfWork, event: Event) -> None:
    """Remember how to reach a new account holder."""
    contact_service.record_account(uow=uow, payload=event.payload)


def notify(*, uow: UnitOfWork, event: Event) -> None:
    """Queue the emails the recipient rules call for."""
    delivery_service.queue(uow=uow, event=event, catalogue=_catalogue(), mail=mail_settings.load())


def on_member_added(*, uow: UnitOfWork, event: Event) -> None:
    """Record the seat, then tell the new member."""
    contact_service.record_seat(uow=uow, payload=event.payload, seated=True)
    notify(uow=uow, event=event)


def on_member_removed(*, uow: UnitOfWork, event: Event) -> None:
    """Forget the seat."""
    contact_service.record_seat(uow=uow, payload=event.payload, seated=False)


HANDLERS: dict[str, Handler] = {
    **{event_type: notify for event_type in RULES},
    "account.created": on_account_created,
    "council.member_added": on_member_added,
    "council.member_removed": on_member_removed,
}
