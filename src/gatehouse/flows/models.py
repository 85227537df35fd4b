"""Tables of the flows context: a sign-on flow started by /as/authorize and driven through the
flows API until it completes or fails."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class Flow(IdMixin, TimestampMixin, Base):
    """`request` is the validated authorization request; `policies` the sign-on policy ids to run
    in order, `position` the action being worked on; `state` what the current action keeps between
    steps (codes are kept as digests). The flow is bound to the browser that started it by the
    digest of an interaction cookie."""

    __tablename__ = "flows"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(sa.String(64))
    request: Mapped[dict[str, Any]]
    policies: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE")
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="SET NULL")
    )
    interaction_digest: Mapped[str | None] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]
