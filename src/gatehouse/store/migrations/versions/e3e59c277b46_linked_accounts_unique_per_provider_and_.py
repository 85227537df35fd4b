"""linked accounts unique per provider and user

A user is linked to at most one account of each identity provider. federation.provisioning.link
checked that before inserting, but two sign-ons racing could both pass the check and link the
same user twice to one provider; the unique (identity_provider_id, user_id) closes the race.
Links a database holds already beyond the first are deleted first: for each provider and user
the oldest link (by created_at, then id) stays. The downgrade does not bring them back.

Revision ID: e3e59c277b46
Revises: ba14538de983
Create Date: 2026-12-02 15:41:52.724657
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e3e59c277b46"
down_revision: str | None = "ba14538de983"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A link is deleted when an older one of the same provider and user exists (SQLite and
# PostgreSQL alike: no DELETE ... USING, no alias on the deleted table).
DELETE_LATER_DUPLICATES = """
DELETE FROM linked_accounts
WHERE EXISTS (
    SELECT 1 FROM linked_accounts AS older
    WHERE older.identity_provider_id = linked_accounts.identity_provider_id
      AND older.user_id = linked_accounts.user_id
      AND (
        older.created_at < linked_accounts.created_at
        OR (older.created_at = linked_accounts.created_at AND older.id < linked_accounts.id)
      )
)
"""


def upgrade() -> None:
    op.execute(DELETE_LATER_DUPLICATES)
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_linked_accounts_identity_provider_id_user_id"),
            ["identity_provider_id", "user_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("linked_accounts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_linked_accounts_identity_provider_id_user_id"), type_="unique"
        )
