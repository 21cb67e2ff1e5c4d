"""The notification API in-process, beside registration's and evaluation's (app_fixtures)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def notification_app(migrated: Any, registration: Any) -> Iterator[Any]:
    from services.notification.app import create_app
    from services.notification.runtime import Notification
    from shared.auth import TokenVerifier

    rt = Notification(wake_sender=False)  # nothing is sent here
    verifier = TokenVerifier(
        issuer=registration.settings.jwt_issuer,
        audience=registration.settings.jwt_audience,
        resolve_key=registration.keyring.public_key,
    )
    yield create_app(rt, verifier=verifier)
    rt.close()
