"""Fixtures for driving the registration service in-process against the real database and
broker (integration and security suites)."""

from __future__ import annotations

import pytest

from tests.support import flows


@pytest.fixture(scope="session")
def registration_app(registration):
    from services.registration.app import create_app
    from services.registration.commands.seed import seed_demo

    seed_demo(registration)
    return create_app(registration)


@pytest.fixture(scope="session")
def call(registration_app) -> flows.Transport:
    return flows.flask_transport(registration_app.test_client())


@pytest.fixture(scope="session")
def admin(call: flows.Transport) -> flows.Actor:
    return flows.login(call, "admin@ocop.local")


@pytest.fixture(scope="session")
def commune_officer(admin: flows.Actor) -> flows.Actor:
    return flows.create_official(admin, ["commune_officer"], flows.COMMUNE)


@pytest.fixture()
def applicant(call: flows.Transport) -> flows.Actor:
    return flows.register(call, "applicant")


@pytest.fixture()
def producer(applicant: flows.Actor) -> dict:
    return flows.create_producer(applicant)


@pytest.fixture()
def dossier(applicant: flows.Actor, producer: dict) -> dict:
    return flows.create_dossier(applicant, producer["id"])


@pytest.fixture(scope="session")
def evaluation(migrated):
    from services.evaluation.runtime import Evaluation

    rt = Evaluation()
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def evaluation_app(evaluation, registration):
    """The evaluation app, verifying tokens with the registration service's keys in-process
    (over HTTP it would fetch them from the JWKS URL; the e2e suite covers that path)."""
    from services.evaluation.app import create_app
    from shared.auth import TokenVerifier

    verifier = TokenVerifier(
        issuer=registration.settings.jwt_issuer,
        audience=registration.settings.jwt_audience,
        resolve_key=registration.keyring.public_key,
    )
    return create_app(evaluation, verifier=verifier)


@pytest.fixture(scope="session")
def eval_call(evaluation_app) -> flows.Transport:
    """Calls to the evaluation API; sign in through ``call`` (registration) and pass the token."""
    return flows.flask_transport(evaluation_app.test_client())


@pytest.fixture(scope="session")
def notification(migrated):
    """The notification runtime. Nothing is sent on its own: tests run the sender themselves, so
    no wake-up task is published."""
    from services.notification.runtime import Notification

    rt = Notification(wake_sender=False)
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def notification_app(notification, registration):
    """The notification app, verifying tokens with the registration service's keys in-process,
    like ``evaluation_app``."""
    from services.notification.app import create_app
    from shared.auth import TokenVerifier

    verifier = TokenVerifier(
        issuer=registration.settings.jwt_issuer,
        audience=registration.settings.jwt_audience,
        resolve_key=registration.keyring.public_key,
    )
    return create_app(notification, verifier=verifier)


@pytest.fixture(scope="session")
def note_call(notification_app) -> flows.Transport:
    """Calls to the notification API; sign in through ``call`` (registration)."""
    return flows.flask_transport(notification_app.test_client())


@pytest.fixture()
def two_tier_registration(registration):
    """The registration API of a deployment filing in the 2025 tree (the two-tier regime)."""
    import dataclasses

    from services.registration.app import create_app
    from services.registration.runtime import Registration

    runtime = Registration(dataclasses.replace(registration.settings, regime="two-tier"))
    yield flows.flask_transport(create_app(runtime).test_client())
    runtime.close()
