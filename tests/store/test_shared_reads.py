"""Environment rows are read by one query for every request waiting (store/shared_reads.py): a
request never takes rows from a query that began before it asked, a failed query fails only the
requests it was answering, and a request's own writes are seen by its own reads."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.environments.models import Environment
from gatehouse.store import config_cache
from gatehouse.store.db import create_engine
from gatehouse.store.shared_reads import SharedReads, Values
from tests.support.api import Api, Credentials
from tests.support.databases import executed_statements, statements_on

pytestmark = pytest.mark.anyio


class HeldReads(SharedReads):
    """Its first query's answer is held until `release` is set."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.first_read = asyncio.Event()
        self.release = asyncio.Event()

    async def _read(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Values]:
        found = await super()._read(ids)
        if not self.first_read.is_set():
            self.first_read.set()
            await self.release.wait()
        return found


class FailingOnce(SharedReads):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.failed = False

    async def _read(self, ids: list[uuid.UUID]) -> dict[uuid.UUID, Values]:
        if not self.failed:
            self.failed = True
            await asyncio.sleep(0.05)  # the others join this query
            raise RuntimeError("the database went away")
        return await super()._read(ids)


async def rename(app: Any, environment_id: uuid.UUID, description: str) -> None:
    async with app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            sa.update(Environment)
            .where(Environment.id == environment_id)
            .values(description=description)
        )


def reads_of(kind: type[SharedReads], app: Any) -> SharedReads:
    return kind(create_engine(app.state.runtime.settings, connections=1), Environment)


async def test_requests_waiting_together_share_one_query(app: Any, env: str) -> None:
    reads = reads_of(SharedReads, app)
    others = [uuid.uuid4() for _ in range(5)]
    try:
        with statements_on(reads.engine) as queries:
            found = await asyncio.gather(
                *(reads.row(uuid.UUID(env)) for _ in range(20)), *(reads.row(i) for i in others)
            )
        assert len(queries) <= 2  # the first request's query, then one for all the others
        assert all(values is not None and values["id"] == uuid.UUID(env) for values in found[:20])
        assert found[20:] == [None] * len(others)
    finally:
        await reads.close()


async def test_a_request_never_takes_the_answer_of_a_query_begun_before_it_asked(
    app: Any, env: str
) -> None:
    reads = reads_of(HeldReads, app)
    assert isinstance(reads, HeldReads)
    environment_id = uuid.UUID(env)
    await rename(app, environment_id, "before")
    try:
        early = asyncio.create_task(reads.row(environment_id))
        await reads.first_read.wait()  # its query has run: it saw "before"
        await rename(app, environment_id, "after")
        late = asyncio.create_task(reads.row(environment_id))
        await asyncio.sleep(0.05)
        reads.release.set()
        early_values, late_values = await early, await late
        assert early_values is not None and early_values["description"] == "before"
        assert late_values is not None and late_values["description"] == "after"
    finally:
        await reads.close()


async def test_a_failed_query_fails_its_requests_only(app: Any, env: str) -> None:
    reads = reads_of(FailingOnce, app)
    environment_id = uuid.UUID(env)
    try:
        failing = [asyncio.create_task(reads.row(environment_id)) for _ in range(2)]
        await asyncio.sleep(0.01)  # their query has begun
        later = asyncio.create_task(reads.row(environment_id))
        for task in failing:
            with pytest.raises(RuntimeError, match="went away"):
                await task
        values = await later
        assert values is not None and values["id"] == environment_id
    finally:
        await reads.close()


async def test_a_cancelled_request_leaves_the_others_their_answer(app: Any, env: str) -> None:
    reads = reads_of(HeldReads, app)
    assert isinstance(reads, HeldReads)
    environment_id = uuid.UUID(env)
    try:
        leaving = asyncio.create_task(reads.row(environment_id))
        staying = asyncio.create_task(reads.row(environment_id))
        await reads.first_read.wait()
        leaving.cancel()
        reads.release.set()
        values = await staying
        assert values is not None and values["id"] == environment_id
        assert leaving.cancelled()
    finally:
        await reads.close()


async def test_a_cached_token_request_issues_no_statement_of_its_own(
    app: Any, admin: Api, credentials: Credentials
) -> None:
    await admin.token_for(
        credentials.environment_id, credentials.client_id, credentials.client_secret
    )
    with executed_statements(app) as statements:
        await admin.token_for(
            credentials.environment_id, credentials.client_id, credentials.client_secret
        )
    assert statements == []


async def test_a_session_that_changed_configuration_reads_its_own_environment_row(
    app: Any, env: str
) -> None:
    environment_id = uuid.UUID(env)
    committed = await app.state.runtime.environments.row(environment_id)
    assert committed is not None
    async with app.state.runtime.sessions() as session:
        await config_cache.every_environment_changed(session)
        environment = await config_cache.environment_of(session, environment_id)
        assert environment.config_version == committed["config_version"] + 1
        await session.rollback()
