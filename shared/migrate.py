"""Alembic, one history per service, driven from code (``ocop migrate``) and from env.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from alembic import command, context, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, pool

from shared.db import make_engine


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", f"services.{service}:migrations")
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, url), revision)


class MigrationError(RuntimeError):
    """A migration command that cannot run on this database."""


@dataclass(frozen=True, slots=True)
class Pending:
    revision: str
    title: str


@dataclass(frozen=True, slots=True)
class Status:
    """Where a service's database stands against the code: ``current`` is None for an empty
    database; ``pending`` lists the migrations ``ocop migrate`` would run, oldest first."""

    service: str
    current: str | None
    head: str
    pending: tuple[Pending, ...]


def status(service: str, url: str) -> Status:
    cfg = alembic_config(service, url)
    script = ScriptDirectory.from_config(cfg)
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    head = script.get_current_head()
    assert head, f"{service} has no migrations"
    # walk_revisions goes from head down to (but excluding) current; oldest first for people.
    pending = [
        Pending(rev.revision, (rev.doc or "").strip().splitlines()[0] if rev.doc else "")
        for rev in script.walk_revisions(base="base", head="heads")
    ]
    if current:
        applied = {rev.revision for rev in script.iterate_revisions(current, "base")}
        pending = [p for p in pending if p.revision not in applied]
    return Status(service, current, head, tuple(reversed(pending)))


def upgrade_sql(service: str, url: str, out: TextIO) -> None:
    """The SQL ``ocop migrate`` would run on this database, for a DBA to review or run: from
    the revision the database is at (read from it) to the head, without changing anything."""
    if url.startswith("sqlite"):
        # Batch migrations rebuild SQLite tables by reflecting them: they need the live file.
        raise MigrationError("--sql is for PostgreSQL; on SQLite run the migration itself")
    current = status(service, url).current
    cfg = alembic_config(service, url)
    cfg.output_buffer = out
    command.upgrade(cfg, f"{current}:head" if current else "head", sql=True)


def data_step_runs(step: str) -> bool:
    """Whether a migration's data step, computed in Python from the rows, runs now. Writing SQL
    (``ocop migrate --sql``) it cannot: the script says so in a comment and the step runs with
    ``ocop migrate``, which a DBA runs after reviewing the script."""
    if context.is_offline_mode():
        op.execute(f"-- data step left to `ocop migrate`: {step}")
        return False
    return True


def _configure(connection: Connection, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection, metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
