"""The notification service's fixtures (its runtime, app and sink), for a walk across services."""

from tests.integration.notification.conftest import (  # noqa: F401
    note_call,
    notification,
    notification_app,
    sink,
)
