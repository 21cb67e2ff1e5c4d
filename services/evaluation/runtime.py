"""The evaluation service's process-wide parts."""

from __future__ import annotations

from flask import current_app

from services.evaluation import consumers
from services.evaluation.models import Base, inbox, outbox
from shared.config import Settings
from shared.runtime import ServiceRuntime


class Evaluation(ServiceRuntime):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(
            "evaluation",
            metadata=Base.metadata,
            outbox=outbox,
            inbox=inbox,
            handlers=consumers.HANDLERS,
            settings=settings,
        )


def current() -> Evaluation:
    """The runtime of the app serving this request."""
    return current_app.extensions["ocop.runtime"]
