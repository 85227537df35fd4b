"""Engine, sessions and the unit of work: one transaction per request, all or nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from gatehouse.settings import Settings
from gatehouse.store import config_cache  # its session hooks version configuration
from gatehouse.store.rows import LOADED
from gatehouse.store.shared_reads import SharedReads
from gatehouse.store.sqlite_driver import DRIVER_NAME as SQLITE_DRIVER


def async_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite://` URLs; use the async drivers."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def sync_url(url: str) -> str:
    """The same database through a synchronous driver-free URL, for Alembic's offline use."""
    return async_url(url)


def is_sqlite(url: str) -> bool:
    return async_url(url).startswith("sqlite")


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _fewer_thread_calls(url: str) -> sa.URL:
    """aiosqlite through store/sqlite_driver.py (one call to its thread per statement)."""
    parsed = sa.make_url(url)
    if parsed.drivername != "sqlite+aiosqlite":
        return parsed
    return parsed.set(drivername=SQLITE_DRIVER)


def create_engine(settings: Settings, *, connections: int | None = None) -> AsyncEngine:
    """The engine of the settings' database; with `connections`, a pool of exactly that many
    (instead of the pool settings)."""
    url = async_url(settings.database_url)
    # A connection beyond pool_size is closed when it is given back: under more concurrent
    # requests than that, each one would open a connection (and, with aiosqlite, a thread).
    pool = {
        "pool_size": settings.db_pool_size if connections is None else connections,
        "max_overflow": settings.db_max_overflow if connections is None else 0,
        "pool_timeout": settings.db_pool_timeout,
    }
    if is_sqlite(url):
        engine = create_async_engine(_fewer_thread_calls(url), echo=settings.db_echo, **pool)
        sa.event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_async_engine(
        url, echo=settings.db_echo, pool_pre_ping=settings.db_pool_pre_ping, **pool
    )


@sa.event.listens_for(Session, "loaded_as_persistent")
def _hold_loaded(session: Session, instance: object) -> None:
    """A row a transaction loaded stays in its identity map until the transaction ends. The map
    holds unchanged rows weakly, so a row no code held (a flow's user after a flush) was garbage
    collected and read again by the next `session.get`: a login read its user four times."""
    session.info.setdefault(LOADED, []).append(instance)


@sa.event.listens_for(Session, "after_transaction_end")
def _release_loaded(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(LOADED, None)


def session_factory(
    engine: AsyncEngine, environments: SharedReads | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions of the engine; with `environments`, they read environment rows through it
    (`config_cache.environment_of`)."""
    info = {} if environments is None else {config_cache.ENVIRONMENT_READS: environments}
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True, info=info)


async def unit_of_work(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Yield a session inside a transaction; commit when the work succeeds, else roll back."""
    async with factory() as session, session.begin():
        yield session


# The same unit of work as a context manager, for the hot endpoints that open it themselves
# instead of through a FastAPI dependency (which costs a token request about 5% of its CPU).
transaction = asynccontextmanager(unit_of_work)
