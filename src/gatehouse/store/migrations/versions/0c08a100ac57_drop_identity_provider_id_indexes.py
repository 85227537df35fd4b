"""identity provider attributes, linked accounts: drop the identity_provider_id indexes that their
unique constraints, which lead with that column, already provide

Revision ID: 0c08a100ac57
Revises: e3e59c277b46
Create Date: 2026-12-03 17:06:18.894010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0c08a100ac57"
down_revision: str | None = "e3e59c277b46"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("identity_provider_attributes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_provider_attributes_identity_provider_id"))

    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_linked_accounts_identity_provider_id"))


def downgrade() -> None:
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_linked_accounts_identity_provider_id"),
            ["identity_provider_id"],
            unique=False,
        )

    with op.batch_alter_table("identity_provider_attributes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_provider_attributes_identity_provider_id"),
            ["identity_provider_id"],
            unique=False,
        )
