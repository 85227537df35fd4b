"""Tables of the oauth context: authorization codes, refresh tokens and revoked access tokens.
Codes and refresh tokens are random secrets stored only as keyed digests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, environment_fk


class AuthorizationCode(IdMixin, Base):
    __tablename__ = "authorization_codes"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    code_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="SET NULL"), index=True
    )
    redirect_uri: Mapped[str | None] = mapped_column(sa.String(2048))
    scope: Mapped[str] = mapped_column(sa.Text)
    nonce: Mapped[str | None] = mapped_column(sa.String(512))
    code_challenge: Mapped[str | None] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(sa.String(8))
    auth_time: Mapped[datetime]
    acr: Mapped[str | None] = mapped_column(sa.String(256))
    amr: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)  # housekeeping
    redeemed_at: Mapped[datetime | None]
    # every token issued from this code shares this family: a replayed code revokes it
    token_family: Mapped[uuid.UUID]


class RefreshToken(IdMixin, Base):
    __tablename__ = "refresh_tokens"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    token_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    family: Mapped[uuid.UUID] = mapped_column(index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="SET NULL"), index=True
    )
    scope: Mapped[str] = mapped_column(sa.Text)
    auth_time: Mapped[datetime]
    acr: Mapped[str | None] = mapped_column(sa.String(256))
    amr: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    # PingOne: each token lives refreshTokenDuration; the family ends refreshTokenRollingDuration
    # after the code was redeemed (None: it does not), when the user must sign on again
    family_expires_at: Mapped[datetime | None] = mapped_column(index=True)  # housekeeping
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class RevokedAccessToken(Base):
    """Access tokens are self-contained JWTs; revoking one records its jti until it expires."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    environment_id: Mapped[uuid.UUID] = environment_fk()
    expires_at: Mapped[datetime] = mapped_column(index=True)


class FamilyAccessToken(Base):
    """The jti of every access token issued in a token family (one code and the refresh tokens
    that followed it), so revoking the family can revoke them too (RFC 6749 section 4.1.2, RFC 7009
    section 2.1). Kept until the token expires."""

    __tablename__ = "family_access_tokens"

    jti: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    family: Mapped[uuid.UUID] = mapped_column(index=True)
    environment_id: Mapped[uuid.UUID] = environment_fk()
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UsedClientAssertion(Base):
    """The jti of each client assertion (RFC 7523 section 3, item 7) already accepted, kept until
    the assertion expires so none is accepted twice."""

    __tablename__ = "used_client_assertions"

    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    jti: Mapped[str] = mapped_column(sa.String(256), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
