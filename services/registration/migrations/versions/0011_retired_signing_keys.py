"""retired signing keys

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 15:30:00

A token signing key an operator retired (``ocop keys retire``) leaves the published key set
and its tokens are refused; the row stays, for the record.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
