"""the public register

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 18:30:00

Each certificate keeps its product name's Vietnamese sort key and the folded words the public
register searches (product and producer names: services/evaluation/service/register.py); the
rows already there get theirs here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.evaluation.service.register import columns
from shared.migrate import data_step_runs

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_key", sa.String(length=1300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(
            "ix_certificates_register", ["status", "name_key", "number"], unique=False
        )
        batch_op.create_index("ix_certificates_register_all", ["name_key", "number"], unique=False)
    certificates = sa.table(
        "certificates",
        sa.column("number", sa.String()),
        sa.column("product_name", sa.String()),
        sa.column("producer_name", sa.String()),
        sa.column("name_key", sa.String()),
        sa.column("search_text", sa.Text()),
    )
    if not data_step_runs("certificates' name_key and search_text from their names"):
        return
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(certificates.c.number, certificates.c.product_name, certificates.c.producer_name)
    ).all()
    for row in rows:
        connection.execute(
            certificates.update()
            .where(certificates.c.number == row.number)
            .values(
                **columns(
                    number=row.number,
                    product_name=row.product_name,
                    producer_name=row.producer_name,
                )
            )
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_register_all")
        batch_op.drop_index("ix_certificates_register")
        batch_op.drop_column("search_text")
        batch_op.drop_column("name_key")
