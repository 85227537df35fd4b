"""Tables of the access context: built-in roles and who holds them where."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class Role(IdMixin, Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(sa.String(128), unique=True)
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    applicable_to: Mapped[list[Any]]
    permissions: Mapped[list[Any]]


class RoleAssignment(IdMixin, TimestampMixin, Base):
    """`actor` (a user, application or group of `environment_id`) holds `role` over `scope`."""

    __tablename__ = "role_assignments"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    actor_type: Mapped[str] = mapped_column(sa.String(16))  # USER | APPLICATION | GROUP
    actor_id: Mapped[uuid.UUID]
    role_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("roles.id", ondelete="CASCADE"))
    scope_type: Mapped[str] = mapped_column(
        sa.String(16)
    )  # ORGANIZATION | ENVIRONMENT | POPULATION
    scope_id: Mapped[uuid.UUID]
    read_only: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.Index("ix_role_assignments_actor", "actor_id", "actor_type"),
        sa.Index("ix_role_assignments_scope", "scope_id"),
        sa.UniqueConstraint("actor_id", "role_id", "scope_type", "scope_id"),
    )
