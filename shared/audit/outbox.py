"""A service's committed events about dossiers, read from its outbox for an audit (each service's
``audit_export`` calls it with its own session and outbox table)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from shared.audit.state import Event


def committed_events(
    producer: str, session: Session, outbox: Table, dossiers: Collection[uuid.UUID] | None
) -> Iterator[Event]:
    """The outbox rows that name a dossier (of ``dossiers`` when given), published or not."""
    query = select(outbox.c.event_id, outbox.c.type, outbox.c.envelope, outbox.c.published_at)
    # The dossier is inside the envelope (JSON): scoped here, not in SQL, alike on both engines.
    rows = session.execute(query.order_by(outbox.c.id).execution_options(yield_per=2000))
    for event_id, kind, envelope, published_at in rows:
        dossier = envelope.get("dossier_id") or envelope.get("payload", {}).get("dossier_id")
        if not dossier or (dossiers is not None and uuid.UUID(dossier) not in dossiers):
            continue
        yield Event(producer, str(event_id), kind, dossier, published_at is not None)
