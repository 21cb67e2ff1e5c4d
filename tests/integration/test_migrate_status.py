"""``ocop migrate --status`` and ``--sql``: where each database stands and the SQL an upgrade
would run, both without changing the database."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from services import cli
from shared.db import make_engine
from shared.migrate import MigrationError, status, upgrade, upgrade_sql

VERSIONS = (
    Path(__file__).resolve().parents[2] / "services" / "registration" / "migrations" / "versions"
)
REVISIONS = sorted(p.name.split("_")[0] for p in VERSIONS.glob("0*.py"))


def _version(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def test_status_lists_what_is_pending_oldest_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registration.sqlite'}"
    empty = status("registration", url)
    assert (empty.current, empty.head) == (None, REVISIONS[-1])
    assert [p.revision for p in empty.pending] == REVISIONS
    assert all(p.title for p in empty.pending)
    upgrade("registration", url, REVISIONS[2])
    halfway = status("registration", url)
    assert halfway.current == REVISIONS[2]
    assert [p.revision for p in halfway.pending] == REVISIONS[3:]
    upgrade("registration", url)
    assert status("registration", url).pending == ()


def test_status_exits_1_while_a_database_is_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'registration.sqlite'}"
    monkeypatch.setenv("OCOP_REGISTRATION_DATABASE_URL", url)
    assert cli.main(["migrate", "--status", "registration"]) == 1
    out = capsys.readouterr().out
    assert "registration: at (empty)" in out and f"pending {REVISIONS[0]}" in out
    upgrade("registration", url)
    assert cli.main(["migrate", "--status", "registration"]) == 0
    assert "pending" not in capsys.readouterr().out


def test_sql_is_for_postgresql(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="PostgreSQL"):
        upgrade_sql("registration", f"sqlite:///{tmp_path / 'r.sqlite'}", io.StringIO())


@pytest.fixture()
def scratch_postgres() -> Iterator[str]:
    base = os.environ.get("OCOP_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("needs PostgreSQL (servers mode: OCOP_TEST_POSTGRES_URL)")
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"ocop_test_sql_{uuid.uuid4().hex[:8]}"
    admin = make_url(base).set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(base)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_sql_runs_from_where_the_database_stands_and_changes_nothing(scratch_postgres: str) -> None:
    upgrade("registration", scratch_postgres, REVISIONS[4])
    out = io.StringIO()
    upgrade_sql("registration", scratch_postgres, out)
    sql = out.getvalue()
    assert "CREATE TABLE case_participants" in sql  # 0006, not yet applied
    assert "CREATE TABLE dossiers" not in sql  # 0001, applied long ago
    assert f"version_num='{REVISIONS[-1]}'" in sql
    assert _version(scratch_postgres) == REVISIONS[4]


@pytest.mark.parametrize("service", ["registration", "evaluation", "notification"])
def test_every_migration_can_be_written_as_sql(scratch_postgres: str, service: str) -> None:
    # A migration that only runs against a live connection would leave a DBA without a script.
    out = io.StringIO()
    upgrade_sql(service, scratch_postgres, out)
    assert out.getvalue().count("INSERT INTO alembic_version") == 1
    assert _version(scratch_postgres) is None
