"""The certificate an upgrade (nâng hạng) or a re-evaluation (phân hạng lại) names.

The certificate is checked against the read model of the evaluation service's ``certificate.*``
events (certificates_read_model.py): it must be the producer's own, neither revoked nor
superseded; an upgrade's must be unexpired and below 5★; a re-evaluation is filed inside its
window (180 to 120 days before expiry, docs/domain.md#certificates) or late. A late filing is
accepted until 180 days after expiry (the longest a late filer's certificate can be kept valid,
so later there is nothing left to re-evaluate) and the dossier is marked ``late_filing``; a
filing before the window opens is refused with the window's dates. Whether the old certificate
stays valid meanwhile is the evaluation service's rule (only a filing by the expiry keeps it
valid).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.registration.domain.lifecycle import Status
from services.registration.models import ONE_CHANGE_PER_CERTIFICATE, Certificate, Dossier
from services.registration.service.certificates_read_model import (
    EXPIRED,
    REVOKED,
    SUPERSEDED,
)
from shared import calendar
from shared.certificates import late_filing_until, reevaluation_window
from shared.db import UnitOfWork
from shared.errors import Conflict, Invalid

FIRST, UPGRADE, RE_EVALUATION = "first", "upgrade", "re_evaluation"
HIGHEST_RANK = 5
# A dossier filed and not withdrawn: an upgrade in these states, and not decided, is under way.
_FILED = (Status.SUBMITTED, Status.RETURNED, Status.RESUBMITTED, Status.ACCEPTED)


def _certificate_problem(code: str, **params: Any) -> Invalid:
    return Invalid(
        "certificate.not_qualifying", errors={"certificate_number": (code, params)}, **params
    )


def _check_upgrade(certificate: Certificate, day: date) -> None:
    if certificate.status == EXPIRED or day > certificate.expires_on:
        raise _certificate_problem(
            "certificate.expired", number=certificate.number, expires_on=certificate.expires_on
        )
    if certificate.star_rank >= HIGHEST_RANK:
        raise _certificate_problem(
            "certificate.highest_rank", number=certificate.number, rank=HIGHEST_RANK
        )


def _check_reevaluation(certificate: Certificate, day: date, *, filing: bool) -> bool:
    """Whether a re-evaluation filed (or, at creation, prepared) on ``day`` is late; 422 when
    it is too late, or when a filing comes before the window opens."""
    expires_on = certificate.expires_on
    window = reevaluation_window(expires_on)
    opens_on, closes_on = window.opens_on, window.closes_on
    last_day = late_filing_until(expires_on)
    if day > last_day:
        raise _certificate_problem(
            "certificate.reevaluation_too_late",
            number=certificate.number,
            expires_on=expires_on,
            last_day=last_day,
        )
    if filing and day < opens_on:
        raise _certificate_problem(
            "certificate.reevaluation_not_open",
            number=certificate.number,
            opens_on=opens_on,
            closes_on=closes_on,
            expires_on=expires_on,
        )
    return day > closes_on


def _check_same_product(session: Session, certificate: Certificate, product_set_code: str) -> None:
    """An upgrade or re-evaluation is of the product its certificate names: the same producer
    (checked first) and the same product set."""
    holder = session.get(Dossier, certificate.dossier_id)
    if holder is not None and holder.product_set_code != product_set_code:
        raise _certificate_problem(
            "certificate.other_product",
            number=certificate.number,
            product=certificate.product_name,
            certificate_set=holder.product_set_code,
            dossier_set=product_set_code,
        )


def _check_one_upgrade(
    session: Session, certificate: Certificate, dossier_id: uuid.UUID | None
) -> None:
    """One change of a certificate at a time: no upgrade may be opened or filed, nor a
    re-evaluation filed, while an upgrade or a re-evaluation of it is filed and not decided
    (the database holds it too: models.ONE_CHANGE_PER_CERTIFICATE)."""
    other = session.execute(
        select(Dossier.id, Dossier.registration_type)
        .where(
            Dossier.certificate_number == certificate.number,
            Dossier.registration_type.in_((UPGRADE, RE_EVALUATION)),
            Dossier.status.in_([s.value for s in _FILED]),
            Dossier.decided_outcome.is_(None),
            Dossier.id != dossier_id if dossier_id is not None else true(),
        )
        .limit(1)
    ).first()
    if other is not None and other.registration_type == RE_EVALUATION:
        raise _certificate_problem(
            "certificate.reevaluation_under_way",
            number=certificate.number,
            dossier_id=str(other.id),
        )
    if other is not None:
        other = other.id
        raise _certificate_problem(
            "certificate.upgrade_under_way", number=certificate.number, dossier_id=str(other)
        )


def check(
    session: Session,
    *,
    producer_id: uuid.UUID,
    registration_type: str,
    number: str | None,
    filed_on: date | None,
    product_set_code: str,
    dossier_id: uuid.UUID | None = None,
) -> bool | None:
    """Check the certificate a dossier names against its registration type (422 otherwise).

    ``filed_on`` is the filing date at submission, ``None`` while the dossier is prepared (the
    window is judged on filing); ``dossier_id`` the dossier itself, once it exists. Returns
    whether a re-evaluation is late (``None`` for the other types).
    """
    if registration_type == FIRST:
        if number is not None:
            raise _certificate_problem("certificate.not_for_first_registration")
        return None
    if number is None:
        raise _certificate_problem("certificate.required")
    # Filing locks the certificate: two upgrades of it filed at once are checked one after the
    # other (the second sees the first under way).
    query = select(Certificate).where(Certificate.number == number)
    if filed_on is not None:
        query = query.with_for_update()
    certificate = session.execute(query).scalar_one_or_none()
    # One answer for unknown and another producer's numbers (numbers are public, holders' files
    # are not).
    if certificate is None or certificate.producer_id != producer_id:
        raise _certificate_problem("certificate.not_held", number=number)
    if certificate.status in (REVOKED, SUPERSEDED):
        raise _certificate_problem(
            "certificate.not_current", number=number, certificate_status=certificate.status
        )
    _check_same_product(session, certificate, product_set_code)
    day = filed_on or calendar.today()
    if registration_type == UPGRADE:
        _check_upgrade(certificate, day)
        _check_one_upgrade(session, certificate, dossier_id)
        return None
    if filed_on is not None:  # a draft re-evaluation waits for its window, and its turn
        _check_one_upgrade(session, certificate, dossier_id)
    return _check_reevaluation(certificate, day, filing=filed_on is not None)


def flush_filed(uow: UnitOfWork, dossier: Dossier) -> None:
    """Write the dossier's move; a second change of its certificate filed at the same instant
    as another (past the check, before the other committed) is refused by the database."""
    try:
        uow.session.flush()
    except IntegrityError as exc:
        if ONE_CHANGE_PER_CERTIFICATE not in str(exc.orig) and "certificate_number" not in str(
            exc.orig
        ):
            raise
        raise Conflict("certificate.change_under_way", number=dossier.certificate_number) from exc
