"""Users: create and import, replace and patch, the sub-resources, listing with SCIM filters.

Population-scoped administrators: every function that finds users takes `populations` (None: the
whole environment, else the population ids the caller may act on) and applies it in SQL, so a user
outside them is simply not found; creating or moving a user into another population is forbidden.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.service import revoke_actor_roles
from gatehouse.common import clock, scim_filter
from gatehouse.common.errors import (
    forbidden,
    invalid_value,
    not_found,
    required_value,
    uniqueness_violation,
)
from gatehouse.common.pagination import Order, Page, fetch_page
from gatehouse.crypto.passwords import PasswordHasher
from gatehouse.directory.models import (
    Group,
    GroupMembership,
    Population,
    SchemaAttribute,
    User,
    UserPassword,
)
from gatehouse.directory.passwords import service as passwords
from gatehouse.directory.users import custom
from gatehouse.directory.users.schemas import (
    UserAttributes,
    UserCreate,
    UserImport,
    UserPatch,
    UserReplace,
)

Populations = set[uuid.UUID] | None

# Where each column-backed attribute lives in PingOne's JSON (PUT, PATCH and rendering share it).
COLUMNS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("username",), "username"),
    (("email",), "email"),
    (("name", "given"), "name_given"),
    (("name", "family"), "name_family"),
    (("name", "middle"), "name_middle"),
    (("name", "formatted"), "name_formatted"),
    (("name", "honorificPrefix"), "name_honorific_prefix"),
    (("name", "honorificSuffix"), "name_honorific_suffix"),
    (("nickname",), "nickname"),
    (("title",), "title"),
    (("type",), "type"),
    (("preferredLanguage",), "preferred_language"),
    (("locale",), "locale"),
    (("timezone",), "timezone"),
    (("externalId",), "external_id"),
    (("accountId",), "account_id"),
    (("primaryPhone",), "primary_phone"),
    (("mobilePhone",), "mobile_phone"),
    (("address", "streetAddress"), "address_street_address"),
    (("address", "locality"), "address_locality"),
    (("address", "region"), "address_region"),
    (("address", "postalCode"), "address_postal_code"),
    (("address", "countryCode"), "address_country_code"),
    (("photo", "href"), "photo_href"),
)


def standard_attributes(user: User) -> dict[str, Any]:
    """The user's set standard attributes as PingOne nests them (`name.given`, ...)."""
    body: dict[str, Any] = {}
    for path, column in COLUMNS:
        value = getattr(user, column)
        if value is not None:
            parent = body
            for key in path[:-1]:
                parent = parent.setdefault(key, {})
            parent[path[-1]] = value
    return body


_STRING_FILTERS = {".".join(path): getattr(User, column) for path, column in COLUMNS}
_TYPED_FILTERS = {
    "id": (User.id, scim_filter.Kind.UUID),
    "enabled": (User.enabled, scim_filter.Kind.BOOLEAN),
    "mfaEnabled": (User.mfa_enabled, scim_filter.Kind.BOOLEAN),
    "emailVerified": (User.email_verified, scim_filter.Kind.BOOLEAN),
    "population.id": (User.population_id, scim_filter.Kind.UUID),
    "identityProvider.id": (User.identity_provider_id, scim_filter.Kind.UUID),
    "lifecycle.status": (User.lifecycle_status, scim_filter.Kind.STRING),
    "identityProvider.type": (User.identity_provider_type, scim_filter.Kind.STRING),
    "account.status": (User.account_status, scim_filter.Kind.STRING),
    "verifyStatus": (User.verify_status, scim_filter.Kind.STRING),
    "createdAt": (User.created_at, scim_filter.Kind.DATETIME),
    "updatedAt": (User.updated_at, scim_filter.Kind.DATETIME),
}
FILTER_ATTRIBUTES: dict[str, scim_filter.Attribute] = {
    **{name: scim_filter.Attribute(column) for name, column in _STRING_FILTERS.items()},
    **{
        name: scim_filter.Attribute(column, kind) for name, (column, kind) in _TYPED_FILTERS.items()
    },
}
_GROUP_ATTRIBUTES = {
    "id": scim_filter.Attribute(GroupMembership.group_id, scim_filter.Kind.UUID),
    "name": scim_filter.Attribute(Group.name),
}

