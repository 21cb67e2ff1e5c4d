"""The evaluation service's scheduled tasks (run by its worker, scheduled by `ocop beat`)."""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab

from services.evaluation.service import schedule
from shared import calendar
from shared.db import Database


def register(app: Celery, db: Database) -> None:
    """Add the tasks and their schedule to the service's Celery app."""

    @app.task(name="evaluation.daily_notices", shared=False)
    def daily_notices() -> dict[str, int]:
        today = calendar.today()
        return {
            "certificates": schedule.raise_certificate_notices(db=db, today=today),
            "round_deadlines": schedule.raise_round_deadlines(db=db, today=today),
            "reevaluation_deadlines": schedule.raise_reevaluation_deadlines(db=db, today=today),
        }

    # Daily shortly after midnight in Vietnam (17:05 UTC), and the tasks are idempotent, so an
    # extra run (a restarted beat) changes nothing.
    app.conf.beat_schedule = {
        "evaluation-daily-notices": {
            "task": "evaluation.daily_notices",
            "schedule": crontab(hour=17, minute=5),
        }
    }
    app.conf.timezone = "UTC"
