"""A transaction keeps the rows it loaded (store/db.py): a row the code no longer holds is not read
again by session.get, and nothing is kept once the transaction ends."""

from __future__ import annotations

import gc
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.environments.models import Environment
from gatehouse.store import rows
from gatehouse.store.db import LOADED
from tests.support.api import Credentials
from tests.support.databases import executed_statements

pytestmark = pytest.mark.anyio


async def test_a_dropped_row_is_not_read_again(app: Any, credentials: Credentials) -> None:
    runtime = app.state.runtime
    environment_id = uuid.UUID(credentials.environment_id)
    with executed_statements(app) as statements:
        async with runtime.sessions() as session, session.begin():
            found = await session.scalar(
                sa.select(Environment).where(Environment.id == environment_id)
            )
            assert found is not None
            del found
            gc.collect()
            statements.clear()
            again = await session.get(Environment, environment_id)
            assert again is not None and again.id == environment_id
            assert statements == []
        assert LOADED not in session.info


async def test_a_row_read_by_primary_key_is_a_loaded_instance_of_the_session(
    app: Any, credentials: Credentials
) -> None:
    runtime = app.state.runtime
    environment_id = uuid.UUID(credentials.environment_id)
    with executed_statements(app) as statements:
        async with runtime.sessions() as session, session.begin():
            assert await rows.get(session, Environment, uuid.uuid4()) is None
            found = await rows.get(session, Environment, environment_id)
            assert found is not None and found.id == environment_id
            assert len(statements) == 2
            del found
            gc.collect()
            again = await session.get(Environment, environment_id)
            assert (
                again is not None and await rows.get(session, Environment, environment_id) is again
            )
            assert len(statements) == 2  # both found it in the identity map
            again.description = "changed through a row read by primary key"
        async with runtime.sessions() as session:
            stored = await session.get(Environment, environment_id)
            assert stored is not None
            assert stored.description == "changed through a row read by primary key"
