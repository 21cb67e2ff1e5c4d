"""consultant grants, council seats, case producers, digest link

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 19:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "consultant_grants",
        sa.Column("producer_id", sa.Uuid(), nullable=False),
        sa.Column("consultant_account_id", sa.Uuid(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("producer_id", "consultant_account_id"),
    )
    op.create_table(
        "case_producers",
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("producer_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id"),
    )
    op.create_table(
        "council_seats",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("council_id", "account_id"),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_deliveries_digest", ["digest_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_digest")
        batch_op.drop_column("digest_id")
    op.drop_table("council_seats")
    op.drop_table("case_producers")
    op.drop_table("consultant_grants")
