"""Attribute values: a literal string, or a `${user.<path>}` placeholder naming one attribute of the
user (a core attribute, or a custom attribute declared in the environment's user schema).

`parse` checks a value and returns what it names; `evaluate` reads it from a user, giving the value
as the user's PingOne JSON shows it (ids and timestamps as strings). Resource attributes use both;
application attribute mappings and the claims of ID tokens and userinfo can reuse them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.directory.models import SchemaAttribute, User

# The core user attributes a placeholder may name: PingOne path -> User column.
CORE_PATHS: dict[str, str] = {
    "id": "id",
    "username": "username",
    "email": "email",
    "emailVerified": "email_verified",
    "name.formatted": "name_formatted",
    "name.given": "name_given",
    "name.middle": "name_middle",
    "name.family": "name_family",
    "name.honorificPrefix": "name_honorific_prefix",
    "name.honorificSuffix": "name_honorific_suffix",
    "nickname": "nickname",
    "title": "title",
    "preferredLanguage": "preferred_language",
    "locale": "locale",
    "timezone": "timezone",
    "address.streetAddress": "address_street_address",
    "address.locality": "address_locality",
    "address.region": "address_region",
    "address.postalCode": "address_postal_code",
    "address.countryCode": "address_country_code",
    "primaryPhone": "primary_phone",
    "mobilePhone": "mobile_phone",
    "photo.href": "photo_href",
    "accountId": "account_id",
    "externalId": "external_id",
    "type": "type",
    "enabled": "enabled",
    "mfaEnabled": "mfa_enabled",
    "lifecycle.status": "lifecycle_status",
    "population.id": "population_id",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}

_PLACEHOLDER = re.compile(r"\$\{user\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\}")


class ExpressionError(ValueError):
    """A value that is neither a literal nor a placeholder naming a known user attribute."""


@dataclass(frozen=True)
class LiteralValue:
    text: str


@dataclass(frozen=True)
class UserPath:
    path: str
    custom: bool

    @property
    def segments(self) -> list[str]:
        return self.path.split(".")


Expression = LiteralValue | UserPath


async def custom_attribute_types(
    session: AsyncSession, environment_id: uuid.UUID
) -> dict[str, str]:
    """The enabled custom attributes of the environment's user schema: name -> type."""
    rows = await session.execute(
        sa.select(SchemaAttribute.name, SchemaAttribute.type).where(
            SchemaAttribute.environment_id == environment_id, SchemaAttribute.enabled.is_(True)
        )
    )
    return dict(rows.tuples().all())


def parse(value: str, custom: Mapping[str, str]) -> Expression:
    """What `value` names; `custom` is `custom_attribute_types` of the environment. Raises
    ExpressionError for a placeholder that is malformed or names no attribute of the user."""
    if "${" not in value:
        return LiteralValue(value)
    match = _PLACEHOLDER.fullmatch(value)
    if match is None:
        raise ExpressionError(
            "The value must be a literal or one placeholder of the form ${user.<attribute>}."
        )
    path = match.group(1)
    if path in CORE_PATHS:
        return UserPath(path, custom=False)
    head, _, rest = path.partition(".")
    if head in custom and (not rest or custom[head] == "JSON"):
        return UserPath(path, custom=True)
    raise ExpressionError(f"user.{path} is not an attribute of this environment's users.")


def is_user_attribute(path: str, custom: Mapping[str, str]) -> bool:
    """Whether `path` names a user attribute or a group of them (`name`, `address`...)."""
    if path in CORE_PATHS or any(core.startswith(f"{path}.") for core in CORE_PATHS):
        return True
    head, _, rest = path.partition(".")
    return head in custom and (not rest or custom[head] == "JSON")


def evaluate(expression: Expression, user: User) -> Any:
    """The value `expression` gives for `user`: the literal, or the attribute's value (None when
    the user has none)."""
    if isinstance(expression, LiteralValue):
        return expression.text
    if not expression.custom:
        return _json_value(getattr(user, CORE_PATHS[expression.path]))
    value: Any = user.custom or {}
    for segment in expression.segments:
        if not isinstance(value, Mapping):
            return None
        value = value.get(segment)
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return clock.isoformat(value)
    return value
