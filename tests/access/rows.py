"""Actors and scopes made directly in the database, for role-assignment tests that must not depend
on the users, groups and populations APIs."""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from gatehouse.access.models import RoleAssignment
from gatehouse.applications.models import Application
from gatehouse.applications.secrets import create_secret, reveal
from gatehouse.directory.models import Group, Population, User
from gatehouse.environments.models import Environment, Organization
from tests.support.actors import WORKER_CONFIG
from tests.support.api import Api


@dataclass(frozen=True)
class Client:
    """A worker application with its credentials (no roles unless granted)."""

    id: str
    secret: str
    environment_id: str

    async def api(self, api: Api) -> Api:
        """An Api carrying a fresh token of this client."""
        token = await api.with_token(None).token_for(self.environment_id, self.id, self.secret)
        return api.with_token(token)


def client_id_of(api: Api) -> str:
    """The client_id claim of the Api's bearer token."""
    assert api.token
    payload = api.token.split(".")[1]
    return orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["client_id"]


async def _add(app: Any, row: Any) -> str:
    async with app.state.runtime.sessions() as session, session.begin():
        session.add(row)
        await session.flush()
        return str(row.id)


async def create_client(app: Any, environment_id: str) -> Client:
    runtime = app.state.runtime
    async with runtime.sessions() as session, session.begin():
        application = Application(
            environment_id=uuid.UUID(environment_id),
            name=f"client-{secrets.token_hex(4)}",
            protocol="OPENID_CONNECT",
            type="WORKER",
            config=dict(WORKER_CONFIG),
        )
        session.add(application)
        await session.flush()
        secret = reveal(
            runtime.sealer, await create_secret(session, runtime.sealer, application.id)
        )
        return Client(str(application.id), secret, environment_id)


async def create_population(app: Any, environment_id: str) -> str:
    return await _add(
        app,
        Population(environment_id=uuid.UUID(environment_id), name=f"pop-{secrets.token_hex(4)}"),
    )


async def create_user(app: Any, environment_id: str) -> str:
    population_id = await create_population(app, environment_id)
    username = f"user-{secrets.token_hex(4)}"
    return await _add(
        app,
        User(
            environment_id=uuid.UUID(environment_id),
            population_id=uuid.UUID(population_id),
            username=username,
            username_key=username,
        ),
    )


async def create_group(app: Any, environment_id: str) -> str:
    return await _add(
        app, Group(environment_id=uuid.UUID(environment_id), name=f"group-{secrets.token_hex(4)}")
    )


async def create_application(app: Any, environment_id: str) -> str:
    return (await create_client(app, environment_id)).id


async def create_foreign_organization(app: Any) -> tuple[str, str, str]:
    """(organization, environment, population) ids of an organization other than the caller's."""
    organization_id = await _add(app, Organization(name=f"org-{secrets.token_hex(4)}"))
    environment_id = await _add(
        app,
        Environment(
            organization_id=uuid.UUID(organization_id),
            name="foreign",
            type="SANDBOX",
            region="NA",
        ),
    )
    return organization_id, environment_id, await create_population(app, environment_id)


async def delete_application(app: Any, application_id: str) -> None:
    async with app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            sa.delete(Application).where(Application.id == uuid.UUID(application_id))
        )


async def mark_read_only(app: Any, assignment_id: str) -> None:
    async with app.state.runtime.sessions() as session, session.begin():
        assignment = await session.get(RoleAssignment, uuid.UUID(assignment_id))
        assert assignment is not None
        assignment.read_only = True
