"""The notification service's tables: the contacts read-model (built from events), outbox, inbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.messaging.outbox import define_inbox, define_outbox


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)


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
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
