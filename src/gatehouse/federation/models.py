"""Tables of the federation context: external identity providers and their attribute mappings."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class IdentityProvider(IdMixin, TimestampMixin, Base):
    __tablename__ = "identity_providers"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    # FACEBOOK | GOOGLE | ... | OPENID_CONNECT | SAML (schemas.PROVIDER_TYPES)
    type: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    enabled: Mapped[bool]
    icon: Mapped[dict[str, Any] | None]  # {"id"?, "href"}
    login_button_icon: Mapped[dict[str, Any] | None]
    # registration.population.id: users the provider signs on for the first time are created here
    population_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("populations.id", ondelete="SET NULL"), index=True
    )
    # the type's own settings without its secret, as PingOne names them (clientId, issuer, ...)
    config: Mapped[dict[str, Any]]
    # the type's secret (appSecret, clientSecret or clientSecretSigningKey), sealed with the id
    secret_sealed: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.UniqueConstraint("environment_id", "name"),)


class IdentityProviderAttribute(IdMixin, TimestampMixin, Base):
    """An attribute mapping: which user attribute the provider's data fills (mappings.py)."""

    __tablename__ = "identity_provider_attributes"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    # no index of its own: the unique constraint below leads with it
    identity_provider_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity_providers.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(sa.String(256))
    value: Mapped[str] = mapped_column(sa.String(1024))
    update_mode: Mapped[str] = mapped_column(sa.String(16))  # `update`: EMPTY_ONLY | ALWAYS
    mapping_type: Mapped[str] = mapped_column(sa.String(8))  # CORE | CUSTOM

    __table_args__ = (sa.UniqueConstraint("identity_provider_id", "name"),)


class LinkedAccount(IdMixin, TimestampMixin, Base):
    """A user's account at an external identity provider: the provider's subject (`sub`) for
    that user. A subject is linked to at most one user of the provider's environment, and a
    user to at most one subject of each provider."""

    __tablename__ = "linked_accounts"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # no index of its own: both unique constraints below lead with it
    identity_provider_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("identity_providers.id", ondelete="CASCADE")
    )
    external_id: Mapped[str] = mapped_column(sa.String(512))

    __table_args__ = (
        sa.UniqueConstraint("identity_provider_id", "external_id"),
        sa.UniqueConstraint("identity_provider_id", "user_id"),
    )
