"""Helpers of the resources tests: the built-in resources of an environment, a custom resource,
and direct database access for what the API does not offer (users' schema, grants)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.support.api import Api


@pytest.fixture
async def builtins(admin: Api, env: str) -> dict[str, dict[str, Any]]:
    """The built-in resources of `env`, by type."""
    listed = (await admin.get(f"/environments/{env}/resources")).json()["_embedded"]["resources"]
    return {resource["type"]: resource for resource in listed}


@pytest.fixture
async def custom(admin: Api, env: str) -> dict[str, Any]:
    """A custom resource of `env`."""
    return await admin.create(
        f"/environments/{env}/resources",
        {"name": f"api-{secrets.token_hex(4)}", "audience": "https://api.example.com"},
    )


@asynccontextmanager
async def database(app: Any) -> AsyncIterator[AsyncSession]:
    """A session of the app's database, committed on exit."""
    async with app.state.runtime.sessions() as session, session.begin():
        yield session


async def names(api: Api, path: str, collection: str) -> list[str]:
    response = await api.get(path)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["_embedded"][collection]]
