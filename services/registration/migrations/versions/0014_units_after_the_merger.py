"""units after the merger

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 18:30:00

The map of the 2025 merger (which 2025 commune each pre-2025 commune became), loaded here by
``ocop units map`` and told to the other services by ``units.map_loaded`` (shared.unit_map).
"""

from collections.abc import Sequence

from shared import unit_map_schema

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    unit_map_schema.create()


def downgrade() -> None:
    """Downgrade schema."""
    unit_map_schema.drop()
