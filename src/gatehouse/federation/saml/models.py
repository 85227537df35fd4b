"""Tables of SAML sign-on through external identity providers: the assertions already used, so
a replayed one is refused (saml-profiles-2.0-os 4.1.4.5)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, environment_fk


class UsedAssertion(IdMixin, Base):
    """An assertion ID a provider's Response signed a user on with; kept until the assertion
    expires (`expires_at`, its NotOnOrAfter)."""

    __tablename__ = "saml_used_assertions"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    identity_provider_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity_providers.id", ondelete="CASCADE")
    )
    assertion_id: Mapped[str] = mapped_column(sa.String(256))
    expires_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (sa.UniqueConstraint("identity_provider_id", "assertion_id"),)
