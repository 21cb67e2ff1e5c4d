"""The participants read model's tables as one migration step, for each service's Alembic
history (the same tables in three schemas; shared.participants defines them for the models)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create(*, seats: bool) -> None:
    """Create ``case_participants``, ``case_exclusions`` and, with ``seats``, ``council_seats``."""
    op.create_table(
        "case_participants",
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("office_role", sa.String(length=32), nullable=True),
        sa.Column("office_unit", sa.String(length=40), nullable=True),
        sa.Column("council_id", sa.Uuid(), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", "party"),
    )
    op.create_index(
        "ix_case_participants_account", "case_participants", ["account_id", "dossier_id"]
    )
    op.create_index(
        "ix_case_participants_office",
        "case_participants",
        ["office_unit", "office_role", "dossier_id"],
    )
    op.create_index(
        "ix_case_participants_council", "case_participants", ["council_id", "dossier_id"]
    )
    op.create_table(
        "case_exclusions",
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", "account_id"),
    )
    op.create_index("ix_case_exclusions_account", "case_exclusions", ["account_id", "dossier_id"])
    if seats:
        op.create_table(
            "council_seats",
            sa.Column("council_id", sa.Uuid(), nullable=False),
            sa.Column("account_id", sa.Uuid(), nullable=False),
            sa.Column("role", sa.String(length=20), nullable=False),
            sa.PrimaryKeyConstraint("council_id", "account_id"),
        )
        op.create_index("ix_council_seats_account", "council_seats", ["account_id", "council_id"])


def drop(*, seats: bool) -> None:
    if seats:
        op.drop_index("ix_council_seats_account", table_name="council_seats")
        op.drop_table("council_seats")
    op.drop_index("ix_case_exclusions_account", table_name="case_exclusions")
    op.drop_table("case_exclusions")
    for name in ("council", "office", "account"):
        op.drop_index(f"ix_case_participants_{name}", table_name="case_participants")
    op.drop_table("case_participants")
