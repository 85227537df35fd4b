"""Rows by primary key read for every request at once: one query answers all that are waiting.

Every request reads its environment's row (the configuration versions that say whether cached
configuration still holds). Read by each request in its own transaction, that one statement was a
third of a cached token request's CPU (a pool checkout, a round trip, on PostgreSQL a BEGIN and a
COMMIT). Here requests that want rows of the table wait together, and one query on a connection
of its own reads them all.

A request never takes rows from a query that began before it asked: what was committed before
the request reached the server is in what it is given, as if it had read the row itself. While a
query runs, the requests arriving wait for the next one, which begins when it ends.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.store import rows

Values = Mapping[str, Any]


class SharedReads:
    """Rows of `model` by id, read by one query for every request waiting when it begins."""

    def __init__(self, engine: AsyncEngine, model: type[Any]) -> None:
        self._engine = engine
        self._model = model
        self._waiting: dict[uuid.UUID, list[asyncio.Future[Values | None]]] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def row(self, row_id: uuid.UUID) -> Values | None:
        """The row's column values (by attribute name) as committed when this was called, or
        None if there is no such row. Values are shared with the other requests: never change
        them."""
        answer: asyncio.Future[Values | None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(row_id, []).append(answer)
        if self._reader is None:
            self._reader = asyncio.create_task(self._read_while_waited())
        return await answer

    async def _read_while_waited(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, {}
                try:
                    found = await self._read(list(batch))
                except Exception as error:  # every request of the batch fails as its own read would
                    _answer(batch, error=error)
                except BaseException:
                    _answer(batch)
                    raise
                else:
                    _answer(batch, found=found)
        finally:
            self._reader = None
            _answer(self._waiting)
            self._waiting = {}

    async def _read(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Values]:
        statement = sa.select(*rows.labelled_columns(self._model)).where(
            rows.primary_key_column(self._model).in_(ids)
        )
        async with self._engine.connect() as connection:
            result = await connection.execute(statement)
            return {row.id: row._mapping for row in result}

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._engine.dispose()


def _answer(
    batch: dict[uuid.UUID, list[asyncio.Future[Values | None]]],
    *,
    found: dict[uuid.UUID, Values] | None = None,
    error: Exception | None = None,
) -> None:
    """Give each waiting request its row, or the error; with neither, the read was cancelled."""
    for row_id, answers in batch.items():
        for answer in answers:
            if answer.done():  # its request was cancelled
                continue
            if error is not None:
                answer.set_exception(error)
            elif found is None:
                answer.cancel()
            else:
                answer.set_result(found.get(row_id))
