"""Configuration cached per process, kept right across nodes by a version per environment.

`environments.config_version` goes up in the same transaction as any write to a table of
configuration (TRACKED: applications and their secrets, grants and mappings, resources, scopes and
attributes, signing keys, sign-on policies, custom user attributes, populations, password policies
and role assignments): the session hooks below see every ORM change and every bulk
INSERT/UPDATE/DELETE on those tables, whatever code or node makes it. A cache entry belongs to the version it was read at;
every request reads its environment row anyway, so an entry is used only while the row still
carries that version, and a change committed on any node is seen by every node on its next request
(no TTL, no messages between nodes). Concurrent requests read their environment rows together, by
one query that begins after each of them asked (store/shared_reads.py).

A session that has changed configuration neither reads nor fills the cache: what it sees may yet be
rolled back.

Answers about revoked access tokens are cached the same way under a second counter,
`environments.revocation_version`, which `revocations_changed` bumps with every revocation: a
revocation does not throw the configuration away, and a configuration change keeps the answers.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from gatehouse.store import rows
from gatehouse.store.shared_reads import SharedReads

T = TypeVar("T")


@dataclass(frozen=True)
class Owner:
    """How a row of a tracked table names its environment: `column` is the environment id, or
    the id of a row of `parent`, whose environment_id it is."""

    column: str
    parent: str | None = None


TRACKED: dict[str, Owner] = {
    "applications": Owner("environment_id"),
    "application_secrets": Owner("application_id", "applications"),
    "application_grants": Owner("environment_id"),
    "application_grant_scopes": Owner("grant_id", "application_grants"),
    "application_attribute_mappings": Owner("environment_id"),
    "resources": Owner("environment_id"),
    "resource_scopes": Owner("environment_id"),
    "resource_attributes": Owner("environment_id"),
    "signing_keys": Owner("environment_id"),
    "sign_on_policies": Owner("environment_id"),
    "sign_on_policy_actions": Owner("environment_id"),
    "sign_on_policy_assignments": Owner("environment_id"),
    "schema_attributes": Owner("environment_id"),
    "populations": Owner("environment_id"),
    "password_policies": Owner("environment_id"),
    "role_assignments": Owner("environment_id"),  # the actor's environment
}
# Columns written on hot paths that no cache holds: changing only these is not a change.
UNCACHED_COLUMNS: dict[str, set[str]] = {"application_secrets": {"last_used_at"}}

CONFIG = "config_version"
REVOCATIONS = "revocation_version"
CHANGED = {CONFIG: "gatehouse.config_changed", REVOCATIONS: "gatehouse.revocations_changed"}
HELD = "gatehouse.environments"
# session.info: the SharedReads of environment rows (store/db.session_factory)
ENVIRONMENT_READS = "gatehouse.environment_reads"
MAX_ENVIRONMENTS = 1024
MAX_ENTRIES_PER_ENVIRONMENT = 4096


# --- writing: bump the version in the writer's transaction ---------------------------------------


def _tables() -> dict[str, sa.Table]:
    from gatehouse.store.models import Base

    return dict(Base.metadata.tables)


def _environment_ids(table: str, owners: Any) -> Any:
    """A SELECT of the environment ids that `owners` (a SELECT of the owner column) name."""
    owner = TRACKED[table]
    if owner.parent is None:
        return owners
    parent = _tables()[owner.parent]
    return sa.select(parent.c.environment_id).where(parent.c.id.in_(owners))


def _bumped(counter: str, environment_ids: Any = None) -> sa.Update:
    """Add 1 to `counter` of these environments (a list or a SELECT of ids; None: all of them)."""
    environments = _tables()["environments"]
    # the environment itself did not change: its updatedAt stays
    statement = sa.update(environments).values(
        {counter: environments.c[counter] + 1, "updated_at": environments.c.updated_at}
    )
    if environment_ids is None:
        return statement
    return statement.where(environments.c.id.in_(environment_ids))


def _bump(connection: sa.Connection | Session, environment_ids: Any) -> None:
    connection.execute(_bumped(CONFIG, environment_ids))


def _changes_cached_columns(instance: Any, table: str) -> bool:
    ignored = UNCACHED_COLUMNS.get(table, set())
    state = sa.inspect(instance)
    return any(
        attribute.key not in ignored and attribute.history.has_changes()
        for attribute in state.attrs
    )


def _changed_rows(session: Session) -> dict[str, set[uuid.UUID]]:
    """Owner column values of the tracked rows this flush writes, by table."""
    found: dict[str, set[uuid.UUID]] = {}
    for instance, must_change in (
        *((i, False) for i in session.new),
        *((i, False) for i in session.deleted),
        *((i, True) for i in session.dirty),
    ):
        table = getattr(instance, "__tablename__", None)
        if table not in TRACKED:
            continue
        if must_change and not _changes_cached_columns(instance, table):
            continue
        value = getattr(instance, TRACKED[table].column, None)
        if value is not None:  # None: the row cannot be written (the column is NOT NULL)
            found.setdefault(table, set()).add(value)
    return found


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    # Before the flush: a deleted row's parent (a secret's application) still exists.
    for table, values in _changed_rows(session).items():
        _bump(session.connection(), _environment_ids(table, list(values)))
        session.info[CHANGED[CONFIG]] = True


@event.listens_for(Session, "do_orm_execute")
def _before_bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if not isinstance(table, sa.Table) or table.name not in TRACKED:
        return
    column = table.c[TRACKED[table.name].column]
    if state.is_insert:
        owners: Any = _inserted_values(state, column.key)
    else:
        owners = sa.select(column).where(*_where(state.statement))
    _bump(state.session.connection(), _environment_ids(table.name, owners))
    state.session.info[CHANGED[CONFIG]] = True


def _inserted_values(state: ORMExecuteState, key: str) -> list[Any]:
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters or {}]
    inline = state.statement.compile().params
    return [value for row in (*rows, inline) if (value := row.get(key)) is not None]


def _where(statement: Any) -> list[Any]:
    clause = statement.whereclause
    return [] if clause is None else [clause]


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        for flag in CHANGED.values():
            session.info.pop(flag, None)
        session.info.pop(HELD, None)


async def every_environment_changed(session: AsyncSession) -> None:
    """Configuration that no environment owns changed (the built-in roles' permissions, which
    cached role assignments carry): every environment's cached configuration is dropped."""
    await session.execute(_bumped(CONFIG))
    session.info[CHANGED[CONFIG]] = True


