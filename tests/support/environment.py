"""The two run modes of the test suite.

Embedded (default): SQLite files and kombu's SQLAlchemy transport in a temporary data directory.
Servers: when ``OCOP_TEST_POSTGRES_URL`` and ``OCOP_TEST_BROKER_URL`` are set (CI sets both),
each service gets a fresh PostgreSQL database and the broker is that RabbitMQ, on a scratch
virtual host of its own when ``rabbitmqctl`` is available. A server that
cannot be reached fails the run; nothing is skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shared import config
from shared.messaging import vhosts


@dataclass(frozen=True)
class Environment:
    mode: str  # "embedded" or "servers"
    data_dir: Path
    database_urls: dict[str, str]
    broker_url: str

    def variables(self) -> dict[str, str]:
        """The environment a process of this test run needs."""
        env = {
            "OCOP_DATA_DIR": str(self.data_dir),
            "OCOP_BROKER_URL": self.broker_url,
            "OCOP_RELAY_POLL_SECONDS": "0.5",
            # Some suites upload many files with one account within a minute.
            "OCOP_UPLOADS_PER_MINUTE": "100",
            # Every test signs in from 127.0.0.1, and many as the demo admin: the sign-in
            # limits are exercised by the security suite with an app of its own, and across
            # gunicorn workers by the intake stack (tests/e2e/test_intake_e2e.py), at the
            # deployed values.
            "OCOP_LOGIN_ATTEMPTS_PER_MINUTE": "100000",
            "OCOP_LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE": "100000",
            # Accounts registered by the suite are taken as confirmed (no confirmation email
            # to count among a case's letters); confirmation as deployed ("required") is
            # tested with apps and a stack of its own (test_email_confirmation*).
            "OCOP_EMAIL_CONFIRMATION": "off",
            # As production must: the signing keys encrypted in the database.
            "OCOP_SIGNING_KEY_PASSPHRASE": "test-run-passphrase",
        }
        for service, url in self.database_urls.items():
            env[f"OCOP_{service.upper()}_DATABASE_URL"] = url
        return env


@contextmanager
def exported(env: Environment) -> Iterator[Environment]:
    """``env`` in this process's environment (so settings pick it up) with its broker's queues
    declared and empty; the environment as it was afterwards."""
    from kombu import Connection

    from shared.messaging import topology

    saved = {k: os.environ.get(k) for k in env.variables()}
    os.environ.update(env.variables())
    try:
        with Connection(env.broker_url) as conn:
            topology.declare(conn)
            # Durable queues on a shared RabbitMQ may hold messages from an earlier run.
            for queue in topology.all_queues():
                queue(conn.default_channel).purge()
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def migrate(env: Environment) -> Environment:
    """Every service's database built by running its migrations, as in production."""
    from shared.migrate import upgrade

    for service in config.SERVICES:
        (env.data_dir / service).mkdir(parents=True, exist_ok=True)
        upgrade(service, env.database_urls[service])
    return env


def _postgres_admin_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return (
        make_url(url)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )


@contextmanager
def environment(data_dir: Path) -> Iterator[Environment]:
    pg = os.environ.get("OCOP_TEST_POSTGRES_URL", "").strip()
    broker = os.environ.get("OCOP_TEST_BROKER_URL", "").strip()
    if bool(pg) != bool(broker):
        raise RuntimeError("set both OCOP_TEST_POSTGRES_URL and OCOP_TEST_BROKER_URL, or neither")
    if not pg:
        yield Environment(
            mode="embedded",
            data_dir=data_dir,
            database_urls={s: f"sqlite:///{data_dir / s / f'{s}.sqlite'}" for s in config.SERVICES},
            broker_url=f"sqla+sqlite:///{data_dir / 'broker.sqlite'}",
        )
        return
    import psycopg
    from sqlalchemy.engine import make_url

    suffix = uuid.uuid4().hex[:8]
    names = {s: f"ocop_test_{suffix}_{s}" for s in config.SERVICES}
    admin = _postgres_admin_dsn(pg)
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names.values():
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with vhosts.scratch(broker, "ocop_test") as run_broker:
            yield Environment(
                mode="servers",
                data_dir=data_dir,
                database_urls={
                    s: make_url(pg)
                    .set(drivername="postgresql+psycopg", database=n)
                    .render_as_string(hide_password=False)
                    for s, n in names.items()
                },
                broker_url=run_broker,
            )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
