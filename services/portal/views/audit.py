"""The auditor's view of a case file: the ledger's timeline with its verification badge, and
the signed export and inspection report (registration's case-file API, read as the auditor)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from services.portal import i18n, signin
from services.portal.views.common import api, call, maybe

bp = Blueprint("audit", __name__, url_prefix="/audit")

AUDITORS = ("auditor", "admin")


@bp.get("/<uuid:dossier_id>")
@signin.required(*AUDITORS)
def case_file(dossier_id: Any) -> Any:
    dossier = call("registration", "GET", f"/dossiers/{dossier_id}")
    history = call(
        "registration",
        "GET",
        f"/dossiers/{dossier_id}/history",
        params={
            "limit": 200,
            **({"after": request.args["after"]} if "after" in request.args else {}),
        },
    )
    verification = maybe("registration", f"/dossiers/{dossier_id}/case-file/verification")
    return render_template(
        "audit/case_file.html", dossier=dossier, history=history, verification=verification
    )


@bp.get("/<uuid:dossier_id>/<any(export, report):what>")
@signin.required(*AUDITORS)
def download(dossier_id: Any, what: str) -> Any:
    """The signed case-file archive, or the inspection report as PDF in the page's language."""
    path = f"/dossiers/{dossier_id}/case-file"
    if what == "report":
        path += f"/report?format=pdf&lang={i18n.current_language()}"
    got = api().download("registration", path, token=signin.token())
    resp = Response(got.content, mimetype=got.content_type)
    if got.disposition:
        resp.headers["Content-Disposition"] = got.disposition
    return resp
