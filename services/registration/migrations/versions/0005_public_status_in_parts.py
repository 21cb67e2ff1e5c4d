"""public status in parts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 20:49:25.295694

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_status_key", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("public_status_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("public_status_params")
        batch_op.drop_column("public_status_key")
