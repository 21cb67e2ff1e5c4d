"""email confirmed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:10:00

When an account's holder proved the email address is theirs (a self-registered applicant or
consultant opens the link emailed to them; an official created by an administrator, or anyone
setting a password through an emailed link, counts as proven). Accounts created before this
release are taken as confirmed: they have been in use, and their holders would otherwise find
submission refused overnight.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True)))
    accounts = sa.table(
        "accounts",
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("email_confirmed_at", sa.DateTime(timezone=True)),
    )
    # One statement, so it runs in `ocop migrate --sql`'s script too.
    op.execute(accounts.update().values(email_confirmed_at=accounts.c.created_at))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
