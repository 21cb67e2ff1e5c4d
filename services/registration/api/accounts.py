"""Accounts, login and the public key set."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.registration.runtime import current
from services.registration.schemas.accounts import (
    AccountCreateIn,
    AccountListArgs,
    AccountOut,
    AccountPage,
    AccountUpdateIn,
    EmailConfirmationIn,
    LoginIn,
    OwnAccountUpdateIn,
    PasswordChangeIn,
    PasswordLinkIn,
    PasswordLinkOut,
    PasswordResetIn,
    PasswordSetIn,
    RegisterIn,
    TokenOut,
)
from services.registration.service import accounts as account_service
from services.registration.service import email_confirmation, passwords, sessions
from shared.openapi import link, links
from shared.web import (
    WRITE_ERRORS,
    current_principal,
    current_token,
    document_errors,
    forget_powers,
    public,
)

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and tokens")
wellknown = Blueprint("jwks", __name__, description="Public keys")

# What a created account's answer links to (OpenAPI links).
_ONE = "/api/v1/accounts/{account_id}"
_ID = {"path.account_id": "$response.body#/id"}


class JwksOut(Schema):
    keys = fields.List(
        fields.Dict(), metadata={"description": "JSON Web Keys (RFC 7517): kty, crv, x, y, kid"}
    )


@blp.route("/accounts/register", methods=["POST"])
@public(blp)
@blp.arguments(RegisterIn)
@blp.response(201, AccountOut)
@document_errors(blp, 400, 409, 422)
def register(data: dict[str, Any]) -> Any:
    """Register as an applicant or consultant"""
    rt = current()
    with rt.db.unit_of_work() as uow:
        account = account_service.register(uow=uow, settings=rt.settings, **data)
        uow.commit()
    return account


@blp.route("/accounts")
class Accounts(MethodView):
    @blp.arguments(AccountListArgs, location="query")
    @blp.response(200, AccountPage)
    @document_errors(blp, 401, 403, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Every account, searched and paged (admins). In Vietnamese alphabetical order of
        names (a ă â … d đ …, tones after their letter)"""
        with current().db.reader() as session:
            items, cursor = account_service.list_(
                session=session,
                principal=current_principal(),
                q=args.get("q"),
                role=args.get("role"),
                active=args.get("active"),
                limit=args["limit"],
                after=args.get("after"),
            )
            return {"items": items, "next": cursor}

    @blp.arguments(AccountCreateIn)
    @blp.response(201, AccountOut)
    @blp.doc(
        **links(
            201,
            GetAccount=link("get", _ONE, "The account created", parameters=_ID),
            EditAccount=link("patch", _ONE, "Change or deactivate it", parameters=_ID),
            PasswordLink=link(
                "post", f"{_ONE}/password-link", "A link to set its password", parameters=_ID
            ),
        )
    )
    @document_errors(blp, *WRITE_ERRORS)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an official's account (admins); without a password, the official is emailed
        an invitation to set one"""
        rt = current()
        with rt.db.unit_of_work() as uow:
            account = account_service.create(uow=uow, principal=current_principal(), **data)
            uow.commit()
        return account


@blp.route("/accounts/me")
class Me(MethodView):
    @blp.response(200, AccountOut)
    @document_errors(blp, 401, 404)
    def get(self) -> Any:
        """The signed-in account"""
        principal = current_principal()
        with current().db.reader() as session:
            return account_service.get(
                session=session, principal=principal, account_id=uuid.UUID(principal.account_id)
            )

    @blp.arguments(OwnAccountUpdateIn)
    @blp.response(200, AccountOut)
    @document_errors(blp, 400, 401, 404, 422)
    def patch(self, data: dict[str, Any]) -> Any:
        """Change one's own display name or language"""
        with current().db.unit_of_work() as uow:
            account = account_service.update_own(
                uow=uow,
                principal=current_principal(),
                display_name=data.get("display_name"),
                language=data.get("language"),
            )
            uow.commit()
        return account


@blp.route("/accounts/me/password", methods=["POST"])
@blp.arguments(PasswordChangeIn)
@blp.response(200, TokenOut)
@document_errors(blp, 400, 401, 404, 422, 429)
def change_password(data: dict[str, Any]) -> Any:
    """Change one's own password, giving the current one: every other session of the account
    ends; the answer holds a fresh token for this one"""
    rt = current()
    principal = current_principal()
    reply = passwords.change(
        db=rt.db,
        keyring=rt.keyring,
        settings=rt.settings,
        principal=principal,
        current_password=data["current_password"],
        new_password=data["new_password"],
    )
    forget_powers(principal.account_id)
    return reply


@blp.route("/accounts/email-confirmation", methods=["POST"])
@public(blp)
@blp.arguments(EmailConfirmationIn)
@blp.response(200, AccountOut)
@document_errors(blp, 400, 410, 422)
def confirm_email(data: dict[str, Any]) -> Any:
    """Confirm a self-registered account's email with the token of the link emailed to it
    (then no longer valid); 410 once used, replaced by a newer one, or lapsed"""
    return email_confirmation.confirm(db=current().db, token=data["token"])


