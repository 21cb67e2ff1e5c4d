"""The evaluation service's Flask application."""

from __future__ import annotations

from flask import Flask

from services.evaluation.runtime import Evaluation
from shared import logs
from shared.web import create_base_app, jwks_verifier


def create_app(runtime: Evaluation | None = None) -> Flask:
    rt = runtime or Evaluation()
    logs.configure("evaluation")
    app, _api = create_base_app(
        rt.settings,
        title="OCOP evaluation",
        db=rt.db,
        verifier=jwks_verifier(rt.settings),
        description="Rubrics, councils, score sheets, star ranks, decisions and certificates.",
    )
    app.extensions["ocop.runtime"] = rt
    return app
