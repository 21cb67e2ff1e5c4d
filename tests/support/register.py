"""Certificates written straight into the evaluation database, for tests of the public register
(what happens after a decision): a case, the closed evaluation behind it, and the certificate
with its register columns as the service writes them (services.evaluation.service.register)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.evaluation.models import Certificate, Council, Evaluation
from services.evaluation.service import register
from shared.certificates import certificate_expiry
from tests.support.cases import make_case


def seed_certificate(
    evaluation: Any,
    *,
    product_name: str,
    producer_name: str = "HTX Đông Hà",
    star_rank: int = 4,
    issued_on: date | None = None,
    status: str = "valid",
    case: dict[str, Any] | None = None,
    **certificate: Any,
) -> str:
    """A certificate of a new recognised case (``case`` overrides the case's columns); returns
    its number, unique to the call."""
    issued_on = issued_on or date.today() - timedelta(days=30)
    now = datetime.now(UTC)
    number = f"OCOP-T{uuid.uuid4().hex[:10].upper()}"
    with evaluation.db.unit_of_work() as uow:
        row = make_case(uow, product_name=product_name, producer_name=producer_name, **(case or {}))
        council = Council(
            name="Hội đồng OCOP", level="province", unit="pre2025:province:45", created_at=now
        )
        uow.session.add(council)
        uow.session.flush()
        scoring = Evaluation(
            dossier_id=row.dossier_id,
            level="province",
            council_id=council.id,
            status="closed",
            outcome="recognised",
            star_rank=star_rank,
            opened_at=now,
            closed_at=now,
        )
        uow.session.add(scoring)
        uow.session.flush()
        values: dict[str, Any] = {
            "number": number,
            "dossier_id": row.dossier_id,
            "evaluation_id": scoring.id,
            "product_name": product_name,
            "product_code": row.product_code,
            "producer_name": producer_name,
            "star_rank": star_rank,
            "level": "province",
            "authority_unit": "pre2025:province:45",
            "decision_number": "12/QĐ-UBND",
            "decided_on": issued_on,
            "decided_by": uuid.uuid4(),
            "issued_on": issued_on,
            "expires_on": certificate_expiry(issued_on),
            "status": status,
        } | certificate
        written = Certificate(**values)
        uow.session.add(written)
        register.describe(uow.session, written, row)
        uow.commit()
    return number
