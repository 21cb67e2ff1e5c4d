"""conflicts recorded by the secretariat or chair; when a revocation's ground was found

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("conflict_declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by", sa.Uuid(), nullable=True))

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revocation_found_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("revocation_late", sa.Boolean(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_column("revocation_late")
        batch_op.drop_column("revocation_found_on")

    with op.batch_alter_table("conflict_declarations", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")
