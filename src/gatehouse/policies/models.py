"""Tables of the policies context: sign-on policies, their actions, and application assignments."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class SignOnPolicy(IdMixin, TimestampMixin, Base):
    __tablename__ = "sign_on_policies"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    default: Mapped[bool] = mapped_column(default=False)
    # load with selectinload(SignOnPolicy.actions); the database deletes them with the policy
    actions: Mapped[list[SignOnPolicyAction]] = relationship(
        order_by=lambda: (SignOnPolicyAction.priority, SignOnPolicyAction.created_at),
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise_on_sql",
    )

    __table_args__ = (sa.UniqueConstraint("environment_id", "name"),)


class SignOnPolicyAction(IdMixin, TimestampMixin, Base):
    __tablename__ = "sign_on_policy_actions"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    policy_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sign_on_policies.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(sa.String(64))
    priority: Mapped[int]
    condition: Mapped[dict[str, Any] | None]
    # the type-specific fields (registration, recovery, noDevicesMode, ...) as PingOne names them
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SignOnPolicyAssignment(IdMixin, TimestampMixin, Base):
    __tablename__ = "sign_on_policy_assignments"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    policy_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sign_on_policies.id", ondelete="CASCADE"), index=True
    )
    priority: Mapped[int]

    __table_args__ = (sa.UniqueConstraint("application_id", "policy_id"),)
