"""The auditor's work: searching the cases in reach, and a case file's view (the ledger's
timeline with its verification badge, the signed export and the inspection report), all read
from registration's APIs as the auditor."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from services.portal import i18n, signin, units
from services.portal.api_client import ApiError
from services.portal.views.common import api, call, every, maybe

bp = Blueprint("audit", __name__, url_prefix="/audit")

AUDITORS = ("auditor", "admin")
STATUSES = ("draft", "submitted", "returned", "resubmitted", "accepted", "withdrawn")
FILTERS = ("status", "product_set_code", "unit")
# The unit picker's province and district; its commune is the filter ``unit`` itself.
PICKER = ("unit.province", "unit.district")


def _within(lists: dict[str, list[dict[str, Any]]], values: dict[str, str]) -> str | None:
    """The unit to search within: the commune chosen, else the district, else the province.
    A commune left from an earlier choice of province no longer counts; a reference given
    in a link without the picker (``?unit=pre2025:district:461``) is taken as it is."""
    commune = values.get("unit")
    if commune and (
        "unit.province" not in values or commune in {u["ref"] for u in lists["communes"]}
    ):
        return commune
    for listed, key in (("districts", "unit.district"), ("provinces", "unit.province")):
        chosen = next((u for u in lists[listed] if u["code"] == values.get(key)), None)
        if chosen:
            return chosen["ref"]
    return None


@bp.get("/")
@signin.required(*AUDITORS)
def search() -> Any:
    """Cases in the auditor's reach, by status, product set and administrative unit (the
    registration list's own filters, index-backed), a page at a time."""
    asked = (*FILTERS, *PICKER)
    values = {k: request.args[k].strip() for k in asked if request.args.get(k, "").strip()}
    lists = units.choices(values)
    params: dict[str, Any] = {k: values[k] for k in ("status", "product_set_code") if k in values}
    params["limit"] = 50
    within = _within(lists, values)
    if within:
        params["unit"] = within
    if request.args.get("after"):
        params["after"] = request.args["after"]
    page: dict[str, Any] = {"items": [], "next": None}
    errors: dict[str, Any] = {}
    try:
        page = call("registration", "GET", "/dossiers", params=params)
    except ApiError as exc:
        if exc.status != 422:
            raise
        # Query-string errors come back under "query."; the form's fields are the bare names.
        errors = {k.removeprefix("query."): v for k, v in i18n.field_refusals(exc).items()}
    return render_template(
        "audit/search.html",
        values=values,
        errors=errors,
        page=page,
        statuses=STATUSES,
        units=lists,
        product_sets=every("registration", "/product-sets"),
    )


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
