"""Handlers of events: the public status of each dossier, the certificates read model that
upgrades and re-evaluations are checked against, and the case file ledger, which records every
event about a dossier from every service (this one's own included)."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from services.registration.ledger import checkpoints
from services.registration.ledger import writer as ledger
from services.registration.models import Dossier, participant_tables
from services.registration.service import certificates_read_model, public_status
from services.registration.service import dossiers as dossier_service
from shared import participants
from shared.db import UnitOfWork, table_of
from shared.events import Event
from shared.events.registry import EVENT_TYPES
from shared.messaging.consumer import Handler


def on_case_event(*, uow: UnitOfWork, event: Event) -> None:
    """Keep the dossier's public status from evaluation's events about its case."""
    status = public_status.status_of(event.type, event.payload)
    if status is None:
        return
    # A statement on the table, not the mapped object: the version counter is the applicant's
    # optimistic lock on what they edit, and a status line written by another service must not
    # make their next edit answer 409. ``updated_at`` likewise stays the applicant's.
    table = table_of(Dossier)
    uow.session.execute(
        update(table)
        .where(table.c.id == uuid.UUID(str(event.payload["dossier_id"])))
        .values(
            public_status=status.text,
            public_status_key=status.key,
            public_status_params=dict(status.params),
        )
    )


def on_decided(*, uow: UnitOfWork, event: Event) -> None:
    """A level decided; when the commune review returned the dossier, it goes back to the
    applicant (recorded under the officer who returned it); a decision that ends the case
    (recognised, not recognised, rejected) is recorded: the dossier can no longer be
    withdrawn."""
    outcome = event.payload["outcome"]
    dossier_id = uuid.UUID(str(event.payload["dossier_id"]))
    if outcome == "returned":
        dossier_service.return_after_review(
            uow=uow,
            dossier_id=dossier_id,
            reason=event.payload.get("reason"),
            actor=event.actor,
        )
    elif outcome in dossier_service.DECISIONS:
        dossier_service.record_decision(uow=uow, dossier_id=dossier_id, outcome=outcome)
    on_case_event(uow=uow, event=event)


def on_certificate_event(*, uow: UnitOfWork, event: Event) -> None:
    """A certificate was issued, revoked or expired: keep the read model and the status line
    (an issue also says the case was decided, should it arrive before the decision)."""
    certificates_read_model.record_certificate(
        uow=uow, event_type=event.type, payload=event.payload
    )
    if event.type == "certificate.issued":
        dossier_service.record_decision(
            uow=uow,
            dossier_id=uuid.UUID(str(event.payload["dossier_id"])),
            outcome="recognised",
        )
    on_case_event(uow=uow, event=event)


def on_seat(*, uow: UnitOfWork, event: Event) -> None:
    """Keep the council seats: a council's members are on the cases assigned to it."""
    participants.record_seat(
        uow.session,
        participant_tables,
        event.payload,
        seated=event.type == "council.member_added",
    )


def with_ledger(handler: Handler | None) -> Handler:
    """The handler's effect, then the event's ledger entry, in the same unit of work (last, so
    the global head is locked only for the end of the transaction)."""

    def handle(*, uow: UnitOfWork, event: Event) -> None:
        if handler is not None:
            handler(uow=uow, event=event)
        entry = ledger.record_event(session=uow.session, event=event)
        if entry is not None:
            checkpoints.maybe_on_count(uow.session, entry.seq)

    return handle


DOMAIN_HANDLERS: dict[str, Handler] = {
    **{event_type: on_case_event for event_type in public_status.TEMPLATES},
    "evaluation.decided": on_decided,
    "certificate.issued": on_certificate_event,
    "certificate.revoked": on_certificate_event,
    "certificate.expired": on_certificate_event,
    "council.member_added": on_seat,
    "council.member_removed": on_seat,
}

# Every event type: the ledger hears them all (the queue is bound to "#").
HANDLERS: dict[str, Handler] = {
    event_type: with_ledger(DOMAIN_HANDLERS.get(event_type)) for event_type in EVENT_TYPES
}
