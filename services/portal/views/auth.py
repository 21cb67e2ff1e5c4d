"""Sign in, sign out, and an applicant's own registration."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from services.portal import signin
from services.portal.api_client import ApiError
from services.portal.i18n import translate
from services.portal.views.common import api, done, form, refused

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host (an open redirect)."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


def _sign_in(email: str, password: str) -> dict[str, Any]:
    return api().call(
        "registration",
        "POST",
        "/auth/token",
        json={"email": email, "password": password},
        # The browser's address, so the API's sign-in limits count per person (the API
        # believes it because the portal is one of its trusted proxies).
        headers={"X-Forwarded-For": request.remote_addr or ""},
    )


@bp.route("/signin", methods=["GET", "POST"], endpoint="signin")
def signin_page() -> Any:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = form()
        try:
            reply = _sign_in(values.get("email", ""), values.get("password", ""))
        except ApiError as exc:
            errors = refused(exc) if exc.status == 422 else {"password": translate("signin.failed")}
            if exc.status not in (401, 422):
                refused(exc)
        else:
            signin.start(reply["access_token"], reply["account"])
            return redirect(_safe_next(request.args.get("next")))
    values.pop("password", None)
    return render_template("auth/signin.html", values=values, errors=errors)


@bp.post("/signout")
def signout() -> Any:
    """End the session here and its token everywhere: a copy of the session cookie taken before
    (the token is inside it) no longer signs anyone in (ADR 0002)."""
    token = signin.token()
    if token is not None:
        try:
            api().call("registration", "POST", "/auth/signout", token=token)
        except ApiError as exc:
            # 401: the token was no longer valid anyway. Otherwise the cookie is still cleared
            # and the token runs out within its lifetime; say so in the log.
            if exc.status != 401:
                current_app.logger.warning("sign-out not recorded: %s", exc.message)
    signin.end()
    return redirect(url_for("home.index"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = form()
        body = {
            "email": values.get("email", ""),
            "password": values.get("password", ""),
            "display_name": values.get("display_name", ""),
            "role": values.get("role", "applicant"),
            "language": values.get("language") or "vi",
        }
        try:
            api().call("registration", "POST", "/accounts/register", json=body)
            reply = _sign_in(body["email"], body["password"])
        except ApiError as exc:
            errors = refused(exc)
        else:
            signin.start(reply["access_token"], reply["account"])
            done("flash.registered")
            return redirect(url_for("home.index"))
    values.pop("password", None)
    return render_template("auth/register.html", values=values, errors=errors)
