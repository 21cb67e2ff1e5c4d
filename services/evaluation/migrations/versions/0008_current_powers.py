"""current powers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 14:00:00

Whether an account's tokens still speak for it (shared.powers, ADR 0002): the account's active
flag and the time of its last change of powers, kept from account events, and the signed-out
tokens. The accounts this service already knows start with their active flag (so a token of an
account deactivated before this release is refused at once); the time of a change is known
from the next account event on.
"""

from collections.abc import Sequence

from shared import powers_schema

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    powers_schema.create_account_powers(known_from="officials")


def downgrade() -> None:
    """Downgrade schema."""
    powers_schema.drop_account_powers()
