"""The notification service's process-wide parts."""

from __future__ import annotations

import logging

from celery import Celery
from flask import current_app

from services.notification import consumers, tasks
from services.notification.models import Base, inbox, outbox, participant_tables
from services.notification.service.deliveries import QUEUED_FLAG
from shared.config import Settings
from shared.db import UnitOfWork
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)


class Notification(ServiceRuntime):
    def __init__(self, settings: Settings | None = None, *, wake_sender: bool = True) -> None:
        super().__init__(
            "notification",
            metadata=Base.metadata,
            outbox=outbox,
            inbox=inbox,
            handlers=consumers.HANDLERS,
            participants=participant_tables,
            settings=settings,
        )
        # Tests drive the sender themselves (``wake_sender=False``); processes wake it.
        self.wake_sender = wake_sender
        self.db.after_commit = self._after_commit

    def _after_commit(self, uow: UnitOfWork) -> None:
        self._nudge_relay(uow)
        if self.wake_sender and uow.session.info.pop(QUEUED_FLAG, False):
            # After commit only: the task may run at once and must find the rows. A failure
            # to publish loses nothing: the minute beat picks the rows up.
            try:
                self.celery.send_task(tasks.SEND_PENDING)
            except Exception:
                log.warning("could not wake the sender; the beat will", exc_info=True)

    def configure_celery(self, app: Celery) -> None:
        tasks.register(app, self.db)


def current() -> Notification:
    """The runtime of the app serving this request."""
    return current_app.extensions["ocop.runtime"]
