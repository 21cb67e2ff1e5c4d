"""Certificates: the public check of a number (no sign-in: what a label's QR code opens), the
printable certificate and the recognition decision that issued it, and revocation by the
authority that recognised it.

The printable documents are for whoever reaches the case in the evaluation service (its
applicant, the officials on it): the API answers 404 to anyone else. The check link and its QR
code are on the portal's configured public address (:mod:`services.portal.links`)."""

from __future__ import annotations

import re
from typing import Any

import segno
from flask import Blueprint, abort, redirect, render_template, request, url_for
from markupsafe import Markup

from services.portal import formal, pdf, signin
from services.portal.api_client import ApiError
from services.portal.i18n import translate
from services.portal.links import public_url
from services.portal.views.common import (
    api,
    call,
    done,
    every,
    form,
    pdf_response,
    refused,
    today,
)
from services.portal.vocab import REVOCATION_GROUNDS

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

# Certificate numbers look like OCOP-45-2026-00017; anything else is not worth a call.
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$")


@bp.get("/check")
def check() -> Any:
    number = request.args.get("number", "").strip()
    certificate, not_found = None, False
    if number:
        if NUMBER.match(number):
            try:
                certificate = api().call("evaluation", "GET", f"/certificates/{number}")
            except ApiError as exc:
                if exc.status != 404:
                    raise
                not_found = True
        else:
            not_found = True
    return render_template(
        "certificates/check.html", number=number, certificate=certificate, not_found=not_found
    )


def latest(dossier_id: Any) -> dict[str, Any] | None:
    found = every("evaluation", "/certificates", dossier_id=str(dossier_id))
    return found[0] if found else None  # newest first


@bp.get("/of/<uuid:dossier_id>")
@signin.required()
def printable(dossier_id: Any) -> Any:
    """The certificate of a case, as a page to print or save (the applicant's download)."""
    certificate = latest(dossier_id)
    if certificate is None:
        abort(404)
    check_url = public_url("certificates.check", number=certificate["number"])
    # The QR code a label carries: scanning it opens the public check of this number.
    qr = segno.make(check_url, error="m").svg_inline(
        scale=4, title=translate("certificate.qr", number=certificate["number"])
    )
    return render_template(
        "certificates/printable.html",
        certificate=certificate,
        document=formal.certificate(certificate),
        day_text=formal.day_text,
        check_url=check_url,
        qr=Markup(qr),
    )


@bp.get("/of/<uuid:dossier_id>.pdf")
@signin.required()
def printable_pdf(dossier_id: Any) -> Any:
    """The certificate as a PDF, its QR code linking to the public check of its number."""
    certificate = latest(dossier_id)
    if certificate is None:
        abort(404)
    check_url = public_url("certificates.check", number=certificate["number"])
    return pdf_response(pdf.certificate(certificate, check_url), f"{certificate['number']}.pdf")


def _decided(dossier_id: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The latest certificate of a case and the case: what its recognition decision says."""
    certificate = latest(dossier_id)
    if certificate is None:
        return None
    return certificate, call("evaluation", "GET", f"/cases/{dossier_id}")


@bp.get("/of/<uuid:dossier_id>/decision")
@signin.required()
def decision(dossier_id: Any) -> Any:
    """The recognition decision (quyết định công nhận) that issued the case's certificate."""
    found = _decided(dossier_id)
    if found is None:
        abort(404)
    certificate, case = found
    document = formal.decision(certificate, case)
    return render_template(
        "documents/decision.html",
        certificate=certificate,
        document=document,
        body=formal.decision_body(certificate, case, document),
    )


@bp.get("/of/<uuid:dossier_id>/decision.pdf")
@signin.required()
def decision_pdf(dossier_id: Any) -> Any:
    found = _decided(dossier_id)
    if found is None:
        abort(404)
    certificate, case = found
    return pdf_response(pdf.decision(certificate, case), f"quyet-dinh-{certificate['number']}.pdf")


# ``path``: an imported certificate's original number may hold a slash (123/GCN-UBND).
@bp.route("/<path:number>/revoke", methods=["GET", "POST"])
@signin.required("decision_authority")
def revoke(number: str) -> Any:
    certificate = call("evaluation", "GET", f"/certificates/{number}")
    values, errors = form(), {}
    if request.method == "POST":
        body = {
            "ground": values.get("ground", ""),
            "found_on": values.get("found_on", ""),
            "note": values.get("note") or None,
        }
        try:
            call("evaluation", "POST", f"/certificates/{number}/revocation", json=body)
        except ApiError as exc:
            errors = refused(exc)
        else:
            done("flash.revoked", number=number)
            return redirect(url_for("certificates.check", number=number))
    values.setdefault("found_on", today())
    return render_template(
        "certificates/revoke.html",
        certificate=certificate,
        values=values,
        errors=errors,
        grounds=REVOCATION_GROUNDS,
    )
