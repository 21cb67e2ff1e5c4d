"""The contacts read-model: kept from ``account.*``, ``council.*``, ``consultant.*`` and dossier
events, read by the recipient rules."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notification.domain.recipients import ContactInfo
from services.notification.models import (
    CaseProducer,
    ConsultantGrant,
    Contact,
    CouncilSeat,
    Preference,
    participant_tables,
)
from shared import participants
from shared.db import UnitOfWork, as_utc


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def record_account(
    *, uow: UnitOfWork, payload: dict[str, Any], occurred_at: datetime
) -> Contact | None:
    """Remember (or refresh) how to reach an account holder, from ``account.created`` or
    ``account.updated``; an event older than the one already applied changes nothing."""
    account_id = uuid.UUID(payload["account_id"])
    contact = uow.session.get(Contact, account_id)
    if contact is None:
        # A new contact starts with the councils its account names; after that the council
        # events keep them (an account event may be older than a seat).
        contact = Contact(account_id=account_id, councils=payload["councils"])
    elif contact.account_as_of is not None and as_utc(contact.account_as_of) > occurred_at:
        return None
    contact.email = payload["email"]
    contact.display_name = payload["display_name"]
    contact.language = payload["language"]
    contact.roles = payload["roles"]
    contact.unit = payload["unit"]
    contact.active = payload.get("active", True)
    contact.account_as_of = occurred_at
    contact.updated_at = datetime.now(UTC)
    uow.session.add(contact)
    return contact


def record_seat(*, uow: UnitOfWork, payload: dict[str, Any], seated: bool) -> None:
    """Add or remove a seat: the council's seats (with the role) and the contact's councils."""
    council_id = uuid.UUID(str(payload["council_id"]))
    account_id = uuid.UUID(str(payload["account_id"]))
    participants.record_seat(uow.session, participant_tables, payload, seated=seated)
    contact = uow.session.get(Contact, account_id)
    if contact is None:
        return
    councils = [c for c in contact.councils if c != str(council_id)]
    contact.councils = [*councils, str(council_id)] if seated else councils
    contact.updated_at = datetime.now(UTC)


def record_grant(*, uow: UnitOfWork, payload: dict[str, Any], occurred_at: datetime) -> None:
    """A producer granted or withdrew a consultant's access; an older event than the one
    already recorded changes nothing (events may arrive out of order after a retry)."""
    key = (uuid.UUID(str(payload["producer_id"])), uuid.UUID(str(payload["consultant_account_id"])))
    grant = uow.session.get(ConsultantGrant, key)
    if grant is not None and as_utc(grant.changed_at) > occurred_at:
        return
    grant = grant or ConsultantGrant(producer_id=key[0], consultant_account_id=key[1])
    grant.granted = bool(payload["granted"])
    grant.changed_at = occurred_at
    uow.session.add(grant)


def record_case(*, uow: UnitOfWork, payload: Mapping[str, Any]) -> None:
    """Remember whose dossier a case is, from an event that names both."""
    dossier_id, producer_id = _uuid(payload.get("dossier_id")), _uuid(payload.get("producer_id"))
    if dossier_id is None or producer_id is None:
        return
    if uow.session.get(CaseProducer, dossier_id) is None:
        uow.session.add(CaseProducer(dossier_id=dossier_id, producer_id=producer_id))


def _info(contact: Contact, preference: Preference | None) -> ContactInfo:
    return ContactInfo(
        account_id=contact.account_id,
        email=contact.email,
        display_name=contact.display_name,
        language=(preference and preference.language) or contact.language,
        roles=frozenset(contact.roles),
        unit=contact.unit,
        digest=bool(preference and preference.digest),
    )


class SqlContacts:
    """``ContactsLookup`` over the read-model's tables; a person's own preferences win."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, account_id: uuid.UUID) -> ContactInfo | None:
        contact = self.session.get(Contact, account_id)
        if contact is None or not contact.active:
            return None
        return _info(contact, self.session.get(Preference, account_id))

    def with_role_in_unit(self, role: str, unit: str) -> list[ContactInfo]:
        # Roles are a JSON list: select by the indexed unit, filter the few rows in Python.
        rows = self.session.execute(
            select(Contact).where(Contact.unit == unit, Contact.active.is_(True))
        ).scalars()
        return [
            _info(c, self.session.get(Preference, c.account_id))
            for c in sorted(rows, key=lambda c: str(c.account_id))
            if role in c.roles
        ]

    def grants(
        self, *, producer_id: uuid.UUID | None, dossier_id: uuid.UUID | None
    ) -> dict[uuid.UUID, bool]:
        if producer_id is None and dossier_id is not None:
            case = self.session.get(CaseProducer, dossier_id)
            producer_id = case.producer_id if case is not None else None
        if producer_id is None:
            return {}
        rows = self.session.execute(
            select(ConsultantGrant).where(ConsultantGrant.producer_id == producer_id)
        ).scalars()
        return {g.consultant_account_id: g.granted for g in rows}

    def handler(self, dossier_id: uuid.UUID | None) -> uuid.UUID | None:
        if dossier_id is None:
            return None
        t = participant_tables.participants
        return self.session.execute(
            select(t.c.account_id).where(
                t.c.dossier_id == dossier_id,
                t.c.kind == participants.Kind.HANDLER.value,
                t.c.present.is_(True),
            )
        ).scalar_one_or_none()

    def excluded(self, dossier_id: uuid.UUID | None) -> frozenset[uuid.UUID]:
        if dossier_id is None:
            return frozenset()
        x = participant_tables.exclusions
        rows = self.session.execute(select(x.c.account_id).where(x.c.dossier_id == dossier_id))
        return frozenset(rows.scalars())

    def seats(self, council_id: uuid.UUID) -> dict[uuid.UUID, str]:
        rows = self.session.execute(
            select(CouncilSeat).where(CouncilSeat.council_id == council_id)
        ).scalars()
        return {s.account_id: s.role for s in rows}
