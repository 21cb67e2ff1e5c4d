"""What filing and accepting dossiers must cause in the evaluation service, read from the
processes' databases: the fault runs check that it all happened, and happened once."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select

from tests.support.observe import rows, scalar


def events_for_evaluation(registration_url: str, dossiers: Collection[str]) -> set[Any]:
    """Ids of the events about ``dossiers`` that evaluation handles (not merely receives)."""
    from services.evaluation.consumers import HANDLERS
    from services.registration.models import outbox

    o = outbox.c
    statement = select(o.event_id, o.envelope).where(o.type.in_(HANDLERS))
    return {
        event_id
        for event_id, envelope in rows(registration_url, statement)
        if envelope.get("dossier_id") in dossiers
    }


def handled(evaluation_url: str, event_ids: Collection[Any]) -> int:
    """How many of ``event_ids`` evaluation's inbox holds."""
    from services.evaluation.models import inbox

    return scalar(evaluation_url, select(func.count()).where(inbox.c.event_id.in_(event_ids)))


def assert_each_case_opened_once(evaluation_url: str, dossiers: Collection[str]) -> None:
    """One case, one document row and one ``evaluation.opened`` per dossier: none lost, none
    doubled."""
    from services.evaluation import models as ev

    ids = [uuid.UUID(d) for d in dossiers]
    for model in (ev.Case, ev.CaseDocument):
        count = select(func.count()).select_from(model).where(model.dossier_id.in_(ids))
        assert scalar(evaluation_url, count) == len(ids), model.__name__
    opened = select(ev.outbox.c.envelope).where(ev.outbox.c.type == "evaluation.opened")
    announced = [e["dossier_id"] for (e,) in rows(evaluation_url, opened)]
    assert sorted(d for d in announced if d in dossiers) == sorted(dossiers)
