"""Tables of the MFA context: device authentication (MFA) policies, users' MFA devices, and the
one-time-code sends counted for rate limiting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class DeviceAuthenticationPolicy(IdMixin, TimestampMixin, Base):
    __tablename__ = "device_authentication_policies"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    default: Mapped[bool] = mapped_column(default=False)
    # Everything else of PingOne's DeviceAuthenticationPolicy (sms, voice, email, totp, fido2,
    # mobile, authentication, ...) under PingOne's names, validated by
    # mfa.policies.schemas.PolicySettings.
    settings: Mapped[dict[str, Any]]

    __table_args__ = (sa.UniqueConstraint("environment_id", "name"),)


class MfaDevice(IdMixin, TimestampMixin, Base):
    """A user's MFA device. Secrets never leave in clear: a pending one-time code is a keyed
    digest, a TOTP secret is sealed (AES-GCM, bound to the device id)."""

    __tablename__ = "mfa_devices"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # None: the environment's default policy applies
    policy_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("device_authentication_policies.id", ondelete="SET NULL"), index=True
    )
    type: Mapped[str] = mapped_column(sa.String(16))  # SMS | VOICE | EMAIL | TOTP | FIDO2
    status: Mapped[str] = mapped_column(sa.String(32))  # ACTIVATION_REQUIRED | ACTIVE
    nickname: Mapped[str | None] = mapped_column(sa.String(256))
    phone: Mapped[str | None] = mapped_column(sa.String(32))  # E.164
    email: Mapped[str | None] = mapped_column(sa.String(320))
    # the user's device order (0 first, the default device); None: after the ordered ones, by
    # creation time
    position: Mapped[int | None]
    # the pending one-time code (SMS, VOICE, EMAIL): single use, until it expires
    otp_digest: Mapped[str | None] = mapped_column(sa.String(128))
    otp_expires_at: Mapped[datetime | None]
    # lockout after the policy's failure count, for its cool-down
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # TOTP: the sealed base32 secret, and the last time step accepted (never accepted again)
    totp_secret: Mapped[str | None] = mapped_column(sa.Text)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    # FIDO2: the pending WebAuthn challenge (registration or authentication), base64url
    webauthn_challenge: Mapped[str | None] = mapped_column(sa.String(128))
    webauthn_challenge_expires_at: Mapped[datetime | None]
    # FIDO2: the registered credential, base64url
    credential_id: Mapped[str | None] = mapped_column(sa.String(1400))
    credential_public_key: Mapped[str | None] = mapped_column(sa.Text)
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credential_backed_up: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.Index("ix_mfa_devices_user_order", "user_id", "position", "created_at", "id"),
    )


class MfaOtpSend(IdMixin, Base):
    """One one-time code sent (SMS, voice call or e-mail), counted by the send rate limits."""

    __tablename__ = "mfa_otp_sends"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # kept when the device is deleted: the user's count must not restart with a new device
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("mfa_devices.id", ondelete="SET NULL"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(index=True)
