"""The ``calendar_notices`` table (shared.calendar_store, ADR 0010) as migration steps, for the
Alembic history of each service that counts days: the same table in each schema."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create() -> None:
    op.create_table(
        "calendar_notices",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=False),
        sa.Column("days_off", sa.JSON(), nullable=False),
        sa.Column("working_days", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year"),
    )


def drop() -> None:
    op.drop_table("calendar_notices")
