"""the people on a case

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 12:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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
    op.create_table(
        "case_participants",
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("office_role", sa.String(length=32), nullable=True),
        sa.Column("office_unit", sa.String(length=40), nullable=True),
        sa.Column("council_id", sa.Uuid(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", "party"),
    )
    op.create_index(
        "ix_case_participants_account", "case_participants", ["account_id", "dossier_id"]
    )
    op.create_index(
        "ix_case_participants_office",
        "case_participants",
        ["office_unit", "office_role", "dossier_id"],
    )
    op.create_index(
        "ix_case_participants_council", "case_participants", ["council_id", "dossier_id"]
    )
    op.create_table(
        "case_exclusions",
        sa.Column("dossier_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dossier_id", "account_id"),
    )
    op.create_index("ix_case_exclusions_account", "case_exclusions", ["account_id", "dossier_id"])
    op.create_table(
        "council_seats",
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("council_id", "account_id"),
    )
    op.create_index("ix_council_seats_account", "council_seats", ["account_id", "council_id"])
    # Dossiers waiting at the commune's intake go to its queue (ADR 0009); a case already
    # accepted keeps its officials from the events that come after this release.
    op.execute(
        "INSERT INTO case_participants (dossier_id, party, kind, level, office_role, "
        "office_unit, current, as_of) SELECT id, 'office:commune_officer:' || unit_tree || "
        "':commune:' || commune_code, 'commune_queue', 'commune', 'commune_officer', "
        "unit_tree || ':commune:' || commune_code, true, updated_at FROM dossiers "
        "WHERE status IN ('submitted', 'resubmitted')"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_council_seats_account", table_name="council_seats")
    op.drop_table("council_seats")
    op.drop_index("ix_case_exclusions_account", table_name="case_exclusions")
    op.drop_table("case_exclusions")
    op.drop_index("ix_case_participants_council", table_name="case_participants")
    op.drop_index("ix_case_participants_office", table_name="case_participants")
    op.drop_index("ix_case_participants_account", table_name="case_participants")
    op.drop_table("case_participants")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_constraint("fk_dossiers_handler", type_="foreignkey")
        batch_op.drop_column("handler_account_id")
