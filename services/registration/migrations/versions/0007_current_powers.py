"""current powers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 14:00:00

When an account's powers last changed (tokens issued before are refused) and the signed-out
tokens, refused until they expire (shared.powers, ADR 0002).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import powers_schema

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("powers_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
    powers_schema.create_revoked_tokens()


def downgrade() -> None:
    """Downgrade schema."""
    powers_schema.drop_revoked_tokens()
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("powers_changed_at")
