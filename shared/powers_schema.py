"""The current-powers tables (shared.powers, ADR 0002) as migration steps, for each service's
Alembic history: the same tables in three schemas."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


def create_revoked_tokens() -> None:
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


def drop_revoked_tokens() -> None:
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_revoked_tokens_account")
    op.drop_table("revoked_tokens")


def create_account_powers(*, known_from: str) -> None:
    """``account_powers`` and ``revoked_tokens``; the accounts the read model ``known_from``
    (a table with ``account_id``, ``active`` and ``account_as_of``) already holds start with
    their active flag, so a token of an account deactivated before the upgrade is refused at
    once; the time of a change is known from the next account event on."""
    powers = op.create_table(
        "account_powers",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("powers_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    create_revoked_tokens()
    known = sa.table(
        known_from,
        sa.column("account_id", sa.Uuid()),
        sa.column("active", sa.Boolean()),
        sa.column("account_as_of", sa.DateTime(timezone=True)),
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)  # any account event is newer
    # INSERT ... SELECT: one statement, which ``ocop migrate --sql`` can also write out.
    op.execute(
        powers.insert().from_select(
            ["account_id", "active", "powers_changed_at", "as_of"],
            sa.select(
                known.c.account_id,
                known.c.active,
                sa.null(),
                sa.func.coalesce(
                    known.c.account_as_of, sa.literal(epoch, sa.DateTime(timezone=True))
                ),
            ),
        )
    )


def drop_account_powers() -> None:
    drop_revoked_tokens()
    op.drop_table("account_powers")
