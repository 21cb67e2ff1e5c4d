"""The notification service's tables: the contacts read-model (built from events), preferences,
the delivery log, outbox, inbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared import participants, unit_map
from shared.db import UtcDateTime
from shared.messaging.outbox import define_inbox, define_outbox
from shared.powers import define_account_powers_table, define_revoked_tokens_table


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)
# The officials on each case (shared.participants), kept from the events: who is told what.
participant_tables = participants.define_tables(Base.metadata, seats=True)
assert participant_tables.seats is not None, "define_tables(seats=True) defines the seats"
_seats = participant_tables.seats
# Whether an account's tokens still speak for it (shared.powers, ADR 0002).
# The map of the 2025 merger (shared.unit_map), kept from ``units.map_loaded``: a 2025 unit's
# officials read the delivery logs of the pre-2025 cases merged into it, as they read the cases.
unit_map_tables = unit_map.define_tables(Base.metadata)
unit_successors = unit_map_tables[0]

account_powers = define_account_powers_table(Base.metadata)
revoked_tokens = define_revoked_tokens_table(Base.metadata)


class Contact(Base):
    """Who can be told about a case: kept from ``account.*`` events, never read from another
    service's database."""

    __tablename__ = "contacts"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    roles: Mapped[list[Any]] = mapped_column(JSON)
    unit: Mapped[str | None] = mapped_column(String(40), index=True)
    councils: Mapped[list[Any]] = mapped_column(JSON)
    # A deactivated account (an official who left) is told nothing more.
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # When the newest account event applied here happened: an older one, redelivered late,
    # must not undo a newer change.
    account_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConsultantGrant(Base):
    """A producer's grant of access to a consultant, kept from ``consultant.access_changed``
    (a withdrawn grant stays, ``granted`` false, so an older event cannot bring it back)."""

    __tablename__ = "consultant_grants"

    producer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    consultant_account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CaseProducer(Base):
    """Whose dossier a case is, from the dossier events (evaluation's events name no producer)."""

    __tablename__ = "case_producers"

    dossier_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    producer_id: Mapped[uuid.UUID] = mapped_column(Uuid)


class CouncilSeat(Base):
    """A current seat on a council, kept from ``council.member_added``/``removed``."""

    __table__ = _seats

    council_id: Mapped[uuid.UUID]
    account_id: Mapped[uuid.UUID]
    role: Mapped[str]


class Preference(Base):
    """A person's own choices; they win over what ``account.*`` events say (language)."""

    __tablename__ = "preferences"

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    language: Mapped[str | None] = mapped_column(String(2))
    # Routine messages in one email a day (officials; see recipients.ROUTINE).
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Delivery(Base):
    """One email about one event to one person: at most one row per (event, recipient), so a
    redelivered event can never queue a second message. The case facts are copied from the
    event so the log can be filtered by reach without asking another service."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "account_id", name="uq_deliveries_event_recipient"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_dossier", "dossier_id", "id"),
        Index("ix_deliveries_account", "account_id", "id"),
        Index("ix_deliveries_digest", "digest_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    event_type: Mapped[str] = mapped_column(String(100))
    template: Mapped[str] = mapped_column(String(120))
    audience: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(2))
    # Rendered once, when queued: every attempt sends the same words under the same Message-ID.
    subject: Mapped[str] = mapped_column(String(400))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    # The case (when the event was about one), for the dossier log and its reach.
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    owner_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    consultant_account_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unit_tree: Mapped[str | None] = mapped_column(String(20))
    province_code: Mapped[str | None] = mapped_column(String(10))
    district_code: Mapped[str | None] = mapped_column(String(10))
    commune_code: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A routine message held for its recipient's daily digest: the digest's own delivery.
    digest_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
