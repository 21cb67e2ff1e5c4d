"""Handlers of events from other services: the public status of each dossier, and the
certificates read model that upgrades and re-evaluations are checked against (the case file
ledger comes later)."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from services.registration.models import Dossier
from services.registration.service import dossiers as dossier_service
from services.registration.service import public_status
from shared.db import UnitOfWork
from shared.events import Event
from shared.messaging.consumer import Handler


def on_case_event(*, uow: UnitOfWork, event: Event) -> None:
    """Keep the dossier's public status from evaluation's events about its case."""
    text = public_status.describe(event.type, event.payload)
    if text is None:
        return
    # A statement on the table, not the mapped object: the version counter is the applicant's
    # optimistic lock on what they edit, and a status line written by another service must not
    # make their next edit answer 409. ``updated_at`` likewise stays the applicant's.
    table = Dossier.__table__
    uow.session.execute(
        update(table)
        .where(table.c.id == uuid.UUID(str(event.payload["dossier_id"])))
        .values(public_status=text)
    )


def on_decided(*, uow: UnitOfWork, event: Event) -> None:
    """A level decided; when the commune review returned the dossier, it goes back to the
    applicant (recorded under the officer who returned it)."""
    if event.payload["outcome"] == "returned":
        dossier_service.return_after_review(
            uow=uow,
            dossier_id=uuid.UUID(str(event.payload["dossier_id"])),
            reason=event.payload.get("reason"),
            actor=event.actor,
        )
    on_case_event(uow=uow, event=event)


def on_certificate_event(*, uow: UnitOfWork, event: Event) -> None:
    """A certificate was issued, revoked or expired: keep the read model and the status line."""
    dossier_service.record_certificate(uow=uow, event_type=event.type, payload=event.payload)
    on_case_event(uow=uow, event=event)


HANDLERS: dict[str, Handler] = {
    **{event_type: on_case_event for event_type in public_status.TEMPLATES},
    "evaluation.decided": on_decided,
    "certificate.issued": on_certificate_event,
    "certificate.revoked": on_certificate_event,
    "certificate.expired": on_certificate_event,
}
