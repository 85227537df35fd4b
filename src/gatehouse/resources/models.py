"""Tables of the resources context: resources (the APIs tokens are for), their scopes and the custom
claims (resource attributes) their tokens carry, and the secrets resource servers introspect with."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class Resource(IdMixin, TimestampMixin, Base):
    __tablename__ = "resources"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    type: Mapped[str] = mapped_column(sa.String(32))  # OPENID_CONNECT | PINGONE_API | CUSTOM
    audience: Mapped[str] = mapped_column(sa.String(2048))
    access_token_validity_seconds: Mapped[int] = mapped_column(default=3600)
    introspect_endpoint_auth_method: Mapped[str] = mapped_column(
        sa.String(32), default="CLIENT_SECRET_BASIC"
    )
    permissions_claim_enabled: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (sa.UniqueConstraint("environment_id", "name"),)


class ResourceScope(IdMixin, TimestampMixin, Base):
    __tablename__ = "resource_scopes"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    resource_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    schema_attributes: Mapped[list[Any] | None]
    mapped_claims: Mapped[list[Any] | None]

    __table_args__ = (sa.UniqueConstraint("resource_id", "name"),)


class ResourceAttribute(IdMixin, TimestampMixin, Base):
    """A custom claim a resource's access tokens (and, for openid, ID tokens / userinfo) carry."""

    __tablename__ = "resource_attributes"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    resource_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(256))
    value: Mapped[str] = mapped_column(sa.String(1024))
    type: Mapped[str] = mapped_column(sa.String(16), default="CUSTOM")  # CORE | CUSTOM | PREDEFINED
    id_token: Mapped[bool | None]
    user_info: Mapped[bool | None]

    __table_args__ = (sa.UniqueConstraint("resource_id", "name"),)


class ResourceSecret(IdMixin, Base):
    """A custom resource's client secret for token introspection: sealed so GET /secret can show
    it, digested so checks are fast. CURRENT is the secret; PREVIOUS stays valid until
    `expires_at` after a rotation."""

    __tablename__ = "resource_secrets"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16))  # CURRENT | PREVIOUS
    secret_sealed: Mapped[str] = mapped_column(sa.Text)
    secret_digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
