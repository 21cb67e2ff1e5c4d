"""Fixtures for driving the registration service in-process against the real database and
broker (integration and security suites)."""

from __future__ import annotations

import pytest

from tests.support import flows


@pytest.fixture(scope="session")
def registration_app(registration):
    from services.registration.app import create_app
    from services.registration.seed import seed_demo

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
