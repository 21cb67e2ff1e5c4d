"""The evaluation service's process-wide parts."""

from __future__ import annotations

from celery import Celery
from flask import current_app

from services.evaluation import consumers, tasks
from services.evaluation.models import Base, inbox, outbox, participant_tables
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
            participants=participant_tables,
            settings=settings,
        )

    def configure_celery(self, app: Celery) -> None:
        tasks.register(app, self.db)


def current() -> Evaluation:
    """The runtime of the app serving this request."""
    return current_app.extensions["ocop.runtime"]
