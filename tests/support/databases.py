"""Test databases: a SQLite file, or a fresh PostgreSQL database, per test module."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str | None:
    """The PostgreSQL server tests may use: GATEHOUSE_TEST_DATABASE_URL, else the local default
    when it answers. In CI a missing server is an error, never a silent skip."""
    url = os.environ.get("GATEHOUSE_TEST_DATABASE_URL") or DEFAULT_POSTGRES
    if _answers(url):
        return url
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI must run the suite on PostgreSQL too, but {url} does not answer")
    return None


def _answers(url: str) -> bool:
    import asyncpg

    async def probe() -> bool:
        try:
            connection = await asyncpg.connect(url, timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


async def create_postgres_database(base_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"gatehouse_test_{secrets.token_hex(6)}"
    connection = await asyncpg.connect(base_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return base_url.rsplit("/", 1)[0] + f"/{name}", name


async def drop_postgres_database(base_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(base_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'gatehouse.db'}"


@contextmanager
def executed_statements(app: Any) -> Iterator[list[str]]:
    """The SQL statements the app's engine executes inside the block, in order."""
    with statements_on(app.state.runtime.engine) as statements:
        yield statements


@contextmanager
def statements_on(*engines: Any) -> Iterator[list[str]]:
    """The SQL statements these (async) engines execute inside the block, in order."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    for engine in engines:
        sa.event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            sa.event.remove(engine.sync_engine, "before_cursor_execute", record)
