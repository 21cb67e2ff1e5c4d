"""The notification service's Flask application."""

from __future__ import annotations

from flask import Flask

from services.notification.runtime import Notification
from shared import logs
from shared.web import create_base_app, jwks_verifier


def create_app(runtime: Notification | None = None) -> Flask:
    rt = runtime or Notification()
    logs.configure("notification")
    app, _api = create_base_app(
        rt.settings,
        title="OCOP notification",
        db=rt.db,
        verifier=jwks_verifier(rt.settings),
        description="Contacts, recipient rules, templates and email delivery.",
    )
    app.extensions["ocop.runtime"] = rt
    return app
