"""the people on a case

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 12:40:00

"""

from collections.abc import Sequence

from alembic import op

from shared import participants_schema

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    participants_schema.create(seats=False)
    # The seats table came in 0003; the shared definition indexes it by account.
    op.create_index("ix_council_seats_account", "council_seats", ["account_id", "council_id"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_council_seats_account", table_name="council_seats")
    participants_schema.drop(seats=False)
