"""Fixtures of the policy tests: an application and the default population of `env`, made in the
database (the applications and populations APIs belong to other contexts), and an identity
provider and an MFA policy, made through their APIs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.applications.models import Application
from gatehouse.directory.models import Population
from gatehouse.mfa.defaults import DEFAULT_SETTINGS
from tests.federation.conftest import create_provider, provider
from tests.support.api import Api


async def orm_application(app: Any, environment_id: str, name: str = "web") -> str:
    """A web application of `environment_id`, as seed 003 step 1 creates it."""
    async with app.state.runtime.sessions() as session, session.begin():
        application = Application(
            environment_id=uuid.UUID(environment_id),
            name=f"{name}-{uuid.uuid4().hex[:8]}",
            protocol="OPENID_CONNECT",
            type="WEB_APP",
            config={
                "grantTypes": ["AUTHORIZATION_CODE"],
                "redirectUris": ["https://example.com"],
                "responseTypes": ["CODE"],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
            },
        )
        session.add(application)
        await session.flush()
        return str(application.id)


async def default_population(app: Any, environment_id: str) -> str:
    async with app.state.runtime.sessions() as session:
        population_id = await session.scalar(
            sa.select(Population.id).where(
                Population.environment_id == uuid.UUID(environment_id),
                Population.default.is_(True),
            )
        )
    assert population_id is not None
    return str(population_id)


@pytest.fixture
async def web_app(app: Any, env: str) -> str:
    return await orm_application(app, env)


@pytest.fixture
async def population(app: Any, env: str) -> str:
    return await default_population(app, env)


async def new_identity_provider(admin: Api, environment_id: str) -> str:
    created = await create_provider(admin, environment_id, provider("GITHUB", f"gh-{uuid.uuid4()}"))
    return str(created["id"])


async def new_mfa_policy(admin: Api, environment_id: str) -> str:
    body = {**DEFAULT_SETTINGS, "name": f"MFA {uuid.uuid4().hex[:8]}"}
    created = await admin.create(
        f"/environments/{environment_id}/deviceAuthenticationPolicies", body
    )
    return str(created["id"])


@pytest.fixture
async def identity_provider(admin: Api, env: str) -> str:
    return await new_identity_provider(admin, env)


@pytest.fixture
async def mfa_policy(admin: Api, env: str) -> str:
    return await new_mfa_policy(admin, env)
