"""The notification service's Flask application."""

from __future__ import annotations

from flask import Flask

from services.notification.api import deliveries, preferences
from services.notification.runtime import Notification
from services.notification.service import powers
from shared import logs
from shared.auth import TokenVerifier
from shared.web import create_base_app, jwks_verifier


def create_app(runtime: Notification | None = None, verifier: TokenVerifier | None = None) -> Flask:
    """The app; ``verifier`` defaults to the registration service's published keys."""
    rt = runtime or Notification()
    logs.configure("notification")
    app, api = create_base_app(
        rt.settings,
        title="OCOP notification",
        db=rt.db,
        verifier=verifier or jwks_verifier(rt.settings),
        account_state=powers.account_state(rt.db),
        description="Contacts, recipient rules, templates and email delivery.",
        background=rt.background_metrics,
    )
    app.extensions["ocop.runtime"] = rt
    for blueprint in (deliveries.blp, preferences.blp):
        api.register_blueprint(blueprint)
    return app
