"""Recognition decisions, certificates, the public certificate lookup, and revocation."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from services.evaluation.models import Certificate, Official
from services.evaluation.runtime import current
from services.evaluation.schemas.certificates import (
    CertificateList,
    CertificateListArgs,
    CertificateOut,
    DecisionIn,
    DecisionOut,
    PublicCertificateOut,
    RevocationIn,
    RevocationOut,
)
from services.evaluation.service import certificates as certificate_service
from services.evaluation.service import decisions as decision_service
from shared.paging import page
from shared.web import READ_ERRORS, WRITE_ERRORS, current_principal, document_errors, public

blp = Blueprint("certificates", __name__, url_prefix="/api/v1", description="Certificates")

_PUBLIC_FIELDS = [name for name in PublicCertificateOut().fields if name != "status"]
_FIELDS = [name for name in CertificateOut().fields if name not in ("status", "decided_by_name")]


def _render(certificate: Certificate, names: list[str]) -> dict[str, Any]:
    data = {name: getattr(certificate, name) for name in names}
    data["status"] = certificate_service.status_on(certificate, certificate_service.today())
    return data


def _full(session: Session, certificate: Certificate) -> dict[str, Any]:
    """A certificate as its case's people see it, with the name of who signed its decision
    (the signature block of the printed decision and certificate)."""
    # An imported certificate's signer is no account here: its name is not known.
    signer = session.get(Official, certificate.decided_by) if certificate.decided_by else None
    return {
        **_render(certificate, _FIELDS),
        "decided_by_name": signer.display_name if signer else None,
    }


@blp.route("/cases/<uuid:dossier_id>/decisions", methods=["POST"])
@blp.arguments(DecisionIn)
@blp.response(201, DecisionOut)
@document_errors(blp, *WRITE_ERRORS)
def decide(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Recognise the rank awaiting your decision and issue its certificate (decision authority)"""
    with current().db.unit_of_work() as uow:
        case, certificate = decision_service.decide(
            uow=uow,
            principal=current_principal(),
            dossier_id=dossier_id,
            expected_version=data["version"],
            decision_number=data["decision_number"],
            decided_on=data["decided_on"],
        )
        rendered = _full(uow.session, certificate)
        uow.commit()
    return {
        "dossier_id": case.dossier_id,
        "version": case.version,
        "stage": case.stage,
        "decision_number": certificate.decision_number,
        "decided_on": certificate.decided_on,
        "certificate": rendered,
    }


@blp.route("/certificates", methods=["GET"])
@blp.arguments(CertificateListArgs, location="query")
@blp.response(200, CertificateList)
@document_errors(blp, *READ_ERRORS, 422)
def list_certificates(args: dict[str, Any]) -> Any:
    """The certificates of a case in your reach (officials of its units, its producer), newest
    first, a page at a time (the cursor is a number; one page holds a case's by default)"""
    with current().db.reader() as session:
        found = certificate_service.list_for_case(
            session=session, principal=current_principal(), dossier_id=args["dossier_id"]
        )
        items, cursor = page(
            found, lambda c: c.number, limit=args["limit"], after=args.get("after")
        )
        return {"items": [_full(session, c) for c in items], "next": cursor}


# ``path``: a number issued before the platform may hold a slash (123/GCN-UBND, imported).
@blp.route("/certificates/<path:number>", methods=["GET"])
@blp.response(200, PublicCertificateOut)
@public(blp)
@document_errors(blp, 401, 404)  # 401 only for a malformed or invalid token, if one is sent
def lookup(number: str) -> Any:
    """Check a certificate number, as printed on a label (no sign-in needed)"""
    with current().db.reader() as session:
        certificate = certificate_service.lookup(session=session, number=number)
        return _render(certificate, _PUBLIC_FIELDS)


@blp.route("/certificates/<path:number>/revocation", methods=["POST"])
@blp.arguments(RevocationIn)
@blp.response(201, RevocationOut)
@document_errors(blp, *WRITE_ERRORS)
def revoke(data: dict[str, Any], number: str) -> Any:
    """Revoke a valid certificate on one of the six grounds (the authority that recognised it)

    Art. 8 gives 15 days from the finding; a later revocation is still made, and the answer
    says ``late: true`` beside ``due_on``.
    """
    with current().db.unit_of_work() as uow:
        revocation = decision_service.revoke(
            uow=uow,
            principal=current_principal(),
            number=number,
            ground=data["ground"],
            found_on=data["found_on"],
            note=data["note"],
        )
        rendered = _full(uow.session, revocation.certificate)
        uow.commit()
    return {
        **rendered,
        "due_on": revocation.due_on,
        "late": revocation.late,
    }
