"""Handlers of the events the notification service listens to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.notification.models import Contact
from shared.db import UnitOfWork
from shared.events import Event
from shared.messaging.consumer import Handler


def on_account_created(*, uow: UnitOfWork, event: Event) -> None:
    """Remember how to reach a new account holder."""
    p = event.payload  # JSON form: ids are strings
    account_id = uuid.UUID(p["account_id"])
    contact = uow.session.get(Contact, account_id) or Contact(account_id=account_id)
    contact.email = p["email"]
    contact.display_name = p["display_name"]
    contact.language = p["language"]
    contact.roles = p["roles"]
    contact.unit = p["unit"]
    contact.councils = p["councils"]
    contact.updated_at = datetime.now(UTC)
    uow.session.add(contact)


HANDLERS: dict[str, Handler] = {"account.created": on_account_created}
