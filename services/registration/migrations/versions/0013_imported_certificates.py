"""imported certificates

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 18:30:00

A dossier imported with a certificate issued before the platform names its file, the file's
SHA-256 and the row (``dossiers.imported``); each applied import is kept for the audit
(``certificate_imports``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imported", sa.JSON(), nullable=True))
    op.create_table(
        "certificate_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.Uuid(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("producers_created", sa.Integer(), nullable=False),
        sa.Column("accounts_created", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["imported_by"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_certificate_imports_sha256"), "certificate_imports", ["sha256"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_certificate_imports_sha256"), table_name="certificate_imports")
    op.drop_table("certificate_imports")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("imported")
