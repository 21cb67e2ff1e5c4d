"""The registration service's process-wide parts: database, broker app, keys, file storage."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from functools import cached_property

from celery import Celery
from flask import current_app
from prometheus_client.core import Metric
from sqlalchemy import func, select

from services.registration import consumers
from services.registration.adapters.keys import KeyRing, protection_problem
from services.registration.adapters.storage import LocalStorage
from services.registration.ledger import tasks as ledger_tasks
from services.registration.models import (
    Base,
    LedgerCheckpoint,
    inbox,
    outbox,
    participant_tables,
)
from shared import metrics
from shared.config import Settings
from shared.runtime import ServiceRuntime


class Registration(ServiceRuntime):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(
            "registration",
            metadata=Base.metadata,
            outbox=outbox,
            inbox=inbox,
            handlers=consumers.HANDLERS,
            participants=participant_tables,
            settings=settings,
        )
        self.keyring = KeyRing(self.db)

    def configure_celery(self, app: Celery) -> None:
        ledger_tasks.register(app, self.db)

    def require_protected_keys(self) -> None:
        """Refuse to start a process that signs (web: tokens; worker: ledger checkpoints) when
        its keys would be stored unencrypted in a production database (``keys``)."""
        problem = protection_problem(self.settings)
        if problem:
            raise SystemExit(problem)

    def background_metrics(self) -> list[Metric]:
        """Besides the outbox and dead letters: how long ago the ledger's head was last signed
        (beat signs it regularly; a growing age means checkpoints stopped)."""
        with self.db.reader() as session:
            signed_at = session.scalar(select(func.max(LedgerCheckpoint.signed_at)))
        age = math.nan if signed_at is None else (datetime.now(UTC) - signed_at).total_seconds()
        return [
            *super().background_metrics(),
            metrics.gauge(
                "ocop_ledger_checkpoint_age_seconds",
                "Time since the last signed checkpoint of the case-file ledger (NaN: none yet)",
                self.service,
                max(0.0, age) if not math.isnan(age) else age,
            ),
        ]

    @cached_property
    def storage(self) -> LocalStorage:
        return LocalStorage(self.settings.service_dir / "documents")


def current() -> Registration:
    """The runtime of the app serving this request."""
    return current_app.extensions["ocop.runtime"]
