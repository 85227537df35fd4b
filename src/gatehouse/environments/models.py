"""Tables of the environments context: the organization and its environments."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(sa.String(256))
    type: Mapped[str] = mapped_column(sa.String(32), default="INTERNAL")


class Environment(IdMixin, TimestampMixin, Base):
    __tablename__ = "environments"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    type: Mapped[str] = mapped_column(sa.String(16))
    region: Mapped[str] = mapped_column(sa.String(32))
    license_id: Mapped[uuid.UUID | None]
    icon: Mapped[str | None] = mapped_column(sa.String(2048))
    status: Mapped[str] = mapped_column(sa.String(32), default="ACTIVE")
    bill_of_materials: Mapped[dict[str, Any] | None]
    # Goes up with every change to the environment's cached configuration (store/config_cache.py).
    config_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Goes up with every revocation of its access tokens (config_cache.revocations_changed).
    revocation_version: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)
