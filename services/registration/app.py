"""The registration service's Flask application."""

from __future__ import annotations

from flask import Flask

from services.registration.api import (
    accounts,
    case_file,
    documents,
    dossiers,
    imports,
    producers,
    reference,
)
from services.registration.runtime import Registration
from services.registration.service import sessions
from shared import logs
from shared.auth import TokenVerifier
from shared.web import create_base_app


def create_app(runtime: Registration | None = None) -> Flask:
    rt = runtime or Registration()
    logs.configure("registration")
    rt.require_protected_keys()
    # The issuer verifies its own tokens from its key ring, not over HTTP from itself.
    verifier = TokenVerifier(
        issuer=rt.settings.jwt_issuer,
        audience=rt.settings.jwt_audience,
        resolve_key=rt.keyring.public_key,
    )
    app, api = create_base_app(
        rt.settings,
        title="OCOP registration",
        db=rt.db,
        verifier=verifier,
        account_state=sessions.account_state(rt.db),
        description="Accounts, producers, dossiers, documents and commune intake.",
        background=rt.background_metrics,
    )
    app.extensions["ocop.runtime"] = rt
    for blueprint in (
        accounts.blp,
        producers.blp,
        dossiers.blp,
        documents.blp,
        reference.blp,
        case_file.blp,
        imports.blp,
        accounts.wellknown,
    ):
        api.register_blueprint(blueprint)
    return app
