"""the people on a case

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:40:00

"""

from collections.abc import Sequence

from shared import participants_schema

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    participants_schema.create(seats=False)


def downgrade() -> None:
    """Downgrade schema."""
    participants_schema.drop(seats=False)
