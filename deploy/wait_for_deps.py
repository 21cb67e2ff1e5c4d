"""Wait until the services' databases and the broker accept connections (run by boot.sh).

    python wait_for_deps.py [--no-broker] [--schema] [--timeout SECONDS] [SERVICE ...]

Every dependency is tried again every couple of seconds until it answers or the timeout passes
(``--timeout``, else ``OCOP_WAIT_TIMEOUT``, else 120 s); then the script exits 1 naming what did
not answer, and the orchestrator restarts the container. With ``--schema`` a database must also
be at the migration head this code knows (or at a revision newer than this code), so processes
do not start against a schema the migration job has not built yet. No SERVICE means all of them.
Settings come from the same environment variables as the services (``shared.config``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from kombu import Connection
from sqlalchemy import Connection as DbConnection
from sqlalchemy import pool, text

from shared import config
from shared.db import make_engine
from shared.migrate import alembic_config

DEFAULT_TIMEOUT = 120.0
INTERVAL = 2.0


class NotReady(Exception):
    """The dependency answers but is not usable yet (e.g. its schema is not migrated)."""


def check_database(service: str, url: str, *, schema: bool = False) -> None:
    """Connect to ``url`` and run ``SELECT 1``; with ``schema``, also check the migration head."""
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if schema:
                check_schema(conn, service, url)
    finally:
        engine.dispose()


def check_schema(conn: DbConnection, service: str, url: str) -> None:
    """Raise NotReady unless the database is at this code's head (or past it)."""
    script = ScriptDirectory.from_config(alembic_config(service, url))
    heads = set(script.get_heads())
    current = MigrationContext.configure(conn).get_current_heads()
    if not current:
        raise NotReady("not migrated yet")
    for revision in current:
        if revision in heads:
            continue
        try:
            script.get_revision(revision)
        except CommandError:
            continue  # unknown here: a newer release has migrated it, which this code tolerates
        raise NotReady(f"schema at {revision}, this code needs {', '.join(sorted(heads))}")


def check_broker(url: str) -> None:
    """Open a connection to the broker (RabbitMQ, or the embedded SQLAlchemy transport)."""
    with Connection(url, connect_timeout=5) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=5)


def wait(
    checks: dict[str, Callable[[], None]], *, timeout: float, interval: float = INTERVAL
) -> dict[str, str]:
    """Run every check until all pass or ``timeout`` passes; return the failures left."""
    deadline = time.monotonic() + timeout
    pending = dict(checks)
    failures: dict[str, str] = {}
    while True:
        for name, check in list(pending.items()):
            try:
                check()
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
                if failures.get(name) != reason:
                    print(f"waiting for {name}: {reason}", file=sys.stderr, flush=True)
                failures[name] = reason
            else:
                print(f"{name}: ready", flush=True)
                del pending[name]
                failures.pop(name, None)
        if not pending or time.monotonic() >= deadline:
            return failures
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("services", nargs="*", metavar="SERVICE", help="default: all")
    parser.add_argument("--no-broker", action="store_true", help="do not wait for the broker")
    parser.add_argument("--schema", action="store_true", help="also wait for the schema head")
    parser.add_argument("--timeout", type=float, help="seconds (default: OCOP_WAIT_TIMEOUT or 120)")
    args = parser.parse_args(argv)
    for service in args.services:
        if service not in config.SERVICES:
            parser.error(
                f"unknown service {service!r}; expected one of {', '.join(config.SERVICES)}"
            )
    timeout = args.timeout
    if timeout is None:
        timeout = float(os.environ.get("OCOP_WAIT_TIMEOUT", "").strip() or DEFAULT_TIMEOUT)

    checks: dict[str, Callable[[], None]] = {}
    for service in args.services or config.SERVICES:
        url = config.load(service).database_url
        checks[f"{service} database"] = lambda s=service, u=url: check_database(
            s, u, schema=args.schema
        )
    if not args.no_broker:
        url = config.broker_url()
        checks["broker"] = lambda: check_broker(url)

    failures = wait(checks, timeout=timeout)
    for name, reason in failures.items():
        print(f"gave up after {timeout:g}s waiting for {name}: {reason}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
