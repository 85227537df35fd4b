"""environments.revocation_version: cached answers about revoked access tokens

Revision ID: ba14538de983
Revises: 0d346a365de3
Create Date: 2026-12-02 15:12:10.834501
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ba14538de983"
down_revision: str | None = "0d346a365de3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("environments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revocation_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("environments", schema=None) as batch_op:
        batch_op.drop_column("revocation_version")
