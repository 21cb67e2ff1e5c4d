"""the public register

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 18:30:00

Each certificate keeps what the public register filters and orders by (its product name's
Vietnamese sort key, its case's product set and units as filed) and each folded word of its
product and producer names and number is a row of ``certificate_words``
(services/evaluation/service/register.py); the rows already there get theirs here.
"""

from collections.abc import Sequence
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from services.evaluation.service.register import columns, word_rows
from shared.migrate import data_step_runs

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_certificates_register": ["status", "name_key", "number"],
    "ix_certificates_register_all": ["name_key", "number"],
    "ix_certificates_register_province": ["unit_tree", "province_code", "name_key", "number"],
    "ix_certificates_register_district": ["unit_tree", "district_code", "name_key", "number"],
    "ix_certificates_register_commune": ["unit_tree", "commune_code", "name_key", "number"],
}


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "certificate_words",
        sa.Column("word", sa.String(length=300), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("word", "number"),
    )
    op.create_index("ix_certificate_words_number", "certificate_words", ["number"], unique=False)
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_key", sa.String(length=1300), server_default="", nullable=False)
        )
        for name, length in (("product_set_code", 4), ("unit_tree", 16), ("province_code", 8)):
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), server_default="", nullable=False)
            )
        batch_op.add_column(sa.Column("district_code", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("commune_code", sa.String(length=8), server_default="", nullable=False)
        )
        for name, on in _INDEXES.items():
            batch_op.create_index(name, on, unique=False)
    if not data_step_runs("certificates' register columns and words from their names and cases"):
        return
    certificates = sa.table(
        "certificates",
        *(sa.column(name, sa.String()) for name in ("number", "product_name", "producer_name")),
        sa.column("dossier_id", sa.Uuid()),
    )
    cases = sa.table(
        "cases",
        sa.column("dossier_id", sa.Uuid()),
        *(
            sa.column(name, sa.String())
            for name in (
                "product_set_code",
                "unit_tree",
                "province_code",
                "district_code",
                "commune_code",
            )
        ),
    )
    words = sa.table("certificate_words", sa.column("word"), sa.column("number"))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(certificates, *(c for c in cases.c if c.name != "dossier_id")).join(
            cases, certificates.c.dossier_id == cases.c.dossier_id
        )
    ).all()
    for row in rows:
        names = {
            "number": row.number,
            "product_name": row.product_name,
            "producer_name": row.producer_name,
        }
        update = sa.table(
            "certificates",
            sa.column("number"),
            *(sa.column(name) for name in columns(**names, case=SimpleNamespace(**row._mapping))),
        )
        connection.execute(
            update.update()
            .where(update.c.number == row.number)
            .values(**columns(**names, case=SimpleNamespace(**row._mapping)))
        )
        connection.execute(words.insert(), word_rows(**names))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        for name in reversed(_INDEXES):
            batch_op.drop_index(name)
        for name in (
            "commune_code",
            "district_code",
            "province_code",
            "unit_tree",
            "product_set_code",
            "name_key",
        ):
            batch_op.drop_column(name)
    op.drop_index("ix_certificate_words_number", table_name="certificate_words")
    op.drop_table("certificate_words")
