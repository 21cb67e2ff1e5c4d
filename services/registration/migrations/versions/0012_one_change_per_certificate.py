"""one change of a certificate at a time

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 16:10:00

A unique partial index holds what the filing check says: one upgrade or re-evaluation of a
certificate filed and not decided at a time (models.ONE_CHANGE_PER_CERTIFICATE). Two dossiers
filed at the same instant cannot both pass it. A database holding two such dossiers already
(filed before the check existed) stops here, naming them: withdraw one, then migrate again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.migrate import data_step_runs

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "uq_dossiers_one_change_per_certificate"
UNDER_WAY = (
    "registration_type IN ('upgrade', 're_evaluation') "
    "AND status IN ('submitted', 'returned', 'resubmitted', 'accepted') "
    "AND decided_outcome IS NULL"
)


def upgrade() -> None:
    """Upgrade schema."""
    if data_step_runs("no certificate with two changes under way, checked before the index"):
        _refuse_two_changes_under_way()
    op.create_index(
        NAME,
        "dossiers",
        ["certificate_number"],
        unique=True,
        sqlite_where=sa.text(UNDER_WAY),
        postgresql_where=sa.text(UNDER_WAY),
    )


def _refuse_two_changes_under_way() -> None:
    twice = (
        op.get_bind()
        .execute(
            sa.text(
                f"SELECT certificate_number FROM dossiers WHERE {UNDER_WAY} "
                "GROUP BY certificate_number HAVING COUNT(*) > 1"
            )
        )
        .scalars()
        .all()
    )
    if twice:
        raise RuntimeError(
            "certificates with more than one upgrade or re-evaluation under way: "
            + ", ".join(twice)
            + "; withdraw all but one of each, then migrate again"
        )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(NAME, table_name="dossiers")
