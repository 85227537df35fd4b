"""Roles and role assignments: keeping the built-in roles in the database, granting and revoking."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.models import Role, RoleAssignment
from gatehouse.access.roles import BUILTIN_ROLES, ENVIRONMENT

# What PingOne gives the administrator who creates an environment, over that environment.
CREATOR_ROLES = ("Environment Admin", "Identity Data Admin", "Client Application Developer")


async def sync_builtin_roles(session: AsyncSession) -> None:
    """Insert or refresh the built-in roles (their permissions follow the code)."""
    existing = {role.name: role for role in await session.scalars(sa.select(Role))}
    for builtin in BUILTIN_ROLES:
        role = existing.get(builtin.name)
        if role is None:
            session.add(
                Role(
                    name=builtin.name,
                    description=builtin.description,
                    applicable_to=list(builtin.applicable_to),
                    permissions=sorted(builtin.permissions),
                )
            )
        else:
            role.description = builtin.description
            role.applicable_to = list(builtin.applicable_to)
            role.permissions = sorted(builtin.permissions)
    await session.flush()


async def role_named(session: AsyncSession, name: str) -> Role:
    role = await session.scalar(sa.select(Role).where(Role.name == name))
    if role is None:
        raise LookupError(f"built-in role {name!r} is missing: run `gatehouse migrate`")
    return role


async def grant_role(
    session: AsyncSession,
    *,
    environment_id: uuid.UUID,
    actor_type: str,
    actor_id: uuid.UUID,
    role_name: str,
    scope_type: str,
    scope_id: uuid.UUID,
) -> RoleAssignment:
    role = await role_named(session, role_name)
    existing = await session.scalar(
        sa.select(RoleAssignment).where(
            RoleAssignment.actor_id == actor_id,
            RoleAssignment.role_id == role.id,
            RoleAssignment.scope_type == scope_type,
            RoleAssignment.scope_id == scope_id,
        )
    )
    if existing is not None:
        return existing
    assignment = RoleAssignment(
        environment_id=environment_id,
        actor_type=actor_type,
        actor_id=actor_id,
        role_id=role.id,
        scope_type=scope_type,
        scope_id=scope_id,
    )
    session.add(assignment)
    await session.flush()
    return assignment


async def grant_creator_roles(
    session: AsyncSession,
    *,
    actor_environment_id: uuid.UUID,
    actor_type: str,
    actor_id: uuid.UUID,
    new_environment_id: uuid.UUID,
) -> None:
    for name in CREATOR_ROLES:
        await grant_role(
            session,
            environment_id=actor_environment_id,
            actor_type=actor_type,
            actor_id=actor_id,
            role_name=name,
            scope_type=ENVIRONMENT,
            scope_id=new_environment_id,
        )
