"""store/sqlite_driver.py: SQLite statements in one call to aiosqlite's thread (a SELECT on the
event loop's, unless it runs long), with the results, counts, errors and transactions of
SQLAlchemy's own aiosqlite dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.settings import Settings
from gatehouse.store.db import create_engine
from gatehouse.store.sqlite_driver import GatehouseSQLiteDialect

pytestmark = pytest.mark.anyio

ITEMS = sa.table("items", sa.column("id", sa.Integer), sa.column("name", sa.Text))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/db", data_dir=tmp_path)
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
        )
    yield engine
    await engine.dispose()


@pytest.fixture
def thread_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_sqlite_urls_use_it(engine: AsyncEngine) -> None:
    assert isinstance(engine.dialect, GatehouseSQLiteDialect)
    assert engine.dialect.name == "sqlite"


async def test_rows_counts_and_ids(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        inserted = await connection.execute(ITEMS.insert().values(name="a"))
        assert inserted.rowcount == 1
        assert inserted.lastrowid == 1
        many = await connection.execute(ITEMS.insert(), [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2
        rows = (await connection.execute(sa.select(ITEMS).order_by(ITEMS.c.id))).all()
        assert [tuple(row) for row in rows] == [(1, "a"), (2, "b"), (3, "c")]
        updated = await connection.execute(
            ITEMS.update().where(ITEMS.c.name == "b").values(name="B")
        )
        assert updated.rowcount == 1
        none = await connection.execute(ITEMS.delete().where(ITEMS.c.name == "zz"))
        assert none.rowcount == 0


async def test_errors_and_rollback(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(ITEMS.insert().values(name="kept"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(ITEMS.insert().values(name="undone"))
            await connection.execute(ITEMS.insert().values(name="kept"))
    async with engine.connect() as connection:
        names = (await connection.execute(sa.select(ITEMS.c.name))).scalars().all()
    assert names == ["kept"]


async def test_one_thread_call_per_statement_and_none_for_a_select(
    engine: AsyncEngine, thread_calls: list[Any]
) -> None:
    async with engine.connect() as connection:  # the pool's first connect is not counted
        await connection.execute(sa.select(1))
    thread_calls.clear()
    async with engine.begin() as connection:
        await connection.execute(sa.select(ITEMS).where(ITEMS.c.id == 1))
    # the SELECT ran on the loop; no transaction was opened, so no commit, and no rollback on
    # return to the pool
    assert thread_calls == []
    async with engine.begin() as connection:
        await connection.execute(ITEMS.insert().values(name="x"))
    assert len(thread_calls) == 2  # the INSERT and its COMMIT


async def test_a_savepoint_opening_the_transaction_rolls_back_with_it(
    engine: AsyncEngine,
) -> None:
    # sqlite3 begins a transaction before INSERT/UPDATE/DELETE, not before SAVEPOINT: a savepoint
    # that is a transaction's first statement, once released, would have committed already.
    with pytest.raises(RuntimeError):
        async with engine.connect() as connection, connection.begin():
            async with connection.begin_nested():
                await connection.execute(ITEMS.insert().values(id=1, name="first"))
            await connection.execute(ITEMS.insert().values(id=2, name="second"))
            raise RuntimeError("roll back")
    async with engine.connect() as connection:
        assert (
            await connection.execute(sa.select(sa.func.count()).select_from(ITEMS))
        ).scalar() == 0


async def test_the_pool_settings_size_the_sqlite_pool(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/db",
        data_dir=tmp_path,
        db_pool_size=7,
        db_max_overflow=3,
    )
    engine = create_engine(settings)
    try:
        pool = engine.sync_engine.pool
        assert isinstance(pool, sa.pool.QueuePool)
        assert (pool.size(), pool._max_overflow) == (7, 3)
    finally:
        await engine.dispose()


COUNT_TO_100_000 = sa.text(
    "SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)"
    " SELECT count(*) FROM c)"
)


async def test_a_select_that_runs_long_is_run_again_on_the_thread(
    engine: AsyncEngine, thread_calls: list[Any]
) -> None:
    async with engine.connect() as connection:
        await connection.execute(sa.select(1))
        thread_calls.clear()
        assert (await connection.execute(COUNT_TO_100_000)).scalar() == 100_000
    assert len(thread_calls) == 1  # interrupted on the loop after 2 ms, then the whole of it


async def test_an_interrupted_select_leaves_its_transaction_open(
    engine: AsyncEngine, thread_calls: list[Any]
) -> None:
    items_and_count = sa.text(
        "SELECT (SELECT count(*) FROM items),"
        " (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)"
        " SELECT count(*) FROM c)"
    )
    async with engine.begin() as connection:
        await connection.execute(ITEMS.insert().values(name="before"))
        thread_calls.clear()
        seen = (await connection.execute(items_and_count)).one()
        assert tuple(seen) == (1, 100_000)  # it saw the transaction's own write
        assert len(thread_calls) == 1  # interrupted on the loop, run on the thread
        await connection.execute(ITEMS.insert().values(name="after"))
    async with engine.connect() as connection:
        names = (await connection.execute(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))).all()
    assert [name for (name,) in names] == ["before", "after"]
