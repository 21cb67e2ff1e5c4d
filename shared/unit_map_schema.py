"""The merger map's tables (shared.unit_map) as migration steps, for the Alembic history of each
service that keeps the map: the same tables in each schema."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def create() -> None:
    op.create_table(
        "unit_successors",
        sa.Column("old_code", sa.String(length=8), nullable=False),
        sa.Column("old_province_code", sa.String(length=4), nullable=False),
        sa.Column("new_code", sa.String(length=8), nullable=False),
        sa.Column("new_province_code", sa.String(length=4), nullable=False),
        sa.PrimaryKeyConstraint("old_code"),
    )
    op.create_index("ix_unit_successors_new", "unit_successors", ["new_code", "old_code"])
    op.create_index(
        "ix_unit_successors_new_province", "unit_successors", ["new_province_code", "old_code"]
    )
    op.create_table(
        "unit_map_provinces",
        sa.Column("province_code", sa.String(length=4), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("province_code"),
    )


def drop() -> None:
    op.drop_table("unit_map_provinces")
    op.drop_index("ix_unit_successors_new_province", table_name="unit_successors")
    op.drop_index("ix_unit_successors_new", table_name="unit_successors")
    op.drop_table("unit_successors")
