"""due dates counted again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 16:00:00

A re-evaluation keeps the day its 45 days are counted from, so that a notice of days off loaded
later counts them again (services/evaluation/service/due_dates.py, ADR 0010). Rows already
there get the latest day their stored due date can have been counted from (45 days before it):
the day itself was not kept, and a due date moved off days off fits several.
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from shared.migrate import data_step_runs

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_counted_from", sa.Date(), nullable=True))
    cases = sa.table(
        "cases",
        sa.column("dossier_id", sa.Uuid()),
        sa.column("decision_due_on", sa.Date()),
        sa.column("decision_counted_from", sa.Date()),
    )
    if not data_step_runs("each open case's decision counted from 45 days before its due date"):
        return
    bind = op.get_bind()
    due = bind.execute(
        sa.select(cases.c.dossier_id, cases.c.decision_due_on).where(
            cases.c.decision_due_on.is_not(None)
        )
    ).all()
    for dossier_id, due_on in due:
        bind.execute(
            cases.update()
            .where(cases.c.dossier_id == dossier_id)
            .values(decision_counted_from=due_on - timedelta(days=45))
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("decision_counted_from")
