"""Certificates (giấy chứng nhận): numbering, issue, status on a day, lookup and listing.

A certificate is issued by a recognition decision (see :mod:`.decisions`), valid 36 months
from its issue date. Its status is computed for the day asked about rather than trusted from
the row: a stored ``valid`` past its last day of validity reads ``expired`` even before the
scheduled task marks it so.

The last day of validity is ``expires_on``, unless its holder filed a re-evaluation by then:
the certificate then stays valid until that case is decided (or withdrawn), at most 180 days
after expiry (docs/domain.md#certificates, :func:`validity_extended_until`). A re-evaluation filed
after expiry keeps nothing valid: it is accepted (registration takes filings until 180 days
after expiry) but the product is uncertified until its new certificate. A recognised upgrade
to a higher rank, or a recognised re-evaluation, supersedes the certificate it named:
``superseded`` with ``superseded_by`` the new number.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.evaluation.models import Case, Certificate, CertificateCounter, Evaluation
from services.evaluation.service import access, register
from services.evaluation.service import cases as case_service
from shared import calendar
from shared.auth import Principal
from shared.calendar import local_date
from shared.certificates import certificate_expiry, validity_extended_until
from shared.db import UnitOfWork, as_utc, dialect_insert
from shared.errors import NotFound
from shared.events import Actor

VALID = "valid"
EXPIRED = "expired"
REVOKED = "revoked"
SUPERSEDED = "superseded"
STATUSES = (VALID, EXPIRED, REVOKED, SUPERSEDED)

# A re-evaluation in these stages is decided (or withdrawn); a case returned to the applicant
# for completion is still pending: its filing stands while the dossier is completed.
_ENDED_STAGES = frozenset(
    {case_service.RECOGNISED, case_service.NOT_RECOGNISED, case_service.WITHDRAWN}
)

#: What a certificate number shows of a national issuer: "trung ương".
NATIONAL_SERIES = "TW"


def today() -> date:
    """Today in Vietnam (Asia/Ho_Chi_Minh), the day certificates are valid or not on."""
    return calendar.today()


def pending_reevaluation(certificate: Certificate) -> Case | None:
    """The re-evaluation case naming ``certificate`` that is not decided yet, if any."""
    return next(
        (
            case
            for case in certificate.follow_ups
            if case.registration_type == case_service.RE_EVALUATION
            and case.stage not in _ENDED_STAGES
        ),
        None,
    )


def valid_until(certificate: Certificate) -> date:
    """The last day ``certificate`` is valid: ``expires_on``, or later for a late filer whose
    re-evaluation (filed by the expiry) is pending, or was decided after the expiry."""
    last = certificate.expires_on
    for case in certificate.follow_ups:
        if case.registration_type != case_service.RE_EVALUATION:
            continue
        # A decided or withdrawn case ended on its last change (nothing touches it after).
        ended_on = local_date(as_utc(case.updated_at)) if case.stage in _ENDED_STAGES else None
        extended = validity_extended_until(
            certificate.expires_on, filed_on=case.filed_on, decided_on=ended_on
        )
        last = max(last, extended)
    return last


def status_on(certificate: Certificate, day: date) -> str:
    """``valid``, ``expired`` (after its last day of validity), ``revoked`` or ``superseded``
    on ``day``."""
    if certificate.status in (REVOKED, SUPERSEDED):
        return certificate.status
    if certificate.status == EXPIRED or day > valid_until(certificate):
        return EXPIRED
    return VALID


def series(case: Case, authority_level: str) -> str:
    """The issuer part of a number: "TW", the province code, or "province.district"."""
    if authority_level == "national":
        return NATIONAL_SERIES
    if authority_level == "province":
        return case.province_code
    return f"{case.province_code}.{case.district_code}"


def format_number(series_: str, year: int, serial: int) -> str:
    """``OCOP-<issuer>-<year>-<serial>``, e.g. OCOP-45-2026-00017 or OCOP-45.461-2026-00003."""
    return f"OCOP-{series_}-{year:04d}-{serial:05d}"


def _next_serial(uow: UnitOfWork, authority_unit: str, year: int) -> int:
    # One atomic upsert: concurrent decisions of one authority queue on the counter row.
    table = CertificateCounter.__table__
    stmt = (
        dialect_insert(uow.session)(table)
        .values(authority_unit=authority_unit, year=year, last_serial=1)
        .on_conflict_do_update(
            index_elements=["authority_unit", "year"],
            set_={"last_serial": table.c.last_serial + 1},
        )
        .returning(table.c.last_serial)
    )
    return int(uow.session.execute(stmt).scalar_one())


def _insert_numbered(uow: UnitOfWork, *, series_: str, values: dict[str, Any]) -> str:
    """Insert the certificate under the authority's next free number; returns the number."""
    year = values["issued_on"].year
    table = Certificate.__table__
    while True:
        number = format_number(series_, year, _next_serial(uow, values["authority_unit"], year))
        # A province of the 2025 tree may reuse its predecessor's code, so two counters can
        # yield one number: skip a taken one. ON CONFLICT DO NOTHING also waits out a
        # concurrent insert of the same number on PostgreSQL instead of failing the request.
        stmt = (
            dialect_insert(uow.session)(table)
            .values(number=number, **values)
            .on_conflict_do_nothing(index_elements=["number"])
            .returning(table.c.number)
        )
        # RETURNING, not rowcount: drivers report -1 for an INSERT that returns rows.
        if uow.session.execute(stmt).scalar_one_or_none() is not None:
            return number


