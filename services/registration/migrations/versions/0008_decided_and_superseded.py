"""decided dossiers and superseded certificates

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 10:00:00

The decision that ended a dossier's case (withdrawal is refused from then on), the dossiers
naming a certificate indexed (one upgrade of it at a time), and the certificate that
superseded a certificate. Dossiers whose status line already says a decision
(a refusal, a certificate) are marked decided.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The status lines that only a decision leaves, and the outcome each says.
_DECIDED_BY_KEY = {
    "decided.not_recognised": "not_recognised",
    "decided.rejected": "rejected",
    "certificate.issued": "recognised",
    "certificate.revoked": "recognised",
    "certificate.expired": "recognised",
}


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_outcome", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_dossiers_certificate", ["certificate_number"], unique=False)
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by", sa.String(length=40), nullable=True))
    dossiers = sa.table(
        "dossiers",
        sa.column("public_status_key", sa.String),
        sa.column("decided_outcome", sa.String),
    )
    for key, outcome in _DECIDED_BY_KEY.items():
        op.execute(
            dossiers.update()
            .where(dossiers.c.public_status_key == key)
            .values(decided_outcome=outcome)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_column("superseded_by")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_index("ix_dossiers_certificate")
        batch_op.drop_column("decided_outcome")
