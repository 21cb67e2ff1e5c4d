"""passwords set by link

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 18:30:00

The one-time links an account holder sets their password with (a reset asked for by email, an
official's invitation; only the token's hash is kept), and what the administrators' list of
accounts orders and searches by: each account's name key and folded words
(services/registration/service/account_index.py), which the rows already there get here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.registration.service.account_index import name_key, search_text
from shared.migrate import data_step_runs

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "password_links",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_key", sa.String(length=1300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.create_index("ix_accounts_name_key", ["name_key", "id"], unique=False)
    accounts = sa.table(
        "accounts",
        sa.column("id", sa.Uuid()),
        sa.column("display_name", sa.String()),
        sa.column("email", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("search_text", sa.Text()),
    )
    if not data_step_runs("accounts' name_key and search_text from their names"):
        return
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(accounts.c.id, accounts.c.display_name, accounts.c.email)
    ).all()
    for row in rows:
        connection.execute(
            accounts.update()
            .where(accounts.c.id == row.id)
            .values(
                name_key=name_key(row.display_name),
                search_text=search_text(row.display_name, row.email),
            )
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_name_key")
        batch_op.drop_column("search_text")
        batch_op.drop_column("name_key")
    op.drop_table("password_links")
