"""The notification service's SMTP sink, for a walk across services (its runtime and app are
the suite's, tests/support/app_fixtures.py)."""

from tests.integration.notification.conftest import sink  # noqa: F401
