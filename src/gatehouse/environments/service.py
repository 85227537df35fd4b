"""Organizations and environments: creating an environment provisions what PingOne gives one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.authz import Caller
from gatehouse.access.service import grant_creator_roles, holds_last_organization_admin
from gatehouse.common import scim_filter
from gatehouse.common.errors import not_found, request_failed, uniqueness_violation
from gatehouse.common.pagination import Order, Page, fetch_page
from gatehouse.crypto.keys import create_signing_key
from gatehouse.crypto.sealing import Sealer
from gatehouse.directory.defaults import create_directory_defaults
from gatehouse.environments.models import Environment, Organization
from gatehouse.environments.schemas import EnvironmentCreate, EnvironmentUpdate
from gatehouse.mfa.defaults import create_default_mfa_policy
from gatehouse.policies.defaults import create_default_sign_on_policy
from gatehouse.resources.defaults import create_builtin_resources

FILTER = scim_filter.Schema(
    {
        "id": scim_filter.Attribute(Environment.id, scim_filter.Kind.UUID),
        "name": scim_filter.Attribute(Environment.name),
        "type": scim_filter.Attribute(Environment.type),
        "region": scim_filter.Attribute(Environment.region),
        "license.id": scim_filter.Attribute(Environment.license_id, scim_filter.Kind.UUID),
        "createdAt": scim_filter.Attribute(Environment.created_at, scim_filter.Kind.DATETIME),
    }
)
ORDER = {"name": Environment.name, "createdAt": Environment.created_at}


async def create_organization(session: AsyncSession, name: str) -> Organization:
    organization = Organization(name=name)
    session.add(organization)
    await session.flush()
    return organization


async def create_environment(
    session: AsyncSession,
    sealer: Sealer,
    organization_id: uuid.UUID,
    data: EnvironmentCreate,
    *,
    api_audience: str,
    creator: Caller | None = None,
) -> Environment:
    await _ensure_unique_name(session, organization_id, data.name)
    environment = Environment(organization_id=organization_id)
    _apply(environment, data)
    session.add(environment)
    await session.flush()
    await create_directory_defaults(session, environment.id)
    await create_builtin_resources(session, environment.id, api_audience)
    await create_default_sign_on_policy(session, environment.id)
    await create_default_mfa_policy(session, environment.id)
    await create_signing_key(session, sealer, environment.id)
    if creator is not None:
        await grant_creator_roles(
            session,
            actor_environment_id=creator.environment_id,
            actor_type=creator.actor_type,
            actor_id=creator.actor_id,
            new_environment_id=environment.id,
        )
    return environment


async def update_environment(
    session: AsyncSession, environment: Environment, data: EnvironmentUpdate
) -> Environment:
    if data.name != environment.name:
        await _ensure_unique_name(session, environment.organization_id, data.name, environment.id)
    _apply(environment, data)
    await session.flush()
    return environment


async def set_environment_type(
    session: AsyncSession, environment: Environment, kind: str
) -> Environment:
    environment.type = kind
    await session.flush()
    return environment


async def delete_environment(session: AsyncSession, environment: Environment) -> None:
    """Everything of the environment goes with it (ON DELETE CASCADE), except that the
    organization must keep an Organization Admin."""
    if await holds_last_organization_admin(session, environment):
        raise request_failed(
            "Actors of this environment hold the organization's only Organization Admin role "
            "assignments: assign the role to an actor of another environment first."
        )
    await session.delete(environment)
    await session.flush()


async def list_environments(
    session: AsyncSession,
    environment_ids: Sequence[uuid.UUID] | None,
    organization_id: uuid.UUID,
    *,
    filter_text: str | None,
    order: Order,
    limit: int,
    cursor: str | None,
) -> Page:
    """Environments of the organization (only `environment_ids` when not None)."""
    stmt = sa.select(Environment).where(Environment.organization_id == organization_id)
    if environment_ids is not None:
        stmt = stmt.where(Environment.id.in_(environment_ids))
    if filter_text:
        stmt = stmt.where(scim_filter.compile_filter(filter_text, FILTER))
    return await fetch_page(
        session, stmt, id_column=Environment.id, order=order, limit=limit, cursor=cursor
    )


async def get_organization(session: AsyncSession, organization_id: uuid.UUID) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise not_found()
    return organization


def _apply(environment: Environment, data: EnvironmentCreate) -> None:
    environment.name = data.name
    environment.description = data.description
    environment.type = data.type
    environment.region = data.region
    environment.license_id = data.license.id if data.license else None
    environment.icon = data.icon
    bill = data.bill_of_materials
    environment.bill_of_materials = (
        bill.model_dump(mode="json", by_alias=True, exclude_none=True)
        if bill
        else {"products": [{"type": "PING_ONE_BASE"}]}
    )


async def _ensure_unique_name(
    session: AsyncSession, organization_id: uuid.UUID, name: str, own_id: uuid.UUID | None = None
) -> None:
    clash = await session.scalar(
        sa.select(Environment.id).where(
            Environment.organization_id == organization_id,
            sa.func.lower(Environment.name) == name.lower(),
        )
    )
    if clash is not None and clash != own_id:
        raise uniqueness_violation("name", f"An environment named {name!r} already exists.", clash)
