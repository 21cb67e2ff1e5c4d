"""Accounts, login and the public key set."""

from __future__ import annotations

import uuid
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.registration.runtime import current
from services.registration.schemas import (
    AccountCreateIn,
    AccountOut,
    AccountUpdateIn,
    LoginIn,
    OwnAccountUpdateIn,
    RegisterIn,
    TokenOut,
)
from services.registration.service import accounts as account_service
from services.registration.service import sessions
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
        account = account_service.register(uow=uow, **data)
        uow.commit()
    return account


@blp.route("/accounts")
class Accounts(MethodView):
    @blp.arguments(AccountCreateIn)
    @blp.response(201, AccountOut)
    @document_errors(blp, *WRITE_ERRORS)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an official's account (admins)"""
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
