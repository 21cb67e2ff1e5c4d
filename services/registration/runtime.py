"""The registration service's process-wide parts: database, broker app, keys, file storage."""

from __future__ import annotations

from functools import cached_property

from celery import Celery
from flask import current_app

from services.registration import consumers
from services.registration.keys import KeyRing
from services.registration.ledger import tasks as ledger_tasks
from services.registration.models import Base, inbox, outbox, participant_tables
from services.registration.storage import LocalStorage
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

    @cached_property
    def storage(self) -> LocalStorage:
        return LocalStorage(self.settings.service_dir / "documents")


def current() -> Registration:
    """The runtime of the app serving this request."""
    return current_app.extensions["ocop.runtime"]