# `order` values; keyset pagination needs non-null columns.
ORDER = {"username": User.username_key, "createdAt": User.created_at, "updatedAt": User.updated_at}
DEFAULT_ORDER = Order(User.created_at)


def username_key(username: str) -> str:
    """The form usernames are compared in: two usernames differing only in case are one."""
    return username.casefold()


def in_scope(populations: Populations) -> Any:
    """The SQL condition limiting users to the caller's populations."""
    return sa.true() if populations is None else User.population_id.in_(populations)


def _member_of_groups(condition: Any) -> Any:
    """memberOfGroups[...]: some group of the user (id, or name through the group) matches."""
    return sa.exists(
        sa.select(GroupMembership.user_id)
        .join(Group, Group.id == GroupMembership.group_id)
        .where(GroupMembership.user_id == User.id, condition)
    )


def filter_schema(custom_schema: Mapping[str, SchemaAttribute]) -> scim_filter.Schema:
    return scim_filter.Schema(
        FILTER_ATTRIBUTES,
        value_paths={"memberOfGroups": (_GROUP_ATTRIBUTES, _member_of_groups)},
        extra=lambda name: custom.filter_attribute(custom_schema, name),
    )


@dataclass(frozen=True)
class AccountState:
    """PingOne's `account`: locked by an administrator, or through a password lockout."""

    status: str  # OK | LOCKED
    can_authenticate: bool
    locked_at: datetime | None = None
    unlock_at: datetime | None = None
    seconds_until_unlock: int | None = None


def account_state(user: User, record: UserPassword | None, now: datetime) -> AccountState:
    """An administrator's lock holds until unlocked or its `unlockAt`; a password locked by
    failed attempts shows as a locked account until its lockout ends (without `lockedAt`)."""
    admin_lock = user.account_status == "LOCKED" and (
        user.account_unlock_at is None or user.account_unlock_at > now
    )
    password_lock_end = (
        record.locked_until
        if record is not None and record.locked_until is not None and record.locked_until > now
        else None
    )
    if not admin_lock and password_lock_end is None:
        return AccountState("OK", can_authenticate=user.enabled)
    unlock_at = user.account_unlock_at if admin_lock else password_lock_end
    return AccountState(
        "LOCKED",
        can_authenticate=False,
        locked_at=user.account_locked_at if admin_lock else None,
        unlock_at=unlock_at,
        seconds_until_unlock=math.ceil((unlock_at - now).total_seconds()) if unlock_at else None,
    )


# --- reading -------------------------------------------------------------------------------


async def list_users(
    session: AsyncSession,
    environment_id: uuid.UUID,
    populations: Populations,
    *,
    filter_text: str | None,
    order: Order,
    limit: int,
    cursor: str | None,
) -> Page:
    stmt = sa.select(User).where(User.environment_id == environment_id, in_scope(populations))
    if filter_text:
        schema = await custom.load_schema(session, environment_id)
        stmt = stmt.where(scim_filter.compile_filter(filter_text, filter_schema(schema)))
    return await fetch_page(
        session, stmt, id_column=User.id, order=order, limit=limit, cursor=cursor
    )


async def get_user(
    session: AsyncSession, environment_id: uuid.UUID, user_id: uuid.UUID, populations: Populations
) -> User:
    user = await session.scalar(
        sa.select(User).where(
            User.id == user_id, User.environment_id == environment_id, in_scope(populations)
        )
    )
    if user is None:
        raise not_found()
    return user


