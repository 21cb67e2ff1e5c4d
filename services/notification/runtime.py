"""The notification service's process-wide parts."""

from __future__ import annotations

import logging

from celery import Celery
from flask import current_app
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select

from services.notification import consumers, tasks
from services.notification.domain.delivery import Status
from services.notification.models import Base, Delivery, inbox, outbox, participant_tables
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

    def background_metrics(self) -> list[Metric]:
        """Besides the outbox and dead letters: deliveries not (yet) sent, by status. Sent ones
        are left out: they grow without end, and a count of them says nothing to act on."""
        waiting = [s.value for s in Status if s not in (Status.SENT, Status.IN_DIGEST)]
        with self.db.reader() as session:
            counts = dict(
                session.execute(
                    select(Delivery.status, func.count())
                    .where(Delivery.status.in_(waiting))
                    .group_by(Delivery.status)
                ).all()
            )
        family = GaugeMetricFamily(
            "ocop_deliveries_waiting",
            "Emails queued, held for a digest, to be retried, or failed for good",
            labels=["service", "status"],
        )
        for status in waiting:
            family.add_metric([self.service, status], counts.get(status, 0))
        return [*super().background_metrics(), family]

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
