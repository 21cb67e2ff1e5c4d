"""The evaluation service's tables. Rubrics, councils and score sheets arrive with issue #3;
today the service owns its outbox and inbox so it can take part in the event flow."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase

from shared.messaging.outbox import define_inbox, define_outbox


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)
