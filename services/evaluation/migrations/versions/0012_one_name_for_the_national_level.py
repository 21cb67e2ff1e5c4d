"""one name for the national level

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 15:30:00

The level above the province is ``national`` in both regimes (ADR 0011): rows the two-tier
regime wrote as ``central`` (cases, councils, rounds, evaluations, certificates) say it now.
Events already published keep their words; ``shared.levels`` reads ``central`` as national.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("cases", "councils", "rounds", "evaluations", "certificates")


# A central round whose national twin (same unit and dates) exists would break
# uq_rounds_calendar: its evaluations move to the twin, and it goes.
_TWINS = (
    "FROM rounds c JOIN rounds n ON n.level = 'national' AND n.unit = c.unit "
    "AND n.proposals_due = c.proposals_due AND n.closes_on = c.closes_on "
    "WHERE c.level = 'central'"
)


def upgrade() -> None:
    """Upgrade data."""
    op.execute(
        f"UPDATE evaluations SET round_id = (SELECT n.id {_TWINS} AND c.id = evaluations.round_id) "
        f"WHERE round_id IN (SELECT c.id {_TWINS})"
    )
    op.execute(f"DELETE FROM rounds WHERE id IN (SELECT c.id {_TWINS})")
    for name in TABLES:
        table = sa.table(name, sa.column("level", sa.String()))
        op.execute(table.update().where(table.c.level == "central").values(level="national"))


def downgrade() -> None:
    """Nothing to undo: which national rows were once central is not kept, and the code that
    reads them takes either name."""
