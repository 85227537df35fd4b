"""`gatehouse bootstrap`: the organization, an Administrators environment and a worker application
holding the Organization Admin role, created once and reported on every run."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.roles import ENVIRONMENT, ORGANIZATION
from gatehouse.access.service import grant_role, sync_builtin_roles
from gatehouse.applications.models import Application
from gatehouse.applications.secrets import create_secret, reveal, secrets_of
from gatehouse.environments.models import Environment, Organization
from gatehouse.environments.schemas import EnvironmentCreate
from gatehouse.environments.service import create_environment, create_organization
from gatehouse.runtime import Runtime
from gatehouse.store import migrate

ORGANIZATION_NAME = "Gatehouse"
ADMIN_ENVIRONMENT = "Administrators"
WORKER_NAME = "Gatehouse Admin Worker"
WORKER_CONFIG = {
    "grantTypes": ["CLIENT_CREDENTIALS"],
    "responseTypes": [],
    "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
    "redirectUris": [],
    "postLogoutRedirectUris": [],
    "pkceEnforcement": "OPTIONAL",
}
WORKER_ROLES = (
    ("Organization Admin", ORGANIZATION),
    ("Environment Admin", ENVIRONMENT),
    ("Identity Data Admin", ENVIRONMENT),
    ("Client Application Developer", ENVIRONMENT),
    ("DaVinci Admin", ENVIRONMENT),
)


async def prepare_database(runtime: Runtime) -> None:
    """Apply the migrations and refresh the built-in roles (`gatehouse migrate`)."""
    if runtime.settings.database_url.startswith("sqlite"):
        runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)
    await migrate.upgrade(runtime.engine)
    async with runtime.sessions() as session, session.begin():
        await sync_builtin_roles(session)


@dataclass(frozen=True)
class Bootstrapped:
    organization_id: str
    environment_id: str
    client_id: str
    client_secret: str
    created: bool


async def bootstrap(session: AsyncSession, runtime: Runtime) -> Bootstrapped:
    organization = await session.scalar(
        sa.select(Organization).order_by(Organization.created_at).limit(1)
    )
    created = organization is None
    if organization is None:
        organization = await create_organization(session, ORGANIZATION_NAME)
    environment = await session.scalar(
        sa.select(Environment).where(
            Environment.organization_id == organization.id, Environment.name == ADMIN_ENVIRONMENT
        )
    )
    if environment is None:
        created = True
        environment = await create_environment(
            session,
            runtime.sealer,
            organization.id,
            EnvironmentCreate(
                name=ADMIN_ENVIRONMENT,
                description="The environment of Gatehouse's administrators",
                type="PRODUCTION",
                region="NA",
            ),
            api_audience=runtime.settings.api_audience,
        )
    worker = await session.scalar(
        sa.select(Application).where(
            Application.environment_id == environment.id, Application.name == WORKER_NAME
        )
    )
    if worker is None:
        created = True
        worker = Application(
            environment_id=environment.id,
            name=WORKER_NAME,
            description="Created by `gatehouse bootstrap`",
            enabled=True,
            protocol="OPENID_CONNECT",
            type="WORKER",
            config=dict(WORKER_CONFIG),
        )
        session.add(worker)
        await session.flush()
        await create_secret(session, runtime.sealer, worker.id)
    for role_name, scope_type in WORKER_ROLES:
        await grant_role(
            session,
            environment_id=environment.id,
            actor_type="APPLICATION",
            actor_id=worker.id,
            role_name=role_name,
            scope_type=scope_type,
            scope_id=organization.id if scope_type == ORGANIZATION else environment.id,
        )
    secret = (await secrets_of(session, worker.id))[0]
    return Bootstrapped(
        organization_id=str(organization.id),
        environment_id=str(environment.id),
        client_id=str(worker.id),
        client_secret=reveal(runtime.sealer, secret),
        created=created,
    )
