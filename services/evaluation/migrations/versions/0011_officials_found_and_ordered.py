"""officials found and ordered

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 15:00:00

Each official keeps its name's Vietnamese sort key and the folded text a search looks in
(services/evaluation/service/official_index.py); the rows already there get theirs here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.evaluation.service.official_index import search_text
from shared.migrate import data_step_runs
from shared.names import sort_key

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_key", sa.String(length=1300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.create_index("ix_officials_name_key", ["name_key", "account_id"], unique=False)
    officials = sa.table(
        "officials",
        sa.column("account_id", sa.Uuid()),
        sa.column("display_name", sa.String()),
        sa.column("email", sa.String()),
        sa.column("unit", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("search_text", sa.Text()),
    )
    if not data_step_runs("officials' name_key and search_text from their names"):
        return
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            officials.c.account_id, officials.c.display_name, officials.c.email, officials.c.unit
        )
    ).all()
    for row in rows:
        connection.execute(
            officials.update()
            .where(officials.c.account_id == row.account_id)
            .values(
                name_key=sort_key(row.display_name),
                search_text=search_text(row.display_name, row.email, row.unit),
            )
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.drop_index("ix_officials_name_key")
        batch_op.drop_column("search_text")
        batch_op.drop_column("name_key")
