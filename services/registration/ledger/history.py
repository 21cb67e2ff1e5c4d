"""The timeline of a case file: filtered by kind and time, keyset-paginated on the entry number
(index ``(dossier_id, n)``, or ``(dossier_id, kind, n)`` when filtered by kind), in the view of
the caller; a full-view read is itself recorded as an entry of the case file."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.registration.ledger import views, writer
from services.registration.models import LedgerEntry
from services.registration.service import dossiers as dossier_service
from shared import context
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.ids import new_id

E = LedgerEntry
# A page of a restricted view may skip hidden entries; it stops after scanning this many times
# ``limit`` rows and hands back a cursor, so one request stays bounded however much is hidden.
SCAN_FACTOR = 5


@dataclass(frozen=True, slots=True)
class Filters:
    kinds: Sequence[str] = ()
    since: datetime | None = None
    until: datetime | None = None


def page(
    *,
    session: Session,
    principal: Principal,
    dossier_id: uuid.UUID,
    filters: Filters,
    limit: int,
    after: int | None,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the caller's view of the timeline, oldest first; and the next cursor."""
    dossier_service.get(session=session, principal=principal, dossier_id=dossier_id)
    who = views.viewer(principal)
    closed = _closed(session, dossier_id) if views.needs_closed_evaluations(who) else set()
    query = _entries(dossier_id, filters, views.hidden_kinds(who))
    items: list[dict[str, Any]] = []
    cursor, scanned = after or 0, 0
    while True:
        batch = session.execute(query.where(E.n > cursor).order_by(E.n).limit(limit + 1)).all()
        for index, (n, body, case_hash) in enumerate(batch[:limit]):
            scanned, cursor = scanned + 1, n
            entry = json.loads(body)
            if views.visible(who, entry, closed):
                items.append(_item(entry, case_hash))
                if len(items) == limit:
                    return items, (cursor if index + 1 < len(batch) else None)
        if len(batch) <= limit:
            return items, None
        if scanned >= limit * SCAN_FACTOR:
            return items, cursor


def _entries(
    dossier_id: uuid.UUID, filters: Filters, hidden: Collection[str]
) -> Select[int, bytes, bytes]:
    """The case file's entries the filters and the viewer's hidden kinds leave."""
    query = select(E.n, E.body, E.case_hash).where(E.dossier_id == dossier_id)
    if filters.kinds:
        query = query.where(E.kind.in_(filters.kinds))
    if hidden:
        query = query.where(E.kind.not_in(hidden))
    if filters.since is not None:
        query = query.where(E.occurred_at >= filters.since)
    if filters.until is not None:
        query = query.where(E.occurred_at < filters.until)
    return query


def _closed(session: Session, dossier_id: uuid.UUID) -> set[str]:
    bodies = session.execute(
        select(E.body).where(E.dossier_id == dossier_id, E.kind.in_(views.CLOSING))
    ).scalars()
    return views.closed_evaluations(json.loads(b)["payload"] for b in bodies)


def _item(entry: dict[str, Any], case_hash: bytes) -> dict[str, Any]:
    return {
        "n": entry["n"],
        "seq": entry["seq"],
        "kind": entry["kind"],
        "occurred_at": entry["occurred_at"],
        "recorded_at": entry["recorded_at"],
        "producer": entry["producer"],
        "actor": entry["actor"],
        "event_id": entry["event_id"],
        "correlation_id": entry["correlation_id"],
        "payload": entry["payload"],
        "hash": case_hash.hex(),
    }


def record_read(
    *, uow: UnitOfWork, principal: Principal, dossier_id: uuid.UUID, what: str, details: Any
) -> None:
    """A full-view reader (auditor, admin) read the case file: an entry of the case file itself,
    in its own transaction before the answer, so no such read goes unrecorded."""
    if not views.viewer(principal).full:
        return
    dossier_service.get(session=uow.session, principal=principal, dossier_id=dossier_id)
    writer.append(
        session=uow.session,
        dossier_id=dossier_id,
        event_id=new_id(),
        kind=writer.CASE_FILE_READ,
        occurred_at=datetime.now(UTC),
        producer="registration",
        actor={"user_id": principal.account_id, "role": principal.primary_role},
        correlation_id=context.request_id.get(),
        payload={"what": what, "details": details},
    )
