"""units after the merger

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:00:00

The map of the 2025 merger (which 2025 commune each pre-2025 commune became), kept from
registration's by ``units.map_loaded`` (shared.unit_map).
"""

from collections.abc import Sequence

from shared import unit_map_schema

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    unit_map_schema.create()


def downgrade() -> None:
    """Downgrade schema."""
    unit_map_schema.drop()
