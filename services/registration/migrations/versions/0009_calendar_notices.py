"""calendar notices

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 12:00:00

The yearly notices of days off an operator loads (``ocop calendar load``), told to the other
services by ``calendar.notice_loaded`` (shared.calendar_store, ADR 0010).
"""

from collections.abc import Sequence

from shared import calendar_schema

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    calendar_schema.create()


def downgrade() -> None:
    """Downgrade schema."""
    calendar_schema.drop()