async def password_records(
    session: AsyncSession, user_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, UserPassword]:
    """The password rows of some users, in one query (absent: no password)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = await session.scalars(sa.select(UserPassword).where(UserPassword.user_id.in_(ids)))
    return {row.user_id: row for row in rows}


async def groups_of(session: AsyncSession, user_id: uuid.UUID) -> Sequence[tuple[uuid.UUID, str]]:
    """(id, name) of the groups the user is a direct member of, by name."""
    rows = await session.execute(
        sa.select(Group.id, Group.name)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .where(GroupMembership.user_id == user_id)
        .order_by(Group.name)
    )
    return list(rows.tuples())


# --- writing -------------------------------------------------------------------------------


async def create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    environment_id: uuid.UUID,
    data: UserCreate,
    populations: Populations,
) -> User:
    """POST /users (and import, when `data` is a `UserImport`). Everything is validated before
    the row is written, but the password (its policy depends on the user's profile) comes after:
    a refused password raises, and the request's unit of work drops the user with it."""
    population = await _population(session, environment_id, data.population, "population.id")
    if populations is not None and population.id not in populations:
        raise forbidden()
    await _ensure_unique_username(session, environment_id, data.username)
    schema = await custom.load_schema(session, environment_id)
    values = custom.merged_values(schema, data.custom_values(), {}, replace=True)
    await _ensure_unique_custom(session, environment_id, schema, values, values.keys())
    user = User(environment_id=environment_id, population_id=population.id, custom=values)
    _write_columns(user, data.model_dump(by_alias=True), replace=True)
    user.mfa_enabled = data.mfa_enabled
    if data.identity_provider is not None:
        user.identity_provider_type = data.identity_provider.type
        user.identity_provider_id = data.identity_provider.id
    if isinstance(data, UserImport):
        user.email_verified = data.email_verified
        if data.lifecycle is not None:
            user.lifecycle_status = data.lifecycle.status
    session.add(user)
    await _flush_user(session, user)
    if data.password is not None:
        await passwords.set_password(
            session, hasher, user, data.password.value, force_change=data.password.force_change
        )
    return user


async def replace_user(session: AsyncSession, user: User, data: UserReplace) -> User:
    """PUT: every attribute not given is cleared; the population cannot change here."""
    _ensure_same_population(user, data)
    await _ensure_username_free(session, user, data.username)
    schema = await custom.load_schema(session, user.environment_id)
    values = custom.merged_values(schema, data.custom_values(), user.custom, replace=True)
    await _ensure_unique_custom(
        session, user.environment_id, schema, values, values.keys(), user.id
    )
    _write_columns(user, data.model_dump(by_alias=True), replace=True)
    user.custom = values
    await _flush_user(session, user)
    return user


async def patch_user(session: AsyncSession, user: User, data: UserPatch) -> User:
    """PATCH: only the members given change; null clears one (or a whole `name`/`address`)."""
    given = data.model_dump(by_alias=True, exclude_unset=True)
    if "username" in given:
        if data.username is None:
            raise required_value("username")
        await _ensure_username_free(session, user, data.username)
    _ensure_same_population(user, data)
    schema = await custom.load_schema(session, user.environment_id)
    changes = data.custom_values()
    values = custom.merged_values(schema, changes, user.custom, replace=False)
    await _ensure_unique_custom(
        session, user.environment_id, schema, values, changes.keys(), user.id
    )
    _write_columns(user, given, replace=False)
    user.custom = values
    await _flush_user(session, user)
    return user


async def delete_user(session: AsyncSession, user: User) -> None:
    """The password row and group memberships go with the user (ON DELETE CASCADE); its role
    assignments are revoked (refused if it holds the last Organization Admin)."""
    await revoke_actor_roles(session, "USER", user.id)
    await session.delete(user)
    await session.flush()


async def set_enabled(session: AsyncSession, user: User, enabled: bool) -> User:
    user.enabled = enabled
    await session.flush()
    return user


async def set_mfa_enabled(session: AsyncSession, user: User, enabled: bool) -> User:
    user.mfa_enabled = enabled
    await session.flush()
    return user


async def move_user(
    session: AsyncSession, user: User, population_id: uuid.UUID, populations: Populations
) -> User:
    """PUT /users/{id}/population: the only way to change a user's population."""
    population = await _population(session, user.environment_id, population_id, "id")
    if populations is not None and population.id not in populations:
        raise forbidden()
    user.population_id = population.id
    await session.flush()
    return user


async def lock_account(session: AsyncSession, user: User, unlock_at: datetime | None) -> User:
    """An administrator locks the account, until `unlock_at` or until unlocked."""
    if unlock_at is not None and unlock_at <= clock.now():
        raise invalid_value("unlockAt", "unlockAt must be in the future")
    user.account_status = "LOCKED"
    user.account_locked_at = clock.now()
    user.account_unlock_at = unlock_at
    await session.flush()
    return user


async def unlock_account(session: AsyncSession, user: User) -> User:
    """Unlocks the account, including a password locked by failed attempts."""
    user.account_status = "OK"
    user.account_locked_at = None
    user.account_unlock_at = None
    await passwords.unlock_password(session, user)
    await session.flush()
    return user


# --- internals -----------------------------------------------------------------------------


async def _population(
    session: AsyncSession, environment_id: uuid.UUID, wanted: Any, target: str
) -> Population:
    """The population named (a `Ref`, an id, or None for the environment's default)."""
    if wanted is None:
        population = await session.scalar(
            sa.select(Population).where(
                Population.environment_id == environment_id, Population.default.is_(True)
            )
        )
        if population is None:
            raise invalid_value(target, "The environment has no default population")
        return population
    population_id = wanted if isinstance(wanted, uuid.UUID) else wanted.id
    population = await session.get(Population, population_id)
    if population is None or population.environment_id != environment_id:
        raise invalid_value(target, f"No population {population_id} in this environment")
    return population


def _ensure_same_population(user: User, data: UserAttributes) -> None:
    if data.population is not None and data.population.id != user.population_id:
        raise invalid_value(
            "population.id",
            "The population of a user changes only through PUT /users/{userId}/population",
        )


async def _ensure_unique_username(
    session: AsyncSession, environment_id: uuid.UUID, username: str, own_id: uuid.UUID | None = None
) -> None:
    clash = await session.scalar(
        sa.select(User.id).where(
            User.environment_id == environment_id, User.username_key == username_key(username)
        )
    )
    if clash is not None and clash != own_id:
        raise uniqueness_violation("username", f"A user named {username!r} already exists.", clash)


async def _ensure_username_free(session: AsyncSession, user: User, username: str) -> None:
    if username_key(username) != user.username_key:
        await _ensure_unique_username(session, user.environment_id, username, user.id)


async def _ensure_unique_custom(
    session: AsyncSession,
    environment_id: uuid.UUID,
    schema: Mapping[str, SchemaAttribute],
    values: Mapping[str, Any],
    names: Iterable[str],
    own_id: uuid.UUID | None = None,
) -> None:
    for name, value in custom.unique_attributes(schema, values, names):
        stmt = sa.select(User.id).where(
            User.environment_id == environment_id,
            sa.func.lower(User.custom[name].as_string()) == value.lower(),
        )
        if own_id is not None:
            stmt = stmt.where(User.id != own_id)
        clash = await session.scalar(stmt.limit(1))
        if clash is not None:
            raise uniqueness_violation(name, f"Another user already has this {name}.", clash)


def _write_columns(user: User, document: Mapping[str, Any], *, replace: bool) -> None:
    """Copy PingOne-shaped `document` onto the columns: all of them (`replace`, absent ones
    cleared) or only those present (a present null parent such as `name` clears its parts)."""
    for path, column in COLUMNS:
        present, value = _lookup(document, path)
        if present or replace:
            setattr(user, column, value)
    user.username_key = username_key(user.username)


def _lookup(document: Mapping[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    node: Any = document
    for key in path:
        if node is None:
            return True, None
        if key not in node:
            return False, None
        node = node[key]
    return True, node


async def _flush_user(session: AsyncSession, user: User) -> None:
    """Flush, turning a concurrent duplicate username (the unique constraint) into the PingOne
    error rather than a 500."""
    try:
        await session.flush()
    except IntegrityError:
        raise uniqueness_violation(
            "username", f"A user named {user.username!r} already exists."
        ) from None
