"""Tables of the notifications context: every message Gatehouse sends, kept in an outbox that the
development reader and tests can read (and senders deliver from)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, environment_fk


class OutboxMessage(IdMixin, Base):
    __tablename__ = "outbox_messages"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(sa.String(16))  # EMAIL | SMS | VOICE
    recipient: Mapped[str] = mapped_column(sa.String(320), index=True)
    template: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str | None] = mapped_column(sa.String(512))
    body: Mapped[str] = mapped_column(sa.Text)
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    delivery_error: Mapped[str | None] = mapped_column(sa.Text)
