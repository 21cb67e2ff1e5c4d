"""The notification service's Celery tasks: sending what is due, and the daily digest.

Sending runs on a queue of its own (``notification.mail``, ``ocop worker notification
--sender``): the event worker only queues deliveries, so a slow or failing SMTP server never
delays the consumption of events. The sender is woken three ways, so a lost wake-up only delays
mail: right after a consumer commits queued deliveries, at the next retry time after a transient
failure, and every minute by ``ocop beat notification``. Runs may overlap; rows are leased, so
each is sent by one of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from celery import Celery
from celery.schedules import crontab

from services.notification.adapters import mail_settings
from services.notification.adapters.templating import default_catalogue
from services.notification.service import deliveries, digests
from shared.db import Database
from shared.messaging import topology
from shared.messaging.later import send_later

SEND_PENDING = "notification.send_pending"
SEND_DIGESTS = "notification.send_digests"
# The digest goes out once a day at 07:00 in Vietnam (00:00 UTC), before office hours.
DIGEST_HOUR_UTC = 0


def register(app: Celery, db: Database) -> None:
    """Add the sender and digest tasks, their queue and their schedule to the service's app."""
    mail = topology.mail_queue()
    app.conf.task_queues = [*app.conf.task_queues, mail]
    app.conf.task_routes = {SEND_PENDING: {"queue": mail.name}}

    def wake(seconds: float) -> None:
        send_later(app, SEND_PENDING, queue=mail.name, seconds=seconds)

    @app.task(name=SEND_PENDING, shared=False, acks_late=True, ignore_result=True)
    def send_pending() -> dict[str, Any]:
        report = deliveries.send_pending(db=db, mail=mail_settings.load())
        if report.next_due is not None:
            wake(max(1.0, (report.next_due - datetime.now(UTC)).total_seconds()))
        return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}

    @app.task(name=SEND_DIGESTS, shared=False, acks_late=True, ignore_result=True)
    def send_digests() -> dict[str, Any]:
        # Each digest's commit wakes the sender (runtime.Notification._after_commit).
        made = digests.collect(db=db, catalogue=default_catalogue(), mail=mail_settings.load())
        return {"digests": made}

    app.conf.beat_schedule = {
        "notification-send-pending": {"task": SEND_PENDING, "schedule": 60.0},
        "notification-send-digests": {
            "task": SEND_DIGESTS,
            "schedule": crontab(minute=0, hour=DIGEST_HOUR_UTC),
        },
    }
    app.conf.timezone = "UTC"
