"""The contacts read-model: kept from ``account.*`` and ``council.*`` events, read by the rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notification.domain.recipients import ContactInfo
from services.notification.models import Contact, Preference
from shared.db import UnitOfWork


def record_account(*, uow: UnitOfWork, payload: dict[str, Any]) -> Contact:
    """Remember (or refresh) how to reach an account holder."""
    account_id = uuid.UUID(payload["account_id"])
    contact = uow.session.get(Contact, account_id) or Contact(account_id=account_id)
    contact.email = payload["email"]
    contact.display_name = payload["display_name"]
    contact.language = payload["language"]
    contact.roles = payload["roles"]
    contact.unit = payload["unit"]
    contact.councils = payload["councils"]
    contact.updated_at = datetime.now(UTC)
    uow.session.add(contact)
    return contact


def record_seat(*, uow: UnitOfWork, payload: dict[str, Any], seated: bool) -> None:
    """Add or remove a council from a contact's councils."""
    contact = uow.session.get(Contact, uuid.UUID(payload["account_id"]))
    if contact is None:
        return
    councils = [c for c in contact.councils if c != payload["council_id"]]
    contact.councils = [*councils, payload["council_id"]] if seated else councils
    contact.updated_at = datetime.now(UTC)


def _info(contact: Contact, language: str | None) -> ContactInfo:
    return ContactInfo(
        account_id=contact.account_id,
        email=contact.email,
        display_name=contact.display_name,
        language=language or contact.language,
        roles=frozenset(contact.roles),
        unit=contact.unit,
    )


class SqlContacts:
    """``ContactsLookup`` over the ``contacts`` table; a person's own language preference wins."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _language(self, account_id: uuid.UUID) -> str | None:
        preference = self.session.get(Preference, account_id)
        return preference.language if preference is not None else None

    def get(self, account_id: uuid.UUID) -> ContactInfo | None:
        contact = self.session.get(Contact, account_id)
        return _info(contact, self._language(account_id)) if contact is not None else None

    def with_role_in_unit(self, role: str, unit: str) -> list[ContactInfo]:
        # Roles are a JSON list: select by the indexed unit, filter the few rows in Python.
        rows = self.session.execute(select(Contact).where(Contact.unit == unit)).scalars()
        return [
            _info(c, self._language(c.account_id))
            for c in sorted(rows, key=lambda c: str(c.account_id))
            if role in c.roles
        ]
