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
    mapper = sa.inspect(model)
    held = session.sync_session.identity_map.get(
        mapper.identity_key_from_primary_key((primary_key,))
    )
    if held is not None:
        return held  # type: ignore[no-any-return]
    connection = await session.connection()
    row = (await connection.execute(_select_by_id(model), {"id": primary_key})).first()
    if row is None:
        return None
    instance = detached(model, row._mapping)
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
    mapper = sa.inspect(model)
    table = mapper.local_table
    columns = [
        table.c[attribute.columns[0].name].label(attribute.key) for attribute in mapper.column_attrs
    ]
    return sa.select(*columns).where(table.c.id == sa.bindparam("id"))
