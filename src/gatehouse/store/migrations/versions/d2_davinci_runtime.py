"""davinci runtime

Revision ID: d2_davinci_runtime
Revises: d1_davinci
Create Date: 2026-12-02 06:41:36.807976
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gatehouse.store.base

revision: str = "d2_davinci_runtime"
down_revision: str | None = "d1_davinci"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "davinci_interactions",
        sa.Column("environment_id", sa.Uuid(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("flow_policy_id", sa.Uuid(), nullable=True),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("policy_name", sa.String(length=256), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("state_sealed", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=True),
        sa.Column(
            "code_expires_at", gatehouse.store.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("code_used_at", gatehouse.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", gatehouse.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", gatehouse.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", gatehouse.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gatehouse.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_davinci_interactions_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name=op.f("fk_davinci_interactions_environment_id_environments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"],
            ["davinci_flows.id"],
            name=op.f("fk_davinci_interactions_flow_id_davinci_flows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flow_policy_id"],
            ["davinci_flow_policies.id"],
            name=op.f("fk_davinci_interactions_flow_policy_id_davinci_flow_policies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_davinci_interactions_session_id_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_davinci_interactions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_davinci_interactions")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_davinci_interactions_code_digest")),
    )
    with op.batch_alter_table("davinci_interactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_davinci_interactions_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_davinci_interactions_environment_id"), ["environment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_davinci_interactions_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_davinci_interactions_flow_id"), ["flow_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_davinci_interactions_flow_policy_id"), ["flow_policy_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("davinci_interactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_davinci_interactions_flow_policy_id"))
        batch_op.drop_index(batch_op.f("ix_davinci_interactions_flow_id"))
        batch_op.drop_index(batch_op.f("ix_davinci_interactions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_davinci_interactions_environment_id"))
        batch_op.drop_index(batch_op.f("ix_davinci_interactions_application_id"))

    op.drop_table("davinci_interactions")
