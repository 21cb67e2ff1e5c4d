"""The notification service's Celery tasks: sending what is due (run by its worker).

The sender is woken three ways, so a lost wake-up only delays mail: right after a consumer
commits queued deliveries, at the next retry time after a transient failure, and every minute by
``ocop beat notification``. Runs may overlap; rows are leased, so each is sent by one of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from celery import Celery

from services.notification import mail_settings
from services.notification.service import deliveries
from shared.db import Database

SEND_PENDING = "notification.send_pending"


def register(app: Celery, db: Database) -> None:
    """Add the sender task and its schedule to the service's Celery app."""

    @app.task(name=SEND_PENDING, shared=False, acks_late=True, ignore_result=True)
    def send_pending() -> dict[str, Any]:
        report = deliveries.send_pending(db=db, mail=mail_settings.load())
        if report.next_due is not None:
            delay = max(1.0, (report.next_due - datetime.now(UTC)).total_seconds())
            app.send_task(SEND_PENDING, countdown=delay)
        return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}

    app.conf.beat_schedule = {
        "notification-send-pending": {"task": SEND_PENDING, "schedule": 60.0},
    }
    app.conf.timezone = "UTC"
