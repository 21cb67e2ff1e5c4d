"""the people on a case

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 12:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared import participants_schema

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handler_account_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_dossiers_handler", "accounts", ["handler_account_id"], ["id"]
        )
    op.create_index(
        "ix_dossiers_handler", "dossiers", ["handler_account_id", "status", "id"], unique=False
    )
    participants_schema.create(seats=True)
    # Dossiers waiting at the commune's intake go to its queue (ADR 0009); a case already
    # accepted keeps its officials from the events that come after this release.
    op.execute(
        "INSERT INTO case_participants (dossier_id, party, kind, level, office_role, "
        "office_unit, present, current, as_of) "
        "SELECT id, 'office:commune_officer:' || unit_tree || ':commune:' || commune_code, "
        "'commune_queue', 'commune', 'commune_officer', "
        "unit_tree || ':commune:' || commune_code, true, true, updated_at FROM dossiers "
        "WHERE status IN ('submitted', 'resubmitted')"
    )


def downgrade() -> None:
    """Downgrade schema."""
    participants_schema.drop(seats=True)
    op.drop_index("ix_dossiers_handler", table_name="dossiers")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_constraint("fk_dossiers_handler", type_="foreignkey")
        batch_op.drop_column("handler_account_id")
