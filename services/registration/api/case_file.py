"""The case file: its history, export, verification, readable report and the ledger's keys."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from services.registration.ledger import export, history, keys, render, views
from services.registration.ledger import verify as ledger_verify
from services.registration.ledger.schemas import (
    HistoryArgs,
    HistoryPage,
    LedgerKeys,
    ReportArgs,
    VerificationOut,
)
from services.registration.runtime import current
from services.registration.service import dossiers as dossier_service
from shared.auth import Principal
from shared.errors import Forbidden
from shared.ledger import checkpoint as signed
from shared.web import current_principal, document_errors, public

blp = Blueprint("case-file", __name__, url_prefix="/api/v1", description="The case file (ledger)")

AUDIT_ERRORS = (401, 403, 404)


def _auditor(principal: Principal, dossier_id: uuid.UUID) -> None:
    """Reach first (404 outside it, as elsewhere), then the full-view right (403)."""
    with current().db.reader() as session:
        dossier_service.get(session=session, principal=principal, dossier_id=dossier_id)
    if not views.viewer(principal).full:
        raise Forbidden("case_file.auditors_only")


def _record(
    principal: Principal, dossier_id: uuid.UUID, what: str, details: Any, *, sign: bool = False
) -> None:
    """Record the read (and, for an export, sign a checkpoint covering that very entry)."""
    with current().db.unit_of_work() as uow:
        history.record_read(
            uow=uow, principal=principal, dossier_id=dossier_id, what=what, details=details
        )
        if sign:
            export.ensure_covered(uow.session, dossier_id)
        uow.commit()


@blp.route("/dossiers/<uuid:dossier_id>/history")
class History(MethodView):
    @blp.arguments(HistoryArgs, location="query")
    @blp.response(200, HistoryPage)
    @document_errors(blp, 401, 404, 422)
    def get(self, args: dict[str, Any], dossier_id: uuid.UUID) -> Any:
        """The case's timeline in your view, oldest first (cursor pagination)

        Auditors and admins see every entry, and each of their reads is recorded in the case
        file; participants see their view (docs/adr/0006-case-file-ledger.md).
        """
        principal = current_principal()
        filters = history.Filters(
            kinds=args.get("kind") or (), since=args.get("since"), until=args.get("until")
        )
        if views.viewer(principal).full:
            details = {
                "kinds": list(filters.kinds),
                "since": filters.since.isoformat() if filters.since else None,
                "until": filters.until.isoformat() if filters.until else None,
                "after": args.get("after"),
            }
            _record(principal, dossier_id, "history", details)
        with current().db.reader() as session:
            items, cursor = history.page(
                session=session,
                principal=principal,
                dossier_id=dossier_id,
                filters=filters,
                limit=args["limit"],
                after=args.get("after"),
            )
        return {"items": items, "next": cursor}


@blp.route("/dossiers/<uuid:dossier_id>/case-file")
@blp.response(200, {"format": "binary", "type": "string"}, content_type="application/zip")
@document_errors(blp, *AUDIT_ERRORS)
def case_file(dossier_id: uuid.UUID) -> Any:
    """Export the case file (entries, global links, covering checkpoint, public key) as a zip

    Verify it offline with `ocop audit verify FILE`. Auditors and admins only.
    """
    principal = current_principal()
    _auditor(principal, dossier_id)
    _record(principal, dossier_id, "export", None, sign=True)
    with current().db.reader() as session:
        data = export.archive(export.load(session, dossier_id))
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="case-file-{dossier_id}.zip"'
    return response


@blp.route("/dossiers/<uuid:dossier_id>/case-file/verification")
@blp.response(200, VerificationOut)
@document_errors(blp, *AUDIT_ERRORS)
def verification(dossier_id: uuid.UUID) -> Any:
    """Verify the stored case file now: valid, or the first broken entry and why"""
    principal = current_principal()
    _auditor(principal, dossier_id)
    _record(principal, dossier_id, "verification", None)
    with current().db.reader() as session:
        return ledger_verify.verify_case(session, dossier_id).to_dict()


@blp.route("/dossiers/<uuid:dossier_id>/case-file/report")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, {"type": "string"}, content_type="text/html")
@blp.alt_response(
    200,
    schema={"format": "binary", "type": "string"},
    content_type="application/pdf",
    description="HTML, or with format=pdf a PDF",
    success=True,
)
@document_errors(blp, *AUDIT_ERRORS, 422)
def report(args: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """The case file for an inspection report: timeline, scores per level, certificate and the
    verification result (HTML, or PDF with format=pdf; Vietnamese or English)"""
    principal = current_principal()
    _auditor(principal, dossier_id)
    _record(principal, dossier_id, "report", {"format": args["format"]}, sign=True)
    with current().db.reader() as session:
        gathered = render.gather(session, dossier_id)
    if args["format"] == "pdf":
        response = Response(render.pdf(gathered, args["lang"]), mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'inline; filename="case-file-{dossier_id}.pdf"'
        return response
    return Response(render.html(gathered, args["lang"]), mimetype="text/html")


@blp.route("/ledger/keys")
@public(blp)
@blp.response(200, LedgerKeys)
def ledger_keys() -> Any:
    """The public keys that sign the ledger's checkpoints (Ed25519, PEM); no sign-in needed"""
    with current().db.reader() as session:
        published = keys.public_keys(session)
    return {
        "keys": [
            {
                "kid": kid,
                "alg": "Ed25519",
                "public_key_pem": pem,
                "fingerprint": signed.fingerprint(signed.load_public_pem(pem.encode())),
            }
            for kid, pem in published.items()
        ]
    }
