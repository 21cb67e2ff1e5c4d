"""The registration service's scheduled task: sign a checkpoint of the ledger's global head
(scheduled by `ocop beat registration`; a run with nothing new signs nothing)."""

from __future__ import annotations

import os

from celery import Celery

from services.registration.ledger import checkpoints
from shared.db import Database


def register(app: Celery, db: Database) -> None:
    @app.task(name="registration.ledger_checkpoint", shared=False)
    def ledger_checkpoint() -> int | None:
        with db.unit_of_work() as uow:
            made = checkpoints.make(uow.session)
            uow.commit()
        return made.number if made else None

    app.conf.beat_schedule = {
        "registration-ledger-checkpoint": {
            "task": "registration.ledger_checkpoint",
            "schedule": float(os.environ.get("OCOP_LEDGER_CHECKPOINT_SECONDS", "300")),
        }
    }
    app.conf.timezone = "UTC"
