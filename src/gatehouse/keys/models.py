"""Tables of the keys context: certificates without a private key (/certificates). Key pairs
(/keys) are the crypto context's SigningKey rows."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class Certificate(IdMixin, TimestampMixin, Base):
    """An imported X.509 certificate, such as a SAML identity provider's verification
    certificate. What it says of itself is kept in columns so lists need not parse it."""

    __tablename__ = "certificates"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    usage_type: Mapped[str] = mapped_column(sa.String(16))
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # SHA-256 of the DER, hex
    key_type: Mapped[str] = mapped_column(sa.String(8))  # RSA | EC | UNKNOWN
    key_length: Mapped[int | None]
    signature_algorithm: Mapped[str | None] = mapped_column(sa.String(32))
    subject_dn: Mapped[str] = mapped_column(sa.String(2048))
    issuer_dn: Mapped[str] = mapped_column(sa.String(2048))
    serial_number: Mapped[str] = mapped_column(sa.String(64))  # decimal; may exceed int64
    starts_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    __table_args__ = (sa.UniqueConstraint("environment_id", "fingerprint"),)
