"""Dossiers in the registration service: the producer and Form 01, the self-assessment on the
sheet, documents, submission and return, intake by the commune, and the case's timeline."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from services.portal import sheet_view, signin, units
from services.portal.api_client import ApiError
from services.portal.i18n import translate
from services.portal.timeline import timeline
from services.portal.views.common import (
    EVERY,
    api,
    call,
    done,
    every,
    form,
    items,
    maybe,
    refused,
)
from services.portal.vocab import DOCUMENT_KINDS, ENTITY_TYPES, GENDERS, REGISTRATION_TYPES
from shared.names import sort_key

bp = Blueprint("dossiers", __name__)

APPLICANT = ("applicant", "consultant")


def _product_sets() -> list[dict[str, Any]]:
    return every("registration", "/product-sets")


@bp.route("/producers/new", methods=["GET", "POST"])
@signin.required(*APPLICANT)
def new_producer() -> Any:
    values, errors = form(), {}
    if request.method == "POST" and values.get("action") != "units":
        body = {
            "name": values.get("name", ""),
            "entity_type": values.get("entity_type", ""),
            "representative": {
                key: values.get(f"representative.{key}", "")
                for key in ("name", "position", "gender", "ethnicity")
            },
            "unit": values.get("unit", ""),
            "address": values.get("address", ""),
            "phone": values.get("phone", ""),
            "email": values.get("email", ""),
        }
        if values.get("business_registration_no"):
            body["business_registration_no"] = values["business_registration_no"]
        try:
            call("registration", "POST", "/producers", json=body)
        except ApiError as exc:
            errors = refused(exc)
        else:
            done("flash.producer_created")
            return redirect(url_for("dossiers.new_dossier"))
    return render_template(
        "dossiers/producer.html",
        values=values,
        errors=errors,
        entity_types=ENTITY_TYPES,
        genders=GENDERS,
        units=units.choices(values),
    )


@bp.route("/dossiers/new", methods=["GET", "POST"])
@signin.required(*APPLICANT)
def new_dossier() -> Any:
    # Picked by name, in Vietnamese alphabetical order: all of them (a consultant serves many).
    producers = sorted(
        items("registration", "/producers", **EVERY), key=lambda p: sort_key(p["name"])
    )
    if not producers:
        return redirect(url_for("dossiers.new_producer"))
    values, errors = form(), {}
    if request.method == "POST":
        body = {
            "producer_id": values.get("producer_id", ""),
            "registration_type": values.get("registration_type", "first"),
            "product_name": values.get("product_name", ""),
            "product_set_code": values.get("product_set_code", ""),
            "certificate_number": values.get("certificate_number") or None,
            "samples_count": values.get("samples_count") or 0,
            "commitment": values.get("commitment") == "yes",
        }
        try:
            dossier = call("registration", "POST", "/dossiers", json=body)
        except ApiError as exc:
            errors = refused(exc)
        else:
            done("flash.dossier_created")
            return redirect(url_for("dossiers.assessment", dossier_id=dossier["id"]))
    return render_template(
        "dossiers/new.html",
        values=values,
        errors=errors,
        producers=producers,
        product_sets=_product_sets(),
        registration_types=REGISTRATION_TYPES,
    )


@bp.get("/dossiers/<uuid:dossier_id>")
@signin.required()
def detail(dossier_id: Any) -> Any:
    dossier = call("registration", "GET", f"/dossiers/{dossier_id}")
    case = maybe("evaluation", f"/cases/{dossier_id}")
    certificates = []
    if case and case["stage"] == "recognised":
        certificates = every("evaluation", "/certificates", dossier_id=str(dossier_id))
    colleagues = []
    me = (signin.account() or {}).get("id")
    if "assign" in dossier["allowed_actions"] and dossier["handler_account_id"] == me:
        # The other officers of the commune, to hand the dossier to one of them.
        colleagues = [
            o for o in items("evaluation", "/officials", limit=200) if o["account_id"] != me
        ]
    return render_template(
        "dossiers/detail.html",
        dossier=dossier,
        colleagues=colleagues,
        documents=every("registration", f"/dossiers/{dossier_id}/documents"),
        case=case,
        certificates=certificates,
        timeline=timeline(dossier, case, certificates),
        kinds=DOCUMENT_KINDS,
        errors={},
        values={},
    )


@bp.route("/dossiers/<uuid:dossier_id>/assessment", methods=["GET", "POST"])
@signin.required(*APPLICANT)
def assessment(dossier_id: Any) -> Any:
    """Form 02 on the product set's own sheet, with the uploaded documents to tick as evidence
    beside each criterion; "check" recomputes the running score without saving, "save" stores
    the answers on the dossier and names each document's criteria."""
    dossier = call("registration", "GET", f"/dossiers/{dossier_id}")
    sheet = sheet_view.sheet(dossier["product_set_code"], dossier["rubric_version"])
    documents = sheet_view.evidence_documents(
        dossier_id, every("registration", f"/dossiers/{dossier_id}/documents")
    )
    errors: dict[str, str] = {}
    answers = dossier["self_assessment"]
    named = {d["id"]: d["criteria"] for d in documents}
    if request.method == "POST":
        answers = sheet_view.answers_from_form(sheet, request.form)
        named = sheet_view.evidence_from_form(sheet, documents, request.form)
        if request.form.get("action") == "save":
            body = {"version": int(request.form["version"]), "self_assessment": answers}
            try:
                call("registration", "PATCH", f"/dossiers/{dossier_id}", json=body)
                for d in documents:
                    if named[d["id"]] != d["criteria"]:
                        path = f"/dossiers/{dossier_id}/documents/{d['id']}"
                        call("registration", "PATCH", path, json={"criteria": named[d["id"]]})
            except ApiError as exc:
                errors = refused(exc)
            else:
                done("flash.assessment_saved")
                return redirect(url_for("dossiers.detail", dossier_id=dossier_id))
    result = sheet_view.running(sheet, answers)
    ticked: dict[str, list[str]] = {}
    for document_id, codes in named.items():
        for code in codes:
            ticked.setdefault(code, []).append(document_id)
    return render_template(
        "dossiers/assessment.html",
        dossier=dossier,
        sheet=sheet,
        answers=answers,
        result=result,
        errors={**result.errors, **errors},
        choices=sheet_view.choices,
        pick={"documents": documents, "ticked": ticked},
    )


