"""Tables of the crypto context."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class SigningKey(IdMixin, TimestampMixin, Base):
    """A key pair of an environment with its X.509 certificate: the /keys resource.

    `status` is the key's part in token signing. Only RSA keys of usage SIGNING take part: the
    environment's default SIGNING key is CURRENT and signs tokens; PREVIOUS (the one it replaced)
    still verifies and is published; RETIRED keys did once and no longer do; INACTIVE keys never
    did (other usages, EC keys, SIGNING keys never made the default)."""

    __tablename__ = "signing_keys"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(sa.String(16))  # the JWS alg: RS256 | ES256 | ...
    status: Mapped[str] = mapped_column(sa.String(16))  # CURRENT | PREVIOUS | RETIRED | INACTIVE
    public_jwk: Mapped[dict[str, Any]]
    private_key_sealed: Mapped[str] = mapped_column(sa.Text)
    rotated_at: Mapped[datetime | None]

    name: Mapped[str] = mapped_column(sa.String(256))
    # SIGNING | ENCRYPTION | SSL/TLS | ISSUANCE | OUTBOUND_MTLS
    usage_type: Mapped[str] = mapped_column(sa.String(16))
    # the default key of its usage type (for SIGNING: the CURRENT one)
    is_default: Mapped[bool] = mapped_column(default=False)
    key_type: Mapped[str] = mapped_column(sa.String(8))  # RSA | EC
    key_length: Mapped[int]
    signature_algorithm: Mapped[str | None] = mapped_column(sa.String(32))
    subject_dn: Mapped[str] = mapped_column(sa.String(2048))
    issuer_dn: Mapped[str] = mapped_column(sa.String(2048))
    serial_number: Mapped[str] = mapped_column(sa.String(64))  # decimal; may exceed int64
    starts_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    certificate_pem: Mapped[str] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_signing_keys_environment_status", "environment_id", "status"),)
