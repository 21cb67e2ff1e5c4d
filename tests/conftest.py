"""Fixtures shared by the whole suite: the run mode, migrated databases, service runtimes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.environment import Environment, environment, exported, migrate

pytest_plugins = ["tests.support.app_fixtures"]


def pytest_report_header() -> str:
    servers = os.environ.get("OCOP_TEST_POSTGRES_URL")
    return f"ocop run mode: {'servers (PostgreSQL + RabbitMQ)' if servers else 'embedded'}"


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    """The run mode, exported to this process's environment so settings pick it up."""
    with environment(tmp_path_factory.mktemp("ocop-data")) as e, exported(e):
        yield e


@pytest.fixture(scope="session")
def migrated(env: Environment) -> Environment:
    """Every service's database built by running its migrations, as in production."""
    return migrate(env)


@pytest.fixture(scope="session")
def registration(migrated: Environment):
    from services.registration.commands.seed import ensure_reference_data
    from services.registration.runtime import Registration

    rt = Registration()
    ensure_reference_data(rt)
    yield rt
    rt.db.dispose()