async def revocations_changed(session: AsyncSession, environment_ids: Any) -> None:
    """Access tokens of these environments (a list, or a SELECT of their ids) are being revoked
    in this transaction: cached answers about revocations stop holding when it commits."""
    await session.execute(_bumped(REVOCATIONS, environment_ids))
    session.info[CHANGED[REVOCATIONS]] = True


# --- reading: entries of the version the request sees --------------------------------------------


@dataclass
class _Entries:
    version: int
    values: dict[Hashable, Any] = field(default_factory=dict)


# by environment and counter (CONFIG or REVOCATIONS)
_cache: OrderedDict[tuple[uuid.UUID, str], _Entries] = OrderedDict()


async def cached(
    session: AsyncSession,
    environment_id: uuid.UUID,
    key: Hashable,
    load: Callable[[], Awaitable[T]],
    *,
    counter: str = CONFIG,
) -> T:
    """The value `load` reads for `key` in the environment, read once per version of `counter`
    (the configuration's, or REVOCATIONS for answers about revoked tokens). Cached values are
    shared by every request of the process: never change them."""
    version = await _version(session, environment_id, counter)
    if version is None or session.info.get(CHANGED[counter]):
        return await load()
    slot = (environment_id, counter)
    entries = _cache.get(slot)
    if entries is not None and entries.version == version and key in entries.values:
        _cache.move_to_end(slot)
        return entries.values[key]  # type: ignore[no-any-return]
    value = await load()
    if not session.info.get(CHANGED[counter]):
        _store(slot, version, key, value)
    return value


async def environment_of(session: AsyncSession, environment_id: uuid.UUID) -> Any:
    """The environment row (None if there is none), read once per transaction: the session holds
    it, so later `session.get(Environment, ...)` calls are identity-map look-ups."""
    held = session.info.setdefault(HELD, {})
    if environment_id not in held:
        held[environment_id] = await _read_environment(session, environment_id)
    return held[environment_id]


async def _read_environment(session: AsyncSession, environment_id: uuid.UUID) -> Any:
    """Through the session's shared reads (store/shared_reads.py) unless the session has the row
    already or has written configuration: it must see its own writes."""
    from gatehouse.environments.models import Environment

    reads: SharedReads | None = session.info.get(ENVIRONMENT_READS)
    if reads is None or any(session.info.get(flag) for flag in CHANGED.values()):
        return await rows.get(session, Environment, environment_id)
    instance = rows.held(session, Environment, environment_id)
    if instance is not None:
        return instance
    values = await reads.row(environment_id)
    if values is None:
        return None
    return rows.loaded(session, Environment, _own_copy(values))


async def _version(session: AsyncSession, environment_id: uuid.UUID, counter: str) -> int | None:
    environment = await environment_of(session, environment_id)
    return None if environment is None else int(getattr(environment, counter))


def _store(slot: tuple[uuid.UUID, str], version: int, key: Hashable, value: Any) -> None:
    entries = _cache.get(slot)
    if entries is None or entries.version != version:
        # an older reader must not replace a newer version's entries
        if entries is not None and entries.version > version:
            return
        entries = _cache[slot] = _Entries(version)
    if len(entries.values) >= MAX_ENTRIES_PER_ENVIRONMENT:
        entries.values.clear()
    entries.values[key] = value
    _cache.move_to_end(slot)
    while len(_cache) > 2 * MAX_ENVIRONMENTS:
        _cache.popitem(last=False)


def clear() -> None:
    """Forget every entry (tests that compare cached and uncached reads)."""
    _cache.clear()


def detached_copy(row: T) -> T:
    """A copy of an ORM row that belongs to no session, for a cache: a session's own instances
    expire when it rolls back. Its column values are copied (JSON deeply), so it shares nothing."""
    model = type(row)
    return rows.detached(model, _own_copy({key: getattr(row, key) for key in _column_keys(model)}))


def _own_copy(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: copied_json(value) for key, value in values.items()}


def copied_json(value: T) -> T:
    """A copy of a value decoded from JSON that shares no list or dict with it (a quarter of
    copy.deepcopy's cost: JSON has no cycles or shared parts to remember); other values as they
    are, being immutable."""
    if isinstance(value, dict):
        return {key: copied_json(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [copied_json(item) for item in value]  # type: ignore[return-value]
    return value


@cache
def _column_keys(model: type[Any]) -> tuple[str, ...]:
    return tuple(attribute.key for attribute in sa.inspect(model).column_attrs)


def attached(session: AsyncSession, copy: T) -> T:
    """The session's instance of a cached row, without a query: the one it holds already (with
    whatever the request changed in it), else a fresh copy of the cached one, so a change the
    request makes (even inside a JSON value) stays its own."""
    held = session.sync_session.identity_map.get(sa.inspect(copy).key)
    if held is not None:
        return held  # type: ignore[no-any-return]
    own = detached_copy(copy)
    session.add(own)  # detached, unchanged: it becomes persistent, with nothing to flush
    return own
