"""current powers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 14:00:00

Whether an account's tokens still speak for it (shared.powers, ADR 0002): the account's active
flag and the time of its last change of powers, kept from account events, and the signed-out
tokens. The accounts this service already knows start with their active flag (so a token of an
account deactivated before this release is refused at once); the time of a change is known
from the next account event on.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    powers = op.create_table(
        "account_powers",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("powers_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_id"),
    )
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_revoked_tokens_account", ["account_id", "expires_at"], unique=False
        )
    known = sa.table(
        "contacts",
        sa.column("account_id", sa.Uuid()),
        sa.column("active", sa.Boolean()),
        sa.column("account_as_of", sa.DateTime(timezone=True)),
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)  # any account event is newer
    rows = [
        {
            "account_id": row.account_id,
            "active": row.active,
            "powers_changed_at": None,
            "as_of": row.account_as_of or epoch,
        }
        for row in op.get_bind().execute(sa.select(known))
    ]
    if rows:
        op.bulk_insert(powers, rows)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_revoked_tokens_account")
    op.drop_table("revoked_tokens")
    op.drop_table("account_powers")
