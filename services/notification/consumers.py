"""Handlers of the events the notification service listens to.

``account.*``, ``council.*`` and ``consultant.*`` keep the contacts read-model; every event the
recipient rules name queues its emails (in the inbox's unit of work, so a redelivery queues
nothing more).
"""

from __future__ import annotations

import uuid

from services.notification.adapters import mail_settings
from services.notification.adapters.templating import default_catalogue
from services.notification.domain.recipients import DEFAULT_LANGUAGE, LANGUAGES, RULES, Recipient
from services.notification.models import unit_map_tables
from services.notification.service import contacts as contact_service
from services.notification.service import deliveries as delivery_service
from services.notification.service import powers
from shared import unit_map
from shared.db import UnitOfWork
from shared.events import Event
from shared.messaging.consumer import Handler
from shared.runtime import only_participants


def on_account(*, uow: UnitOfWork, event: Event) -> None:
    """Remember how to reach an account holder, as the newest account event says, and whether
    its tokens still speak for it."""
    contact_service.record_account(uow=uow, payload=event.payload, occurred_at=event.occurred_at)
    powers.on_account(uow=uow, event=event)


def notify(*, uow: UnitOfWork, event: Event) -> None:
    """Queue the emails the recipient rules call for (a dossier event also says whose it is)."""
    contact_service.record_case(uow=uow, payload=event.payload)
    delivery_service.queue(
        uow=uow, event=event, catalogue=default_catalogue(), mail=mail_settings.load()
    )


def on_link(*, uow: UnitOfWork, event: Event) -> None:
    """Email a one-time link (to set a password: a reset or an invitation; to confirm a
    self-registered address) to the address the event names: the account's own, whether or not
    the contacts read-model has heard of it yet (the account is created in the same breath)."""
    p = event.payload
    language = p["language"] if p["language"] in LANGUAGES else DEFAULT_LANGUAGE
    person = Recipient(
        account_id=uuid.UUID(str(p["account_id"])),
        email=str(p["email"]),
        display_name=str(p["display_name"]),
        language=language,
        audience="holder",
    )
    delivery_service.queue(
        uow=uow,
        event=event,
        catalogue=default_catalogue(),
        mail=mail_settings.load(),
        people=[person],
    )


def on_member_added(*, uow: UnitOfWork, event: Event) -> None:
    """Record the seat, then tell the new member."""
    contact_service.record_seat(uow=uow, payload=event.payload, seated=True)
    notify(uow=uow, event=event)


def on_member_removed(*, uow: UnitOfWork, event: Event) -> None:
    """Forget the seat."""
    contact_service.record_seat(uow=uow, payload=event.payload, seated=False)


def on_consultant_access(*, uow: UnitOfWork, event: Event) -> None:
    """A producer granted or withdrew a consultant's access to its dossiers."""
    contact_service.record_grant(uow=uow, payload=event.payload, occurred_at=event.occurred_at)


HANDLERS: dict[str, Handler] = {
    **{event_type: notify for event_type in RULES},
    "account.created": on_account,
    "account.updated": on_account,
    "account.signed_out": powers.on_signed_out,
    "account.password_link_issued": on_link,
    "account.email_confirmation_issued": on_link,
    "council.member_added": on_member_added,
    "council.member_removed": on_member_removed,
    "consultant.access_changed": on_consultant_access,
    # A member's conflict: they are told nothing more of the case (the runtime keeps it).
    "evaluation.conflict_declared": only_participants,
    # The map of the 2025 merger, kept as registration loaded it (shared.unit_map).
    unit_map.EVENT_TYPE: unit_map.handler(unit_map_tables),
}
