"""What evaluation publishes for an audit (docs/adr/0006, ``shared.audit.state``): the events it
committed about dossiers, each score sheet at its latest revision, each certificate and its
status. Read-only, from its own tables."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.evaluation import models as m
from shared.audit import state as s
from shared.audit.outbox import committed_events

SERVICE = "evaluation"


def _scoped(query: Any, column: Any, dossiers: Collection[uuid.UUID] | None) -> Any:
    query = query.execution_options(yield_per=2000)
    return query if dossiers is None else query.where(column.in_(list(dossiers)))


def state(session: Session, dossiers: Collection[uuid.UUID] | None = None) -> Iterator[s.Record]:
    yield from committed_events(SERVICE, session, m.outbox, dossiers)
    sheets = select(m.Evaluation.dossier_id, m.ScoreSheet.id, m.ScoreSheet.revision).join(
        m.Evaluation, m.ScoreSheet.evaluation_id == m.Evaluation.id
    )
    for dossier, sheet, revision in session.execute(
        _scoped(sheets, m.Evaluation.dossier_id, dossiers)
    ):
        yield s.ScoreSheet(str(dossier), str(sheet), revision)
    certificates = select(m.Certificate.dossier_id, m.Certificate.number, m.Certificate.status)
    for dossier, number, status in session.execute(
        _scoped(certificates, m.Certificate.dossier_id, dossiers)
    ):
        yield s.Certificate(str(dossier), number, status)


def export(session: Session, dossiers: Collection[uuid.UUID] | None = None) -> Iterator[s.Record]:
    yield s.header(SERVICE, dossiers)
    yield from state(session, dossiers)