@blp.route("/accounts/me/email-confirmation", methods=["POST"])
@blp.response(202, AccountOut)
@document_errors(blp, 401, 404, 409, 429)
def resend_email_confirmation() -> Any:
    """Email the signed-in account a new link to confirm its address (the older one no longer
    works); 409 once confirmed"""
    rt = current()
    return email_confirmation.resend(db=rt.db, settings=rt.settings, principal=current_principal())


@blp.route("/accounts/<uuid:account_id>/password-link", methods=["POST"])
@blp.response(200, AccountOut)
@document_errors(blp, 401, 403, 404, 422)
def send_password_link(account_id: uuid.UUID) -> Any:
    """Email an account a new one-time link (admins): an invitation while it has no password
    (valid 7 days), else a reset (1 hour). The older link no longer works"""
    with current().db.unit_of_work() as uow:
        account = passwords.send_link(uow=uow, principal=current_principal(), account_id=account_id)
        uow.commit()
    return account


@blp.route("/auth/password/forgot", methods=["POST"])
@public(blp)
@blp.arguments(PasswordResetIn)
@blp.response(202)
@document_errors(blp, 400, 422, 429)
def forgot_password(data: dict[str, Any]) -> None:
    """Forgot password: if an active account has this email, a one-time link to set a new
    password (valid 1 hour) is emailed to it. The answer is the same either way"""
    rt = current()
    passwords.request_reset(
        db=rt.db,
        settings=rt.settings,
        email=data["email"],
        client=request.remote_addr or "unknown",
    )


@blp.route("/auth/password/link", methods=["POST"])
@public(blp)
@blp.arguments(PasswordLinkIn)
@blp.response(200, PasswordLinkOut)
@document_errors(blp, 400, 410, 422)
def password_link(data: dict[str, Any]) -> Any:
    """What a password link is for and whose account it opens; 410 once used, replaced by a
    newer one, or lapsed"""
    return passwords.check_link(db=current().db, token=data["token"])


@blp.route("/auth/password/set", methods=["POST"])
@public(blp)
@blp.arguments(PasswordSetIn)
@blp.response(200, TokenOut)
@document_errors(blp, 400, 410, 422)
def set_password(data: dict[str, Any]) -> Any:
    """Set a password with a one-time link's token (then no longer valid): every session of
    the account ends, and the answer signs its holder in"""
    rt = current()
    reply = passwords.set_by_link(
        db=rt.db,
        keyring=rt.keyring,
        settings=rt.settings,
        token=data["token"],
        password=data["password"],
    )
    forget_powers(str(reply["account"].id))
    return reply


@blp.route("/accounts/<uuid:account_id>")
class AccountById(MethodView):
    @blp.response(200, AccountOut)
    @document_errors(blp, 401, 404)
    def get(self, account_id: uuid.UUID) -> Any:
        """An account (one's own, or any for an administrator)"""
        with current().db.reader() as session:
            return account_service.get(
                session=session, principal=current_principal(), account_id=account_id
            )

    @blp.arguments(AccountUpdateIn)
    @blp.response(200, AccountOut)
    @document_errors(blp, *WRITE_ERRORS)
    def patch(self, data: dict[str, Any], account_id: uuid.UUID) -> Any:
        """Change an account's name, language, roles or jurisdiction, or deactivate it (admins)"""
        with current().db.unit_of_work() as uow:
            account = account_service.update(
                uow=uow, principal=current_principal(), account_id=account_id, changes=data
            )
            uow.commit()
        forget_powers(str(account_id))
        return account


@blp.route("/auth/token", methods=["POST"])
@public(blp)
@blp.arguments(LoginIn)
@blp.response(200, TokenOut)
@document_errors(blp, 400, 401, 422, 429)
def token(data: dict[str, Any]) -> Any:
    """Sign in: exchange email and password for a short-lived bearer token"""
    rt = current()
    return account_service.login(
        db=rt.db,
        keyring=rt.keyring,
        settings=rt.settings,
        email=data["email"],
        password=data["password"],
        client=request.remote_addr or "unknown",
    )


@blp.route("/auth/signout", methods=["POST"])
@blp.response(204)
@document_errors(blp, 401)
def sign_out() -> None:
    """Sign out: the bearer token is refused from now on (by every service within seconds)"""
    token = current_token()
    with current().db.unit_of_work() as uow:
        sessions.sign_out(uow=uow, token=token)
        uow.commit()
    forget_powers(token.principal.account_id)


@wellknown.route("/.well-known/jwks.json")
@public(wellknown)
@wellknown.response(200, JwksOut)
def jwks() -> Any:
    """The public keys that verify this service's tokens"""
    return current().keyring.jwks()
