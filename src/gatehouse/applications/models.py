"""Tables of the applications context: applications, their secrets, resource grants and attribute
mappings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class Application(IdMixin, TimestampMixin, Base):
    """An application; its id is its OAuth client_id."""

    __tablename__ = "applications"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    enabled: Mapped[bool] = mapped_column(default=True)
    protocol: Mapped[str] = mapped_column(sa.String(32))
    type: Mapped[str] = mapped_column(sa.String(32))
    # the protocol settings (OIDC: grantTypes, redirectUris, ...), validated by applications.schemas
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApplicationSecret(IdMixin, Base):
    """A client secret: sealed so GET /secret can show it, digested so checks are fast.
    CURRENT is the secret; PREVIOUS stays valid until `expires_at` after a rotation."""

    __tablename__ = "application_secrets"

    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16))  # CURRENT | PREVIOUS
    secret_sealed: Mapped[str] = mapped_column(sa.Text)
    secret_digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


grant_scopes = sa.Table(
    "application_grant_scopes",
    Base.metadata,
    sa.Column(
        "grant_id", sa.ForeignKey("application_grants.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "scope_id",
        sa.ForeignKey("resource_scopes.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class ApplicationGrant(IdMixin, TimestampMixin, Base):
    __tablename__ = "application_grants"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("resources.id", ondelete="CASCADE")
    )

    __table_args__ = (sa.UniqueConstraint("application_id", "resource_id"),)


class ApplicationAttributeMapping(IdMixin, TimestampMixin, Base):
    __tablename__ = "application_attribute_mappings"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(256))
    value: Mapped[str] = mapped_column(sa.String(1024))
    required: Mapped[bool] = mapped_column(default=False)
    mapping_type: Mapped[str] = mapped_column(sa.String(16), default="CUSTOM")  # CORE|SCOPE|CUSTOM
    name_format: Mapped[str | None] = mapped_column(sa.String(256))
    id_token: Mapped[bool] = mapped_column(default=True)
    user_info: Mapped[bool] = mapped_column(default=True)
    oidc_scopes: Mapped[list[Any] | None]

    __table_args__ = (sa.UniqueConstraint("application_id", "name"),)
