"""The certificates read model: the evaluation service's ``certificate.*`` events kept as rows
(what an upgrade or a re-evaluation may name, and what a dossier was issued)."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as update_rows
from sqlalchemy.orm import Session

from services.registration.models import Certificate, Dossier
from services.registration.service import public_status
from shared.db import UnitOfWork, table_of

log = logging.getLogger(__name__)

# Certificate statuses, as the evaluation service's events tell them.
VALID, EXPIRED, REVOKED, SUPERSEDED = "valid", "expired", "revoked", "superseded"


def record_certificate(*, uow: UnitOfWork, event_type: str, payload: dict[str, Any]) -> None:
    """Keep the certificates read model from a ``certificate.*`` event of the evaluation
    service: issued (and what it superseded), revoked, expired."""
    number = payload["number"]
    certificate = uow.session.get(Certificate, number)
    if certificate is None:
        dossier = uow.session.get(Dossier, uuid.UUID(str(payload["dossier_id"])))
        if dossier is None:
            log.warning("certificate %s names an unknown dossier; not recorded", number)
            return
        certificate = Certificate(
            number=number, dossier_id=dossier.id, producer_id=dossier.producer_id, status=VALID
        )
        uow.session.add(certificate)
    certificate.product_name = payload["product_name"]
    certificate.star_rank = payload["star_rank"]
    certificate.issued_on = date.fromisoformat(str(payload["issued_on"]))
    certificate.expires_on = date.fromisoformat(str(payload["expires_on"]))
    # Events may arrive out of order: a later status is never overwritten by an earlier one.
    if event_type == "certificate.revoked":
        certificate.status = REVOKED
    elif event_type == "certificate.expired" and certificate.status == VALID:
        certificate.status = EXPIRED
    replaced = payload.get("replaces")
    if event_type == "certificate.issued" and replaced:
        old = uow.session.get(Certificate, replaced)
        if old is not None and old.status in (VALID, EXPIRED):
            old.status = SUPERSEDED
            old.superseded_by = number
            # The old dossier's status line says so and names its successor.
            _set_public_status(
                uow.session,
                old.dossier_id,
                public_status.superseded(old.number, number, int(payload["star_rank"])),
            )


def _set_public_status(
    session: Session, dossier_id: uuid.UUID, status: public_status.Status
) -> None:
    """Write a dossier's status line without touching its version (the applicant's lock)."""
    table = table_of(Dossier)
    session.execute(
        update_rows(table)
        .where(table.c.id == dossier_id)
        .values(
            public_status=status.text,
            public_status_key=status.key,
            public_status_params=dict(status.params),
        )
    )


def certificates_of(session: Session, dossier_ids: list[uuid.UUID]) -> dict[uuid.UUID, Certificate]:
    """The certificate each of ``dossier_ids`` was issued (the newest, should there be more)."""
    if not dossier_ids:
        return {}
    rows = session.execute(
        select(Certificate)
        .where(Certificate.dossier_id.in_(dossier_ids))
        .order_by(Certificate.issued_on, Certificate.number)
    ).scalars()
    return {c.dossier_id: c for c in rows}