def facts(certificate: Certificate) -> dict[str, Any]:
    """What every certificate event carries beyond the case's facts."""
    return {
        "number": certificate.number,
        "star_rank": certificate.star_rank,
        "authority_unit": certificate.authority_unit,
        "decision_number": certificate.decision_number,
        "issued_on": certificate.issued_on,
        "expires_on": certificate.expires_on,
    }


def issue(
    *,
    uow: UnitOfWork,
    case: Case,
    evaluation: Evaluation,
    star_rank: int,
    authority_level: str,
    authority_unit: str,
    decision_number: str,
    decided_on: date,
    decided_by: uuid.UUID,
    actor: Actor,
    replaces: Certificate | None = None,
) -> Certificate:
    """Issue the certificate a recognition decision grants (issue date = decision date), in
    place of ``replaces`` (superseded) for an upgrade or re-evaluation."""
    number = _insert_numbered(
        uow,
        series_=series(case, authority_level),
        values={
            "dossier_id": case.dossier_id,
            "evaluation_id": evaluation.id,
            "product_name": case.product_name,
            "product_code": case.product_code,
            "producer_name": case.producer_name,
            "star_rank": star_rank,
            "level": case.level,
            "authority_unit": authority_unit,
            "decision_number": decision_number,
            "decided_on": decided_on,
            "decided_by": decided_by,
            "issued_on": decided_on,
            "expires_on": certificate_expiry(decided_on),
            "status": VALID,
        },
    )
    certificate = uow.session.get_one(Certificate, number)
    register.describe(uow.session, certificate, case)
    if replaces is not None:
        replaces.status = SUPERSEDED
        replaces.superseded_by = number
        uow.session.flush()
    payload = {**facts(certificate), "replaces": replaces.number if replaces else None}
    case_service.publish(uow, case, "certificate.issued", payload, actor)
    return certificate


def lookup(*, session: Session, number: str) -> Certificate:
    """A certificate by number, for anyone (a consumer checking a label); 404 if unknown."""
    certificate = session.get(Certificate, number)
    if certificate is None:
        raise NotFound("certificate.not_found")
    return certificate


def list_for_case(
    *, session: Session, principal: Principal, dossier_id: uuid.UUID
) -> list[Certificate]:
    """The certificates of a case within the caller's reach, newest first."""
    case_service.get(session=session, principal=principal, dossier_id=dossier_id)
    return list(
        session.execute(
            select(Certificate)
            .where(Certificate.dossier_id == dossier_id)
            .order_by(Certificate.issued_on.desc(), Certificate.number.desc())
        ).scalars()
    )


def get_for_update(
    *, session: Session, principal: Principal, number: str
) -> tuple[Certificate, Case]:
    """A certificate whose case is within reach, locked until the unit of work ends."""
    row = session.execute(
        select(Certificate, Case)
        .join(Case, Certificate.dossier_id == Case.dossier_id)
        .where(Certificate.number == number, access.case_reach(principal))
        .with_for_update(of=Certificate)
    ).one_or_none()
    if row is None:
        raise NotFound("certificate.not_found")
    return row[0], row[1]
