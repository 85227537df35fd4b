"""`session.get` for the rows hot paths read by primary key, at about two thirds of its cost.

The ORM's load of one row (identity look-up, query compilation, loading events) costs more than
the query itself; here it is one cached Core SELECT whose row becomes a loaded instance of the
session, the same as `session.get` would have made it: later `session.get` calls find it in the
identity map, and a change to it is flushed as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict

T = TypeVar("T")

# session.info: the rows a transaction loaded, held until it ends (see store/db.py)
LOADED = "gatehouse.loaded"


async def get(session: AsyncSession, model: type[T], primary_key: Any) -> T | None:
    instance = held(session, model, primary_key)
    if instance is not None:
        return instance
    connection = await session.connection()
    row = (await connection.execute(_select_by_id(model), {"id": primary_key})).first()
    return None if row is None else loaded(session, model, row._mapping)


def held(session: AsyncSession, model: type[T], primary_key: Any) -> T | None:
    """The session's instance of the row, if its identity map has it."""
    key = sa.inspect(model).identity_key_from_primary_key((primary_key,))
    return session.sync_session.identity_map.get(key)  # type: ignore[no-any-return]


def loaded(session: AsyncSession, model: type[T], values: Mapping[str, Any]) -> T:
    """A row read by some query (`values` by attribute name) as a loaded instance of the session,
    held until its transaction ends."""
    instance = detached(model, values)
    session.add(instance)  # detached, unchanged: it becomes persistent, with nothing to flush
    session.info.setdefault(LOADED, []).append(instance)
    return instance


def detached(model: type[T], values: Mapping[str, Any]) -> T:
    """An instance of `model` whose attributes hold `values` (by attribute name) as loaded,
    unchanged state, as a query leaves them, with its identity and no session."""
    instance = sa.inspect(model).class_manager.new_instance()
    instance_dict(instance).update(values)  # what the ORM's own loading does
    make_transient_to_detached(instance)
    return instance  # type: ignore[no-any-return]


@cache
def _select_by_id(model: type[Any]) -> sa.Select[Any]:
    """Every column of the model, labelled by attribute name, of the row whose id is :id."""
    return sa.select(*labelled_columns(model)).where(
        primary_key_column(model) == sa.bindparam("id")
    )


@cache
def labelled_columns(model: type[Any]) -> tuple[sa.ColumnElement[Any], ...]:
    """The model's columns, each labelled by its attribute name (what `detached` takes)."""
    mapper = sa.inspect(model)
    table = mapper.local_table
    return tuple(
        table.c[attribute.columns[0].name].label(attribute.key) for attribute in mapper.column_attrs
    )


def primary_key_column(model: type[Any]) -> sa.Column[Any]:
    """The column of the model's primary key (one column: every model's `id`)."""
    (column,) = sa.inspect(model).primary_key
    return column  # type: ignore[no-any-return]
