"""Rows the application tests need from other contexts (resources, groups, user schema), written
straight to the database, and row counts to prove a failed request wrote nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gatehouse.directory.models import Group, SchemaAttribute
from gatehouse.resources.models import Resource, ResourceScope


@dataclass(frozen=True)
class CustomResource:
    id: str
    audience: str
    scopes: dict[str, str]  # name -> id


async def custom_resource(app: Any, env: str, name: str, scopes: list[str]) -> CustomResource:
    async with app.state.runtime.sessions() as session, session.begin():
        resource = Resource(
            environment_id=uuid.UUID(env),
            name=name,
            type="CUSTOM",
            audience=f"https://{name}.example.com",
        )
        session.add(resource)
        await session.flush()
        rows = [
            ResourceScope(environment_id=resource.environment_id, resource_id=resource.id, name=n)
            for n in scopes
        ]
        session.add_all(rows)
        await session.flush()
        return CustomResource(
            str(resource.id), resource.audience, {row.name: str(row.id) for row in rows}
        )


async def openid_scope(app: Any, env: str, name: str) -> str:
    async with app.state.runtime.sessions() as session:
        scope_id = await session.scalar(
            sa.select(ResourceScope.id)
            .join(Resource, Resource.id == ResourceScope.resource_id)
            .where(
                Resource.environment_id == uuid.UUID(env),
                Resource.type == "OPENID_CONNECT",
                ResourceScope.name == name,
            )
        )
        return str(scope_id)


async def group(app: Any, env: str, name: str) -> str:
    async with app.state.runtime.sessions() as session, session.begin():
        row = Group(environment_id=uuid.UUID(env), name=name)
        session.add(row)
        await session.flush()
        return str(row.id)


async def schema_attribute(app: Any, env: str, name: str, kind: str = "STRING") -> None:
    async with app.state.runtime.sessions() as session, session.begin():
        session.add(SchemaAttribute(environment_id=uuid.UUID(env), name=name, type=kind))


async def count(app: Any, model: Any, *conditions: Any) -> int:
    async with app.state.runtime.sessions() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))
            or 0
        )
