"""Tables of the sessions context: a user's sign-on session in an environment (the `ST` cookie)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class Session(IdMixin, TimestampMixin, Base):
    """The cookie carries a random secret; only its keyed digest is stored. `authenticators` holds
    when each method was last completed in this session, e.g. {"pwd": iso, "mfa": iso}."""

    __tablename__ = "sessions"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    authenticated_at: Mapped[datetime]
    last_used_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # housekeeping
    revoked_at: Mapped[datetime | None]
    authenticators: Mapped[dict[str, Any]] = mapped_column(default=dict)
    amr: Mapped[list[Any]] = mapped_column(default=list)
    remote_ip: Mapped[str | None] = mapped_column(sa.String(64))
