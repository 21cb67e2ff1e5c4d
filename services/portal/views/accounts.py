"""Accounts: the administrators' list and search, an official's new account (invited by email
to set a password, or given one), and anyone's change of their own password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from services.portal import i18n, signin, units
from services.portal.api_client import ApiError
from services.portal.views.common import call, done, form, refused
from shared.auth import OFFICIAL_ROLES, ROLES

bp = Blueprint("accounts", __name__)

ADMINS = ("admin",)
FILTERS = ("q", "role", "active")


@bp.get("/accounts")
@signin.required(*ADMINS)
def index() -> Any:
    """Every account, found by words of its name or email (tones and marks aside), a role or
    the active flag, in Vietnamese alphabetical order, a page at a time."""
    values = {k: request.args[k].strip() for k in FILTERS if request.args.get(k, "").strip()}
    params: dict[str, Any] = {**values, "limit": 50}
    if request.args.get("after"):
        params["after"] = request.args["after"]
    page: dict[str, Any] = {"items": [], "next": None}
    errors: dict[str, str] = {}
    try:
        page = call("registration", "GET", "/accounts", params=params)
    except ApiError as exc:
        if exc.status != 422:
            raise
        # Query-string errors come back under "query."; the form's fields are the bare names.
        errors = {k.removeprefix("query."): v for k, v in i18n.field_refusals(exc).items()}
    return render_template(
        "accounts/index.html", values=values, errors=errors, page=page, roles=ROLES
    )


@bp.post("/accounts/<uuid:account_id>/password-link")
@signin.required(*ADMINS)
def send_link(account_id: Any) -> Any:
    """Send an account a new link: the invitation again while it has no password (the first
    lapsed or was lost), else a password reset."""
    try:
        account = call("registration", "POST", f"/accounts/{account_id}/password-link")
    except ApiError as exc:
        refused(exc)
        return redirect(url_for("accounts.index"))
    done("accounts.link_sent", email=account["email"])
    return redirect(url_for("accounts.index", q=account["email"]))


@bp.route("/accounts/new", methods=["GET", "POST"])
@signin.required(*ADMINS)
def new() -> Any:
    """An official's account: invited by email to set their own password (the default), or
    given one to pass on."""
    values: dict[str, str] = {"invite": "1", "language": "vi"}
    errors: dict[str, str] = {}
    chosen: list[str] = []
    if request.method == "POST":
        values = form()
        chosen = [r for r in request.form.getlist("roles") if r in ROLES]
    lists = units.choices(values)
    if request.method == "POST" and values.get("action") != "units":
        invite = bool(values.get("invite"))
        body: dict[str, Any] = {
            "email": values.get("email", ""),
            "display_name": values.get("display_name", ""),
            "language": values.get("language") or "vi",
            "roles": chosen,
            "unit": _jurisdiction(lists, values),
        }
        if not invite:
            body["password"] = values.get("password", "")
        try:
            account = call("registration", "POST", "/accounts", json=body)
        except ApiError as exc:
            errors = refused(exc)
        else:
            done("accounts.invited" if invite else "accounts.created", email=account["email"])
            return redirect(url_for("accounts.index", q=account["email"]))
    values.pop("password", None)
    return render_template(
        "accounts/new.html",
        values=values,
        errors=errors,
        roles=OFFICIAL_ROLES,
        chosen=chosen,
        units=lists,
        national=units.TOP,
    )


def _jurisdiction(lists: dict[str, list[dict[str, Any]]], values: dict[str, str]) -> str | None:
    """The unit picked: the national level, else the commune chosen, else the district, else
    the province; none (an administrator of everywhere) when nothing is."""
    if values.get("unit.province") == units.TOP:
        return units.TOP
    commune = values.get("unit")
    if commune and commune in {u["ref"] for u in lists["communes"]}:
        return commune
    for listed, key in (("districts", "unit.district"), ("provinces", "unit.province")):
        picked = next((u for u in lists[listed] if u["code"] == values.get(key)), None)
        if picked:
            return str(picked["ref"])
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@signin.required()
def password() -> Any:
    """Change one's own password: the other sessions end, this one goes on."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = form()
        if values.get("new_password", "") != values.get("new_password_again", ""):
            errors = {"new_password_again": i18n.translate("password.mismatch")}
        else:
            body = {
                "current_password": values.get("current_password", ""),
                "new_password": values.get("new_password", ""),
            }
            try:
                reply = call("registration", "POST", "/accounts/me/password", json=body)
            except ApiError as exc:
                errors = refused(exc)
            else:
                signin.start(reply["access_token"], reply["account"])
                done("password.changed")
                return redirect(url_for("home.index"))
    return render_template("accounts/password.html", values={}, errors=errors)
