"""imported certificates

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 18:30:00

Certificates issued before this platform, imported from an operator's file (registration's
``certificate.imported``), are kept like the ones this service issues: a case, recognised, and
a certificate. What they lack (the evaluation behind them, the account that signed) may be
empty, and both rows say they were imported. Rows already there were issued here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("imported", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("imported", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column("evaluation_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.alter_column("decided_by", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    """Downgrade schema: imported certificates and their cases cannot stay without what they
    lack, so they go (registration keeps them and can import them again)."""
    op.execute("DELETE FROM certificates WHERE imported")
    op.execute(
        "DELETE FROM case_participants "
        "WHERE dossier_id IN (SELECT dossier_id FROM cases WHERE imported)"
    )
    op.execute("DELETE FROM cases WHERE imported")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.alter_column("decided_by", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column("evaluation_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("imported")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("imported")
