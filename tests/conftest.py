"""Fixtures shared by the whole suite: the run mode, migrated databases, service runtimes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection

from shared.messaging import topology
from tests.support.environment import Environment, environment

pytest_plugins = ["tests.support.app_fixtures"]


def pytest_report_header() -> str:
    servers = os.environ.get("OCOP_TEST_POSTGRES_URL")
    return f"ocop run mode: {'servers (PostgreSQL + RabbitMQ)' if servers else 'embedded'}"


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    """The run mode, exported to this process's environment so settings pick it up."""
    data_dir: Path = tmp_path_factory.mktemp("ocop-data")
    with environment(data_dir) as e:
        saved = {k: os.environ.get(k) for k in e.variables()}
        os.environ.update(e.variables())
        with Connection(e.broker_url) as conn:
            topology.declare(conn)
            # Durable queues on a shared RabbitMQ may hold messages from an earlier run.
            for queue in topology.all_queues():
                queue(conn.default_channel).purge()
        try:
            yield e
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="session")
def migrated(env: Environment) -> Environment:
    """Every service's database built by running its migrations, as in production."""
    from shared import config
    from shared.migrate import upgrade

    for service in config.SERVICES:
        (env.data_dir / service).mkdir(parents=True, exist_ok=True)
        upgrade(service, env.database_urls[service])
    return env


@pytest.fixture(scope="session")
def registration(migrated: Environment):
    from services.registration.commands.seed import ensure_reference_data
    from services.registration.runtime import Registration

    rt = Registration()
    ensure_reference_data(rt)
    yield rt
    rt.db.dispose()
