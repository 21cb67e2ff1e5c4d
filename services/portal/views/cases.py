"""Cases in the evaluation service: the commune review (Form 03) and its printable report,
assignment to a council by the secretariat, and the authority's recognition decision."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from services.portal import formal, pdf, signin
from services.portal.api_client import ApiError
from services.portal.views.common import (
    EVERY,
    call,
    done,
    form,
    items,
    pdf_response,
    refused,
    today,
)
from services.portal.vocab import LOCAL_CRITERIA, PROPOSALS, RATINGS

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _case(dossier_id: Any) -> dict[str, Any]:
    return call("evaluation", "GET", f"/cases/{dossier_id}")


@bp.route("/<uuid:dossier_id>/review", methods=["GET", "POST"])
@signin.required("commune_officer")
def review(dossier_id: Any) -> Any:
    """Form 03: the four local criteria and the proposal upward (or a return, a rejection)."""
    case = _case(dossier_id)
    values, errors = form(), {}
    if request.method == "POST":
        body = {
            "version": int(values.get("version") or case["version"]),
            "local_criteria": {
                name: {
                    "assessment": values.get(f"local_criteria.{name}.assessment", ""),
                    "rating": values.get(f"local_criteria.{name}.rating", ""),
                }
                for name in LOCAL_CRITERIA
            },
            "proposal": values.get("proposal", ""),
            "reasons": values.get("reasons") or None,
        }
        try:
            call("evaluation", "POST", f"/cases/{dossier_id}/commune-review", json=body)
        except ApiError as exc:
            errors = refused(exc)
        else:
            done("flash.reviewed")
            return redirect(url_for("home.index"))
    return render_template(
        "cases/review.html",
        case=case,
        values=values,
        errors=errors,
        criteria=LOCAL_CRITERIA,
        ratings=RATINGS,
        proposals=PROPOSALS,
    )


def _reported(dossier_id: Any) -> dict[str, Any] | None:
    """The case with its commune review, if the commune has recorded one."""
    case = _case(dossier_id)
    return case if case.get("commune_review") else None


@bp.get("/<uuid:dossier_id>/commune-report")
@signin.required()
def commune_report(dossier_id: Any) -> Any:
    """Form 03 as the commune's People's Committee reports it: the four local criteria and
    the proposal (for the applicant and the officials who reach the case)."""
    case = _reported(dossier_id)
    if case is None:
        abort(404)
    return render_template(
        "documents/commune_report.html",
        case=case,
        document=formal.commune_report(case),
        commune=formal.committee(f"{case['unit_tree']}:commune:{case['commune_code']}"),
        criteria=LOCAL_CRITERIA,
    )


@bp.get("/<uuid:dossier_id>/commune-report.pdf")
@signin.required()
def commune_report_pdf(dossier_id: Any) -> Any:
    case = _reported(dossier_id)
    if case is None:
        abort(404)
    return pdf_response(pdf.commune_report(case, LOCAL_CRITERIA), f"mau-03-{dossier_id}.pdf")


@bp.route("/<uuid:dossier_id>/assign", methods=["GET", "POST"])
@signin.required("secretariat")
def assign(dossier_id: Any) -> Any:
    """The level's secretariat hands the case to one of its councils, in a round."""
    case = _case(dossier_id)
    values, errors = form(), {}
    if request.method == "POST":
        body = {
            "version": int(values.get("version") or case["version"]),
            "council_id": values.get("council_id", ""),
            "round_id": values.get("round_id") or None,
        }
        try:
            call("evaluation", "POST", f"/cases/{dossier_id}/evaluations", json=body)
        except ApiError as exc:
            errors = refused(exc)
        else:
            done("flash.assigned")
            return redirect(url_for("home.index"))
    return render_template(
        "cases/assign.html",
        case=case,
        values=values,
        errors=errors,
        councils=items("evaluation", "/councils", **EVERY, level=case["level"]),
        rounds=items("evaluation", "/rounds", **EVERY, level=case["level"]),
    )


@bp.route("/<uuid:dossier_id>/decide", methods=["GET", "POST"])
@signin.required("decision_authority")
def decide(dossier_id: Any) -> Any:
    """Recognise the rank awaiting the authority: decision number and date; the certificate
    is issued by the evaluation service."""
    case = _case(dossier_id)
    values, errors = form(), {}
    if request.method == "POST":
        body = {
            "version": int(values.get("version") or case["version"]),
            "decision_number": values.get("decision_number", ""),
            "decided_on": values.get("decided_on", ""),
        }
        try:
            reply = call("evaluation", "POST", f"/cases/{dossier_id}/decisions", json=body)
        except ApiError as exc:
            errors = refused(exc)
        else:
            done("flash.decided", number=reply["certificate"]["number"])
            return redirect(url_for("dossiers.detail", dossier_id=dossier_id))
    values.setdefault("decided_on", today())
    return render_template("cases/decide.html", case=case, values=values, errors=errors)
