"""Tables of the notifications context: every message Gatehouse sends, kept in an outbox that the
development reader and tests can read (and senders deliver from)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


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
    created_at: Mapped[datetime] = mapped_column(index=True)  # housekeeping
    delivered_at: Mapped[datetime | None]
    delivery_error: Mapped[str | None] = mapped_column(sa.Text)

    def record_failure(self, error: str) -> None:
        """Why the last delivery failed, cut to MAX_DELIVERY_ERROR_LENGTH characters."""
        self.delivery_error = error[:MAX_DELIVERY_ERROR_LENGTH]


MAX_DELIVERY_ERROR_LENGTH = 1000


class TemplateContent(IdMixin, TimestampMixin, Base):
    """One content of a notification template (notifications.catalogue) in an environment: its
    locale, delivery method (Email, SMS, Voice) and optional variant; `fields` holds what the
    method has under PingOne's names (subject, body, from, replyTo, charset, emailContentType;
    content, sender; content, voice)."""

    __tablename__ = "notification_template_contents"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    template: Mapped[str] = mapped_column(sa.String(64))
    delivery_method: Mapped[str] = mapped_column(sa.String(16))
    locale: Mapped[str] = mapped_column(sa.String(16))
    # lower case, "_" for "-": what a locale is matched and kept unique by
    locale_key: Mapped[str] = mapped_column(sa.String(16))
    variant: Mapped[str | None] = mapped_column(sa.String(100))
    variant_key: Mapped[str] = mapped_column(sa.String(100), default="")  # lower case; "" none
    fields: Mapped[dict[str, Any]]

    __table_args__ = (
        sa.UniqueConstraint(
            "environment_id",
            "template",
            "delivery_method",
            "locale_key",
            "variant_key",
            name="uq_template_contents_locale_variant",
        ),
    )


class NotificationSettings(Base):
    """/notificationsSettings: `settings` holds from, replyTo, deliveryMode, restrictions,
    smsProvidersFallbackChain and whitelist under PingOne's names."""

    __tablename__ = "notification_settings"

    environment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class EmailDeliverySettings(Base):
    """/notificationsSettings/emailDeliverySettings: the environment's own SMTP server (host,
    port, protocol, username, from, replyTo in `settings`); the password only sealed."""

    __tablename__ = "email_delivery_settings"

    environment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("environments.id", ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[dict[str, Any]]
    password_sealed: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]


class PhoneDeliverySettings(IdMixin, TimestampMixin, Base):
    """/notificationsSettings/phoneDeliverySettings/{id}: an SMS and voice provider (name,
    requests, numbers, authentication method and username in `settings`); the password or
    token only sealed."""

    __tablename__ = "phone_delivery_settings"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    provider: Mapped[str] = mapped_column(sa.String(32))
    settings: Mapped[dict[str, Any]]
    secret_sealed: Mapped[str | None] = mapped_column(sa.Text)
