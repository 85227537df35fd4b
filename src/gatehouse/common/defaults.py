"""Resources of which an environment has exactly one default (populations, password policies,
sign-on policies, MFA policies): making one the default unsets the previous one, and the default can
neither stop being one nor be deleted; another must take its place first."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.errors import invalid_value, request_failed


class HasDefault(Protocol):
    id: uuid.UUID
    environment_id: uuid.UUID
    default: bool


async def make_default(session: AsyncSession, row: HasDefault) -> None:
    """`row` becomes its environment's default; the previous default stops being one."""
    model: Any = type(row)
    await session.execute(
        sa.update(model)
        .where(
            model.environment_id == row.environment_id,
            model.id != row.id,
            model.default.is_(True),
        )
        .values(default=False)
        .execution_options(synchronize_session="fetch")
    )
    row.default = True
    await session.flush()


async def apply_default(
    session: AsyncSession, row: HasDefault, requested: bool | None, noun: str
) -> None:
    """An update's `default`: true makes `row` the default, left out keeps its standing, and
    false is refused on the default (an environment always has one)."""
    if row.default and requested is False:
        raise invalid_value(
            "default",
            f"An environment always has a default {noun}: make another {noun} the default instead.",
        )
    if requested and not row.default:
        await make_default(session, row)


def refuse_deleting_default(row: HasDefault, noun: str) -> None:
    if row.default:
        raise request_failed(
            f"The default {noun} cannot be deleted: make another {noun} the default first."
        )
