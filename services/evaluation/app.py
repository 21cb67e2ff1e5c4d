"""The evaluation service's Flask application."""

from __future__ import annotations

from flask import Flask

from services.evaluation.api import (
    certificates,
    councils,
    evaluations,
    officials,
    register,
    rubrics,
    statistics,
)
from services.evaluation.runtime import Evaluation
from services.evaluation.service import powers
from shared import logs
from shared.auth import TokenVerifier
from shared.web import create_base_app, jwks_verifier


def create_app(runtime: Evaluation | None = None, verifier: TokenVerifier | None = None) -> Flask:
    """The app; ``verifier`` defaults to the registration service's published keys."""
    rt = runtime or Evaluation()
    logs.configure("evaluation")
    app, api = create_base_app(
        rt.settings,
        title="OCOP evaluation",
        db=rt.db,
        verifier=verifier or jwks_verifier(rt.settings),
        account_state=powers.account_state(rt.db),
        description="Councils, rounds, evaluations, score sheets, star ranks, decisions and "
        "certificates.",
        background=rt.background_metrics,
    )
    app.extensions["ocop.runtime"] = rt
    for blueprint in (
        councils.blp,
        evaluations.blp,
        certificates.blp,
        statistics.blp,
        rubrics.blp,
        officials.blp,
        register.blp,
    ):
        api.register_blueprint(blueprint)
    return app