@bp.post("/dossiers/<uuid:dossier_id>/documents")
@signin.required(*APPLICANT)
def upload(dossier_id: Any) -> Any:
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(translate("flash.choose_file"), "error")
    else:
        # The criteria it is evidence for, as typed: "1.3, 2.1" (the API checks each).
        criteria = request.form.get("criteria", "").replace(",", " ").replace(";", " ").split()
        try:
            call(
                "registration",
                "POST",
                f"/dossiers/{dossier_id}/documents",
                data={"kind": request.form.get("kind", ""), "criteria": criteria},
                files={"file": (file.filename, file.stream, file.mimetype)},
            )
        except ApiError as exc:
            for message in refused(exc).values():  # which file or criterion, in words
                flash(message, "error")
        else:
            done("flash.document_uploaded")
    return redirect(url_for("dossiers.detail", dossier_id=dossier_id) + "#documents")


@bp.get("/dossiers/<uuid:dossier_id>/documents/<uuid:document_id>/<int:number>")
@signin.required()
def download(dossier_id: Any, document_id: Any, number: int) -> Any:
    got = api().download(
        "registration",
        f"/dossiers/{dossier_id}/documents/{document_id}/versions/{number}/content",
        token=signin.token(),
    )
    resp = Response(got.content, mimetype=got.content_type)
    if got.disposition:
        resp.headers["Content-Disposition"] = got.disposition
    return resp


