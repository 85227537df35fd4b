"""Tables of the directory context: populations, users, passwords, password policies, groups and
custom schema attributes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gatehouse.store.base import Base, IdMixin, TimestampMixin, environment_fk


class PasswordPolicy(IdMixin, TimestampMixin, Base):
    __tablename__ = "password_policies"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    default: Mapped[bool] = mapped_column(default=False)
    # Everything else of PingOne's PasswordPolicy (PingOne's JSON names), validated by
    # directory.password_policies.schemas.PasswordRules.
    rules: Mapped[dict[str, Any]]

    __table_args__ = (sa.UniqueConstraint("environment_id", "name"),)


class Population(IdMixin, TimestampMixin, Base):
    __tablename__ = "populations"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    default: Mapped[bool] = mapped_column(default=False)
    password_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("password_policies.id", ondelete="SET NULL")
    )
    preferred_language: Mapped[str | None] = mapped_column(sa.String(64))
    alternative_identifiers: Mapped[list[Any] | None]
    theme_id: Mapped[uuid.UUID | None]

    __table_args__ = (sa.UniqueConstraint("environment_id", "name"),)


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    population_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("populations.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(128))
    # casefolded username (users.service.username_key): uniqueness per environment is
    # case-insensitive; casefolding can lengthen a string, hence the wider column
    username_key: Mapped[str] = mapped_column(sa.String(384))
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    email_verified: Mapped[bool] = mapped_column(default=False)
    name_given: Mapped[str | None] = mapped_column(sa.String(256))
    name_family: Mapped[str | None] = mapped_column(sa.String(256))
    name_middle: Mapped[str | None] = mapped_column(sa.String(256))
    name_formatted: Mapped[str | None] = mapped_column(sa.String(256))
    name_honorific_prefix: Mapped[str | None] = mapped_column(sa.String(256))
    name_honorific_suffix: Mapped[str | None] = mapped_column(sa.String(256))
    nickname: Mapped[str | None] = mapped_column(sa.String(256))
    title: Mapped[str | None] = mapped_column(sa.String(256))
    preferred_language: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str | None] = mapped_column(sa.String(256))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    address_street_address: Mapped[str | None] = mapped_column(sa.String(256))
    address_locality: Mapped[str | None] = mapped_column(sa.String(256))
    address_region: Mapped[str | None] = mapped_column(sa.String(256))
    address_postal_code: Mapped[str | None] = mapped_column(sa.String(40))
    address_country_code: Mapped[str | None] = mapped_column(sa.String(2))
    primary_phone: Mapped[str | None] = mapped_column(sa.String(32))
    mobile_phone: Mapped[str | None] = mapped_column(sa.String(32))
    photo_href: Mapped[str | None] = mapped_column(sa.String(2048))
    account_id: Mapped[str | None] = mapped_column(sa.String(1024))
    external_id: Mapped[str | None] = mapped_column(sa.String(1024), index=True)
    type: Mapped[str | None] = mapped_column(sa.String(256))
    enabled: Mapped[bool] = mapped_column(default=True)
    lifecycle_status: Mapped[str] = mapped_column(sa.String(32), default="ACCOUNT_OK")
    mfa_enabled: Mapped[bool] = mapped_column(default=False)
    verify_status: Mapped[str] = mapped_column(sa.String(32), default="NOT_INITIATED")
    identity_provider_type: Mapped[str] = mapped_column(sa.String(32), default="PING_ONE")
    identity_provider_id: Mapped[uuid.UUID | None]
    account_status: Mapped[str] = mapped_column(sa.String(16), default="OK")  # OK | LOCKED
    account_locked_at: Mapped[datetime | None]
    account_unlock_at: Mapped[datetime | None]
    last_sign_on_at: Mapped[datetime | None]
    last_sign_on_remote_ip: Mapped[str | None] = mapped_column(sa.String(64))
    # values of custom attributes declared in /schemas, by attribute name
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (
        sa.UniqueConstraint("environment_id", "username_key"),
        sa.Index("ix_users_environment_created", "environment_id", "created_at", "id"),
        # SCIM filters compare strings case-insensitively: lower(column) eq/sw/gt... (LIKE 'x%'
        # uses the index on PostgreSQL through text_pattern_ops)
        sa.Index(
            "ix_users_environment_lower_username",
            "environment_id",
            sa.func.lower(sa.text("username")).label("lower_username"),
            postgresql_ops={"lower_username": "text_pattern_ops"},
        ),
        sa.Index(
            "ix_users_environment_lower_email",
            "environment_id",
            sa.func.lower(sa.text("email")).label("lower_email"),
            postgresql_ops={"lower_email": "text_pattern_ops"},
        ),
    )


class UserPassword(Base):
    """A user's password state: the argon2id hash (or imported legacy hash), lockout and history."""

    __tablename__ = "user_passwords"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    password_hash: Mapped[str] = mapped_column(sa.Text)
    must_change: Mapped[bool] = mapped_column(default=False)
    last_changed_at: Mapped[datetime]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    # previous hashes, newest first: [{"hash": ..., "changedAt": <when it was replaced>}]
    history: Mapped[list[Any]] = mapped_column(default=list)
    recovery_code_digest: Mapped[str | None] = mapped_column(sa.String(128))
    recovery_code_expires_at: Mapped[datetime | None]
    recovery_failures: Mapped[int] = mapped_column(default=0)


class Group(IdMixin, TimestampMixin, Base):
    __tablename__ = "groups"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    population_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("populations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    external_id: Mapped[str | None] = mapped_column(sa.String(1024))
    custom_data: Mapped[dict[str, Any] | None]

    __table_args__ = (
        sa.UniqueConstraint("environment_id", "name"),
        sa.Index("ix_groups_environment_created", "environment_id", "created_at", "id"),
    )


class GroupMembership(Base):
    __tablename__ = "group_memberships"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]


class SchemaAttribute(IdMixin, TimestampMixin, Base):
    """A custom user attribute declared in an environment's user schema."""

    __tablename__ = "schema_attributes"

    environment_id: Mapped[uuid.UUID] = environment_fk()
    name: Mapped[str] = mapped_column(sa.String(256))
    display_name: Mapped[str | None] = mapped_column(sa.String(256))
    description: Mapped[str | None] = mapped_column(sa.String(1024))
    type: Mapped[str] = mapped_column(sa.String(16))  # STRING | JSON | BOOLEAN
    enabled: Mapped[bool] = mapped_column(default=True)
    required: Mapped[bool] = mapped_column(default=False)
    unique: Mapped[bool] = mapped_column(default=False)
    multi_valued: Mapped[bool] = mapped_column(default=False)
    # STRING only; None when the values are free: [{"value", "archived", "description"?}], values
    # unique case-insensitively; an archived value stays valid on users who have it but is not
    # offered for new ones.
    enumerated_values: Mapped[list[Any] | None]
    # STRING only; None when there is none: {"pattern", "requirements",
    # "valuesPatternShouldMatch": [...], "valuesPatternShouldNotMatch": [...]}. A value is valid
    # when the whole of it matches `pattern` (schema.service.pattern_matches).
    regex_validation: Mapped[dict[str, Any] | None]

    __table_args__ = (sa.UniqueConstraint("environment_id", "name"),)
