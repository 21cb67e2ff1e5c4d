"""one round per calendar

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:00:20.041626

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_rounds_calendar", ["level", "unit", "proposals_due", "closes_on"]
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("rounds", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rounds_calendar", type_="unique")
