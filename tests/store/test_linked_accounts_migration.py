"""Migration e3e59c277b46 (unique linked account per identity provider and user): a database
where a user is linked more than once to one provider, as racing sign-ons could leave it, keeps
the oldest link (by created_at, then id) of each and upgrades."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from gatehouse.federation.models import LinkedAccount
from gatehouse.store import migrate
from gatehouse.store.migrate import alembic_config
from tests.federation.conftest import create_provider
from tests.signon.support import user
from tests.support.api import Api

pytestmark = pytest.mark.anyio

PREVIOUS = "ba14538de983"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def test_the_upgrade_keeps_the_oldest_link_of_each_user_and_provider(
    app: Any, admin: Api, env: str
) -> None:
    engine = app.state.runtime.engine
    provider = await create_provider(
        admin,
        env,
        {"type": "FACEBOOK", "name": "Facebook", "enabled": True, "appId": "1", "appSecret": "s"},
    )
    provider_id = uuid.UUID(provider["id"])
    ada, grace = [uuid.UUID((await user(admin, env, password=None))["id"]) for _ in range(2)]
    ids = sorted(uuid.uuid4() for _ in range(5))
    links = [
        (ada, ids[1], T0 + timedelta(seconds=2)),
        (ada, ids[4], T0),  # the oldest, though its id is the greatest
        (ada, ids[2], T0 + timedelta(seconds=1)),
        (grace, ids[3], T0),
        (grace, ids[0], T0),  # as old as the other: the lesser id
    ]

    await _downgrade(engine, PREVIOUS)
    async with app.state.runtime.sessions() as session, session.begin():
        for user_id, link_id, created_at in links:
            session.add(
                LinkedAccount(
                    id=link_id,
                    environment_id=uuid.UUID(env),
                    user_id=user_id,
                    identity_provider_id=provider_id,
                    external_id=secrets.token_hex(6),
                    created_at=created_at,
                    updated_at=created_at,
                )
            )
    await migrate.upgrade(engine)

    async with app.state.runtime.sessions() as session:
        rows = await session.execute(
            sa.select(LinkedAccount.user_id, LinkedAccount.id).where(
                LinkedAccount.identity_provider_id == provider_id
            )
        )
        assert {(row.user_id, row.id) for row in rows} == {(ada, ids[4]), (grace, ids[0])}


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))
