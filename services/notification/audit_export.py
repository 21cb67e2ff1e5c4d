"""What notification publishes for an audit (docs/adr/0006, ``shared.audit.state``): the events
it committed about dossiers and each email delivery about a dossier that reached its final
outcome (sent, or failed for good). Read-only, from its own tables."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notification import models as m
from shared.audit import state as s
from shared.audit.outbox import committed_events

SERVICE = "notification"
#: A delivery's final statuses, as the audit format names its outcomes.
OUTCOMES = {"sent": "sent", "failed_permanent": "failed"}


def state(session: Session, dossiers: Collection[uuid.UUID] | None = None) -> Iterator[s.Record]:
    yield from committed_events(SERVICE, session, m.outbox, dossiers)
    d = m.Delivery
    query = select(d.dossier_id, d.id, d.status).where(
        d.dossier_id.is_not(None), d.status.in_(list(OUTCOMES))
    )
    if dossiers is not None:
        query = query.where(d.dossier_id.in_(list(dossiers)))
    for dossier, delivery, status in session.execute(query.execution_options(yield_per=2000)):
        yield s.Email(str(dossier), str(delivery), OUTCOMES[status])


def export(session: Session, dossiers: Collection[uuid.UUID] | None = None) -> Iterator[s.Record]:
    yield s.header(SERVICE, dossiers)
    yield from state(session, dossiers)
