"""What registration publishes for an audit (docs/adr/0006, ``shared.audit.state``): its state
(the events it committed, each document version and hash, each dossier's status) and the case-file
ledger's view (its entries, reduced to ``ENTRY_FIELDS``). Read-only, from its own tables."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration import models as m
from shared.audit import state as s
from shared.audit.outbox import committed_events

SERVICE = "registration"
_STREAM = {"yield_per": 2000}


def _scoped(query: Any, column: Any, dossiers: Collection[uuid.UUID] | None) -> Any:
    query = query.execution_options(**_STREAM)
    return query if dossiers is None else query.where(column.in_(list(dossiers)))


def state(session: Session, dossiers: Collection[uuid.UUID] | None = None) -> Iterator[s.Record]:
    yield from committed_events(SERVICE, session, m.outbox, dossiers)
    versions = select(
        m.Document.dossier_id, m.Document.id, m.DocumentVersion.number, m.DocumentVersion.sha256
    ).join(m.DocumentVersion)
    for dossier, document, number, sha in session.execute(
        _scoped(versions, m.Document.dossier_id, dossiers)
    ):
        yield s.DocumentVersion(str(dossier), str(document), number, sha)
    statuses = select(m.Dossier.id, m.Dossier.status)
    for dossier, status in session.execute(_scoped(statuses, m.Dossier.id, dossiers)):
        yield s.DossierStatus(str(dossier), status)


def ledger(session: Session, dossiers: Collection[uuid.UUID] | None = None) -> Iterator[s.Entry]:
    """The ledger's entries in their order (of ``dossiers`` when given)."""
    e = m.LedgerEntry
    query = select(e.event_id, e.body).order_by(e.seq)
    for event_id, body in session.execute(_scoped(query, e.dossier_id, dossiers)):
        entry = json.loads(body)
        payload = entry["payload"]
        facts = {k: payload[k] for k in s.ENTRY_FIELDS if k in payload}
        yield s.Entry(entry["producer"], str(event_id), entry["kind"], entry["dossier_id"], facts)


def export(session: Session, dossiers: Collection[uuid.UUID] | None = None) -> Iterator[s.Record]:
    """The whole export: its header, the ledger's view, then the state (an audit indexes the
    ledger before it compares)."""
    yield s.header(SERVICE, dossiers)
    yield from ledger(session, dossiers)
    yield from state(session, dossiers)
