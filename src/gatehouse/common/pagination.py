"""Cursor pagination (keyset on an order column plus id) and the `order` parameter."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.clock import as_utc
from gatehouse.common.errors import Detail, Problem

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Order:
    column: Any  # a mapped column: never nullable, so keyset comparisons are total
    descending: bool = False


def parse_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise Problem(
            400,
            "INVALID_DATA",
            "The request could not be completed. One or more validation errors were in the request.",
            [
                Detail(
                    "OUT_OF_RANGE",
                    f"limit must be between 1 and {MAX_LIMIT}",
                    "limit",
                    {"rangeMinimumValue": 1, "rangeMaximumValue": MAX_LIMIT},
                )
            ],
        )
    return limit


def parse_order(order: str | None, columns: Mapping[str, Any], default: Order) -> Order:
    if not order:
        return default
    descending = order.startswith("-")
    name = order.lstrip("-+")
    lookup = {key.lower(): column for key, column in columns.items()}
    if name.lower() not in lookup:
        raise Problem(
            400,
            "INVALID_DATA",
            "The request could not be completed. One or more validation errors were in the request.",
            [
                Detail(
                    "INVALID_VALUE",
                    f"Cannot order by {name}",
                    "order",
                    {"allowedValues": sorted(columns)},
                )
            ],
        )
    return Order(lookup[name.lower()], descending)


@dataclass
class Page:
    items: Sequence[Any]
    count: int
    next_cursor: str | None


async def fetch_page(
    session: AsyncSession,
    stmt: sa.Select[Any],
    *,
    id_column: Any,
    order: Order,
    limit: int,
    cursor: str | None,
) -> Page:
    """One page of `stmt` (already filtered) in `order`, after `cursor`, and the total count."""
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    if cursor:
        last_value, last_id = _decode_cursor(cursor, _value_type(order.column))
        stmt = stmt.where(_after(order, id_column, last_value, last_id))
    if order.descending:
        stmt = stmt.order_by(order.column.desc(), id_column.desc())
    else:
        stmt = stmt.order_by(order.column.asc(), id_column.asc())
    rows = list((await session.scalars(stmt.limit(limit + 1))).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(getattr(last, order.column.key), last.id)
    return Page(rows, count or 0, next_cursor)


def _after(order: Order, id_column: Any, last_value: Any, last_id: Any) -> Any:
    """Rows strictly after (value, id) in the page order."""
    if order.descending:
        return sa.or_(
            order.column < last_value, sa.and_(order.column == last_value, id_column < last_id)
        )
    return sa.or_(
        order.column > last_value, sa.and_(order.column == last_value, id_column > last_id)
    )


def _encode_cursor(value: Any, row_id: uuid.UUID) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = orjson.dumps([value, str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _value_type(column: Any) -> type:
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    return kind.python_type


def _decode_cursor(cursor: str, expected: type) -> tuple[Any, uuid.UUID]:
    """The (order value, id) a cursor carries; the value must be of the order column's type."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = orjson.loads(raw)
        if isinstance(value, dict):
            value = as_utc(datetime.fromisoformat(value["t"]))
        if not isinstance(value, expected) or (isinstance(value, str) and "\x00" in value):
            raise TypeError(value)
        return value, uuid.UUID(row_id)
    except (ValueError, TypeError, KeyError, OverflowError, orjson.JSONDecodeError):
        raise Problem(
            400,
            "INVALID_DATA",
            "The request could not be completed. One or more validation errors were in the request.",
            [Detail("INVALID_VALUE", "The cursor is not valid.", "cursor")],
        ) from None
