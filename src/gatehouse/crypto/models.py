"""Tables of the crypto context."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class SigningKey(IdMixin, TimestampMixin, Base):
    """An environment's token signing key. CURRENT signs; PREVIOUS still verifies and is published."""

    __tablename__ = "signing_keys"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))  # CURRENT | PREVIOUS | RETIRED
    public_jwk: Mapped[dict[str, Any]]
    private_key_sealed: Mapped[str] = mapped_column(sa.Text)
    rotated_at: Mapped[datetime | None]

    __table_args__ = (sa.Index("ix_signing_keys_environment_status", "environment_id", "status"),)