ACTIONS = ("submit", "resubmit", "accept", "withdraw")


@bp.post("/dossiers/<uuid:dossier_id>/<action>")
@signin.required()
def act(dossier_id: Any, action: str) -> Any:
    """A lifecycle action with the version the person read (submit, accept, …)."""
    if action not in ACTIONS:
        abort(404)
    if action == "withdraw" and request.form.get("confirm") != "yes":
        # Withdrawing cannot be undone: the form's box says so and must be ticked.
        flash(translate("flash.confirm_withdraw"), "error")
        return redirect(url_for("dossiers.detail", dossier_id=dossier_id))
    try:
        call(
            "registration",
            "POST",
            f"/dossiers/{dossier_id}/{action}",
            json={"version": int(request.form.get("version", "0"))},
        )
    except ApiError as exc:
        refused(exc)
    else:
        done(f"flash.{action}")
    return redirect(url_for("dossiers.detail", dossier_id=dossier_id))


@bp.post("/dossiers/<uuid:dossier_id>/take")
@signin.required("commune_officer")
def take(dossier_id: Any) -> Any:
    """Take a dossier from the commune's queue (the registration API's assign, without an
    account): from then on the officer handles it and the commune's other officers no longer
    see it (ADR 0009)."""
    body = {"version": int(request.form.get("version", "0"))}
    try:
        call("registration", "POST", f"/dossiers/{dossier_id}/assign", json=body)
    except ApiError as exc:
        if exc.status != 404:
            refused(exc)
            return redirect(url_for("dossiers.detail", dossier_id=dossier_id))
        # Another officer took it first, or the applicant withdrew it: out of reach now.
        flash(translate("flash.taken_elsewhere"), "error")
        return redirect(url_for("home.index"))
    done("flash.taken")
    return redirect(url_for("dossiers.detail", dossier_id=dossier_id))


@bp.post("/dossiers/<uuid:dossier_id>/hand-over")
@signin.required("commune_officer")
def hand_over(dossier_id: Any) -> Any:
    """Hand a dossier one handles to another officer of the commune, once confirmed: from then
    on they handle it, and it leaves this officer's reach (ADR 0009)."""
    if request.form.get("confirm") != "yes":
        flash(translate("flash.confirm_hand_over"), "error")
        return redirect(url_for("dossiers.detail", dossier_id=dossier_id))
    body = {
        "version": int(request.form.get("version", "0")),
        "account_id": request.form.get("account_id", ""),
    }
    try:
        call("registration", "POST", f"/dossiers/{dossier_id}/assign", json=body)
    except ApiError as exc:
        refused(exc)
        return redirect(url_for("dossiers.detail", dossier_id=dossier_id))
    done("flash.handed_over")
    return redirect(url_for("home.index"))


@bp.route("/dossiers/<uuid:dossier_id>/return", methods=["GET", "POST"])
@signin.required("commune_officer")
def return_dossier(dossier_id: Any) -> Any:
    """Return for supplement with a checklist of what is missing."""
    dossier = call("registration", "GET", f"/dossiers/{dossier_id}")
    values, errors = form(), {}
    if request.method == "POST":
        missing = [
            {"item": kind, "note": request.form.get(f"note.{kind}") or None}
            for kind in request.form.getlist("missing")
        ]
        if values.get("other"):
            missing.append({"item": values["other"], "note": None})
        body = {
            "version": dossier["version"] if not values.get("version") else int(values["version"]),
            "missing_items": missing,
            "reason": values.get("reason") or None,
        }
        try:
            call("registration", "POST", f"/dossiers/{dossier_id}/return", json=body)
        except ApiError as exc:
            errors = refused(exc)
        else:
            done("flash.return")
            return redirect(url_for("home.index"))
    return render_template(
        "dossiers/return.html",
        dossier=dossier,
        values=values,
        checked=set(request.form.getlist("missing")),
        errors=errors,
        kinds=DOCUMENT_KINDS,
    )
