"""The notification service's process-wide parts."""

from __future__ import annotations

from services.notification import consumers
from services.notification.models import Base, inbox, outbox
from shared.config import Settings
from shared.runtime import ServiceRuntime


class Notification(ServiceRuntime):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(
            "notification",
            metadata=Base.metadata,
            outbox=outbox,
            inbox=inbox,
            handlers=consumers.HANDLERS,
            settings=settings,
        )
