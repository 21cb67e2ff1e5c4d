"""A council's evaluation: conflict declaration, the dossier and its documents, the member's
own sheet with running totals, and for the chair and secretary quorum, spread and closing.

Before a member has declared, the page names the producer and the product (from the
evaluation itself) and asks the question; nothing of the dossier is fetched until they declare
no conflict. Only a seated member is asked: an official who oversees the evaluation follows it."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    url_for,
)

from services.portal import formal, pdf, sheet_view, signin
from services.portal.api_client import ApiError
from services.portal.views.common import (
    call,
    done,
    every,
    form,
    maybe,
    maybe_every,
    pdf_response,
    refused,
)

bp = Blueprint("council", __name__, url_prefix="/evaluations")


def _page(evaluation_id: Any, answers: dict[str, str] | None, errors: dict[str, str]) -> Any:
    evaluation = call("evaluation", "GET", f"/evaluations/{evaluation_id}")
    mine = evaluation["mine"]
    dossier = sheet = result = my_sheet = self_assessed = None
    evidence: dict[str, list[dict[str, Any]]] = {}
    if mine["declared"] and not mine["conflicted"]:
        dossier = call("evaluation", "GET", f"/evaluations/{evaluation_id}/dossier")
        sheet = sheet_view.sheet(dossier["product_set_code"], dossier["rubric_version"])
        my_sheet = maybe("evaluation", f"/evaluations/{evaluation_id}/sheets/mine")
        if answers is None:
            answers = my_sheet["answers"] if my_sheet else {}
        result = sheet_view.running(sheet, answers)
        errors = {**result.errors, **errors}
        # The applicant's Form 02 scored by the same scorer, and the evidence it names beside
        # each criterion (registration's documents: the members of the case may read them).
        self_assessed = sheet_view.running(sheet, dossier["self_assessment"]).score
        documents = (
            maybe_every("registration", f"/dossiers/{dossier['dossier_id']}/documents") or []
        )
        evidence = sheet_view.evidence_by_criterion(
            sheet_view.evidence_documents(dossier["dossier_id"], documents)
        )
    sheets = None
    if evaluation["status"] == "closed":
        sheets = maybe_every("evaluation", f"/evaluations/{evaluation_id}/sheets")
    return render_template(
        "council/evaluation.html",
        evaluation=evaluation,
        dossier=dossier,
        sheet=sheet,
        my_sheet=my_sheet,
        answers=answers or {},
        result=result,
        sheets=sheets or [],
        errors=errors,
        values=form(),
        choices=sheet_view.choices,
        self_assessed=self_assessed,
        evidence=evidence,
    )


@bp.get("/<uuid:evaluation_id>")
@signin.required(*signin.COUNCIL_ROLES)
def evaluation(evaluation_id: Any) -> Any:
    return _page(evaluation_id, None, {})


@bp.post("/<uuid:evaluation_id>/conflict")
@signin.required(*signin.COUNCIL_ROLES)
def declare(evaluation_id: Any) -> Any:
    body = {
        "conflicted": request.form.get("conflicted") == "yes",
        "reason": request.form.get("reason") or None,
    }
    try:
        call("evaluation", "POST", f"/evaluations/{evaluation_id}/conflicts", json=body)
    except ApiError as exc:
        return _page(evaluation_id, None, refused(exc))
    if body["conflicted"]:
        # From now on the member reaches nothing of the case (ADR 0009): back home.
        done("flash.declared_conflict")
        return redirect(url_for("home.index"))
    done("flash.declared")
    return redirect(url_for("council.evaluation", evaluation_id=evaluation_id))


@bp.post("/<uuid:evaluation_id>/sheet")
@signin.required(*signin.COUNCIL_ROLES)
def score(evaluation_id: Any) -> Any:
    """Recompute the running totals ("check"), or hand in / revise the sheet ("save")."""
    dossier = call("evaluation", "GET", f"/evaluations/{evaluation_id}/dossier")
    sheet = sheet_view.sheet(dossier["product_set_code"], dossier["rubric_version"])
    answers = sheet_view.answers_from_form(sheet, request.form)
    if request.form.get("action") != "save":
        return _page(evaluation_id, answers, {})
    body: dict[str, Any] = {"answers": answers, "comment": request.form.get("comment") or None}
    path = f"/evaluations/{evaluation_id}/sheets"
    try:
        if request.form.get("revision"):
            body["revision"] = int(request.form["revision"])
            call("evaluation", "PUT", f"{path}/mine", json=body)
        else:
            call("evaluation", "POST", path, json=body)
    except ApiError as exc:
        return _page(evaluation_id, answers, refused(exc))
    done("flash.sheet_saved")
    return redirect(url_for("council.evaluation", evaluation_id=evaluation_id))


@bp.post("/<uuid:evaluation_id>/finalise")
@signin.required("council_chair", "council_secretary", "council_member")
def finalise(evaluation_id: Any) -> Any:
    """Close the scoring; over the maximum spread the service reopens it for re-scoring."""
    body = {"version": int(request.form.get("version", "0"))}
    try:
        reply = call("evaluation", "POST", f"/evaluations/{evaluation_id}/finalise", json=body)
    except ApiError as exc:
        refused(exc)
    else:
        done("flash.rescore" if reply.get("status") == "open" else "flash.finalised")
    return redirect(url_for("council.evaluation", evaluation_id=evaluation_id))


@bp.get("/<uuid:evaluation_id>/minutes")
@signin.required(*signin.COUNCIL_ROLES)
def minutes(evaluation_id: Any) -> Any:
    """The council minutes (biên bản họp hội đồng) of a closed evaluation, as a document to
    print: the council and its seats, quorum, each sheet's totals, the mean and the outcome."""
    parts = _minutes(evaluation_id)
    document = formal.minutes(parts["evaluation"], parts["council"])
    return render_template("council/minutes.html", document=document, **parts)


def _minutes(evaluation_id: Any) -> dict[str, Any]:
    """What the minutes show; 409 while the evaluation is still open."""
    evaluation = call("evaluation", "GET", f"/evaluations/{evaluation_id}")
    if evaluation["status"] != "closed":
        abort(409)
    return {
        "evaluation": evaluation,
        "council": call("evaluation", "GET", f"/councils/{evaluation['council_id']}"),
        "dossier": call("evaluation", "GET", f"/evaluations/{evaluation_id}/dossier"),
        "sheets": every("evaluation", f"/evaluations/{evaluation_id}/sheets"),
    }


@bp.get("/<uuid:evaluation_id>/minutes.pdf")
@signin.required(*signin.COUNCIL_ROLES)
def minutes_pdf(evaluation_id: Any) -> Any:
    """The council minutes as a PDF document, to sign and file."""
    content = pdf.minutes(**_minutes(evaluation_id))
    return pdf_response(content, f"bien-ban-{evaluation_id}.pdf")
