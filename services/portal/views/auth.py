"""Sign in, sign out, an applicant's own registration and the confirmation of its email, and a
password forgotten or never set: a link asked for by email, and the page the emailed link
opens."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from services.portal import signin
from services.portal.api_client import ApiError
from services.portal.i18n import translate
from services.portal.views.common import api, call, done, form, refused

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
            if signin.unconfirmed():
                done("email.registered_confirm", email=reply["account"]["email"])
            else:
                done("flash.registered")
            return redirect(url_for("home.index"))
    values.pop("password", None)
    return render_template("auth/register.html", values=values, errors=errors)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Any:
    """Ask for a link to set a new password. The page says the same whether the email has an
    account or not (the API does too): nobody learns here who has one."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    sent = False
    if request.method == "POST":
        values = form()
        try:
            api().call(
                "registration",
                "POST",
                "/auth/password/forgot",
                json={"email": values.get("email", "")},
                headers={"X-Forwarded-For": request.remote_addr or ""},
            )
        except ApiError as exc:
            errors = refused(exc)
        else:
            sent = True
    return render_template("auth/forgot.html", values=values, errors=errors, sent=sent)


def _link_gone() -> Any:
    return render_template("auth/link_gone.html"), 410


@bp.route("/password/set", methods=["GET", "POST"])
def set_password() -> Any:
    """The page an emailed link opens: set a password (a reset, or an invitation's first),
    then be signed in. A used, replaced or lapsed link says so, and how to ask for another."""
    token = (request.form.get("token") or request.args.get("token") or "").strip()
    if not token:
        return _link_gone()
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = form()
        if values.get("password", "") != values.get("password_again", ""):
            errors = {"password_again": translate("password.mismatch")}
        else:
            try:
                reply = api().call(
                    "registration",
                    "POST",
                    "/auth/password/set",
                    json={"token": token, "password": values.get("password", "")},
                )
            except ApiError as exc:
                if exc.status == 410:
                    return _link_gone()
                errors = refused(exc)
            else:
                signin.start(reply["access_token"], reply["account"])
                done("password.set")
                return redirect(url_for("home.index"))
    try:
        link = api().call("registration", "POST", "/auth/password/link", json={"token": token})
    except ApiError as exc:
        if exc.status in (410, 422):
            return _link_gone()
        raise
    page = make_response(
        render_template("auth/password_set.html", link=link, token=token, errors=errors)
    )
    # The token is in this page's address: never hand it to another site as a referrer.
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


@bp.route("/email/confirm", methods=["GET", "POST"])
def confirm_email() -> Any:
    """The page the confirmation email's link opens. Opening it changes nothing (mail filters
    open links to scan them); the button confirms."""
    token = (request.form.get("token") or request.args.get("token") or "").strip()
    if request.method == "POST" and token:
        try:
            account = api().call(
                "registration", "POST", "/accounts/email-confirmation", json={"token": token}
            )
        except ApiError as exc:
            if exc.status not in (410, 422):
                raise
        else:
            signin.refresh(account)
            done("email.confirmed", email=account["email"])
            return redirect(url_for("home.index"))
    gone = request.method == "POST" or not token
    page = make_response(
        render_template("auth/email_confirm.html", token=token, gone=gone), 410 if gone else 200
    )
    # The token is in this page's address: never hand it to another site as a referrer.
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


@bp.post("/email/confirm/resend")
@signin.required("applicant", "consultant")
def resend_confirmation() -> Any:
    """A new confirmation link to the signed-in person's address (the older one stops
    working)."""
    try:
        account = call("registration", "POST", "/accounts/me/email-confirmation")
    except ApiError as exc:
        if exc.status == 409:
            # Confirmed meanwhile, say: the page then shows the account as it is.
            me = call("registration", "GET", "/accounts/me")
            signin.refresh(me)
        refused(exc)
    else:
        done("email.sent", email=account["email"])
    return redirect(url_for("home.index"))
