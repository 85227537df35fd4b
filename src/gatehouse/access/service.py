"""Roles and role assignments: keeping the built-in roles in the database, granting and revoking.

Assigning or revoking a role needs more than the roleAssignments permission: the caller must hold
that same role over a scope covering the assignment's (the organization covers its environments
and their populations; an environment covers its populations), unless it is an Organization Admin
of the organization. So nobody hands out more than they have.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.authz import Caller, Grant
from gatehouse.access.models import Role, RoleAssignment
from gatehouse.access.roles import (
    BUILTIN_ROLES,
    ENVIRONMENT,
    ORGANIZATION,
    ORGANIZATION_ADMIN,
    POPULATION,
)
from gatehouse.access.schemas import RoleAssignmentCreate
from gatehouse.applications.models import Application
from gatehouse.common.errors import (
    forbidden,
    invalid_value,
    not_found,
    request_failed,
    uniqueness_violation,
)
from gatehouse.directory.models import Group, Population, User
from gatehouse.environments.models import Environment, Organization
from gatehouse.store import config_cache

# What PingOne gives the administrator who creates an environment, over that environment.
CREATOR_ROLES = (
    "Environment Admin",
    "Identity Data Admin",
    "Client Application Developer",
    "DaVinci Admin",
)


async def sync_builtin_roles(session: AsyncSession) -> None:
    """Insert or refresh the built-in roles (their permissions follow the code). When they
    change, every node's cached role assignments go (they carry the permissions)."""
    existing = {role.name: role for role in await session.scalars(sa.select(Role))}
    changed = False
    for builtin in BUILTIN_ROLES:
        wanted = {
            "description": builtin.description,
            "applicable_to": list(builtin.applicable_to),
            "permissions": sorted(builtin.permissions),
        }
        role = existing.get(builtin.name)
        if role is None:
            session.add(Role(name=builtin.name, **wanted))
            changed = True
        elif any(getattr(role, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(role, name, value)
            changed = True
    await session.flush()
    if changed:
        await config_cache.every_environment_changed(session)


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


# The tables of the actors that can hold roles, by actor type.
ACTORS: dict[str, type[Application] | type[User] | type[Group]] = {
    "APPLICATION": Application,
    "USER": User,
    "GROUP": Group,
}


@dataclass(frozen=True)
class Scope:
    """A resolved scope: where it sits in the organization."""

    type: str
    id: uuid.UUID
    organization_id: uuid.UUID
    environment_id: uuid.UUID | None = None


async def list_roles(session: AsyncSession) -> Sequence[Role]:
    return (await session.scalars(sa.select(Role).order_by(Role.name))).all()


async def get_role(session: AsyncSession, role_id: uuid.UUID) -> Role:
    role = await session.get(Role, role_id)
    if role is None:
        raise not_found()
    return role


def may_read_roles(caller: Caller) -> bool:
    """roles:read over the organization or any environment."""
    return any(
        "roles:read" in grant.permissions
        and (
            grant.scope_type == ENVIRONMENT
            or (grant.scope_type == ORGANIZATION and grant.scope_id == caller.organization_id)
        )
        for grant in caller.grants
    )


async def require_actor(
    session: AsyncSession, environment_id: uuid.UUID, actor_type: str, actor_id: uuid.UUID
) -> None:
    """404 unless the user, application or group exists in the environment."""
    model = ACTORS[actor_type]
    found = await session.scalar(
        sa.select(model.id).where(model.id == actor_id, model.environment_id == environment_id)
    )
    if found is None:
        raise not_found()


async def list_assignments(
    session: AsyncSession, environment_id: uuid.UUID, actor_type: str, actor_id: uuid.UUID
) -> Sequence[RoleAssignment]:
    return (
        await session.scalars(
            _assignments_of(environment_id, actor_type, actor_id).order_by(
                RoleAssignment.created_at, RoleAssignment.id
            )
        )
    ).all()


async def get_assignment(
    session: AsyncSession,
    environment_id: uuid.UUID,
    actor_type: str,
    actor_id: uuid.UUID,
    assignment_id: uuid.UUID,
) -> RoleAssignment:
    assignment = await session.scalar(
        _assignments_of(environment_id, actor_type, actor_id).where(
            RoleAssignment.id == assignment_id
        )
    )
    if assignment is None:
        raise not_found()
    return assignment


async def assign_role(
    session: AsyncSession,
    caller: Caller,
    environment_id: uuid.UUID,
    actor_type: str,
    actor_id: uuid.UUID,
    data: RoleAssignmentCreate,
) -> RoleAssignment:
    role = await session.get(Role, data.role.id)
    if role is None:
        raise invalid_value("role.id", f"No role has the id {data.role.id}.")
    if data.scope.type not in role.applicable_to:
        raise invalid_value(
            "scope.type",
            f"The role {role.name!r} cannot be assigned over a {data.scope.type} scope.",
            allowedValues=list(role.applicable_to),
        )
    scope = await resolve_scope(session, data.scope.type, data.scope.id)
    if scope is None or scope.organization_id != caller.organization_id:
        raise invalid_value("scope.id", f"No {data.scope.type} has the id {data.scope.id}.")
    if not may_assign(caller, role.id, scope):
        raise forbidden()
    await _ensure_new(session, actor_id, role.id, scope)
    assignment = RoleAssignment(
        environment_id=environment_id,
        actor_type=actor_type,
        actor_id=actor_id,
        role_id=role.id,
        scope_type=scope.type,
        scope_id=scope.id,
    )
    session.add(assignment)
    await session.flush()
    return assignment


async def revoke_assignment(
    session: AsyncSession, caller: Caller, assignment: RoleAssignment
) -> None:
    scope = await resolve_scope(session, assignment.scope_type, assignment.scope_id)
    if not may_assign(caller, assignment.role_id, scope):
        raise forbidden()
    if assignment.read_only:
        raise request_failed("This role assignment is read-only and cannot be deleted.")
    if await is_last_organization_admin(session, assignment):
        raise request_failed(
            "The organization's last Organization Admin role assignment cannot be deleted."
        )
    await session.delete(assignment)
    await session.flush()


async def resolve_scope(
    session: AsyncSession, scope_type: str, scope_id: uuid.UUID
) -> Scope | None:
    """Where the organization, environment or population `scope_id` sits; None if it does not
    exist."""
    if scope_type == ORGANIZATION:
        organization = await session.get(Organization, scope_id)
        return None if organization is None else Scope(ORGANIZATION, scope_id, organization.id)
    if scope_type == ENVIRONMENT:
        environment = await session.get(Environment, scope_id)
        if environment is None:
            return None
        return Scope(ENVIRONMENT, scope_id, environment.organization_id, environment.id)
    row = (
        await session.execute(
            sa.select(Environment.organization_id, Environment.id)
            .join(Population, Population.environment_id == Environment.id)
            .where(Population.id == scope_id)
        )
    ).first()
    return None if row is None else Scope(POPULATION, scope_id, row[0], row[1])


def may_assign(caller: Caller, role_id: uuid.UUID, scope: Scope | None) -> bool:
    """Whether the caller may give or take `role_id` over `scope` (None: a scope that no longer
    exists, which only an Organization Admin may clean up)."""
    if any(_is_organization_admin(grant, caller.organization_id) for grant in caller.grants):
        return True
    return scope is not None and any(
        grant.role_id == role_id and covers(grant, scope) for grant in caller.grants
    )


def covers(grant: Grant, scope: Scope) -> bool:
    if grant.scope_type == ORGANIZATION:
        return grant.scope_id == scope.organization_id
    if grant.scope_type == ENVIRONMENT:
        return grant.scope_id == scope.environment_id
    return scope.type == POPULATION and grant.scope_id == scope.id


def _is_organization_admin(grant: Grant, organization_id: uuid.UUID) -> bool:
    return (
        grant.role_name == ORGANIZATION_ADMIN
        and grant.scope_type == ORGANIZATION
        and grant.scope_id == organization_id
    )


def _assignments_of(
    environment_id: uuid.UUID, actor_type: str, actor_id: uuid.UUID
) -> sa.Select[tuple[RoleAssignment]]:
    return sa.select(RoleAssignment).where(
        RoleAssignment.environment_id == environment_id,
        RoleAssignment.actor_type == actor_type,
        RoleAssignment.actor_id == actor_id,
    )


async def _ensure_new(
    session: AsyncSession, actor_id: uuid.UUID, role_id: uuid.UUID, scope: Scope
) -> None:
    existing = await session.scalar(
        sa.select(RoleAssignment.id).where(
            RoleAssignment.actor_id == actor_id,
            RoleAssignment.role_id == role_id,
            RoleAssignment.scope_type == scope.type,
            RoleAssignment.scope_id == scope.id,
        )
    )
    if existing is not None:
        raise uniqueness_violation(
            "role.id", "The actor already holds this role over this scope.", existing
        )


async def revoke_actor_roles(session: AsyncSession, actor_type: str, actor_id: uuid.UUID) -> None:
    """Remove every role assignment of an actor that is being deleted. Refused (REQUEST_FAILED)
    when one of them is the organization's last Organization Admin: the organization must never
    be left without an administrator."""
    assignments = (
        await session.scalars(
            sa.select(RoleAssignment).where(
                RoleAssignment.actor_type == actor_type, RoleAssignment.actor_id == actor_id
            )
        )
    ).all()
    for assignment in assignments:
        if await is_last_organization_admin(session, assignment):
            raise request_failed(
                f"This {actor_type.lower()} holds the organization's last Organization Admin role "
                "assignment: assign the role to another actor first."
            )
        await session.delete(assignment)
    await session.flush()


async def is_last_organization_admin(session: AsyncSession, assignment: RoleAssignment) -> bool:
    """Whether `assignment` is the organization's only Organization Admin assignment held by an
    actor that still exists. Locks the role, so concurrent revocations are counted one by one."""
    role = await session.get(Role, assignment.role_id, with_for_update=True)
    if role is None or role.name != ORGANIZATION_ADMIN:
        return False
    others = await session.scalar(
        sa.select(sa.func.count())
        .select_from(RoleAssignment)
        .where(
            RoleAssignment.role_id == assignment.role_id,
            RoleAssignment.scope_type == ORGANIZATION,
            RoleAssignment.scope_id == assignment.scope_id,
            RoleAssignment.id != assignment.id,
            _actor_exists(),
        )
    )
    return not others


async def holds_last_organization_admin(session: AsyncSession, environment: Environment) -> bool:
    """Whether deleting `environment` would take every Organization Admin of its organization with
    it: some actor of the environment holds the role, and no existing actor elsewhere does."""
    role = await session.scalar(
        sa.select(Role).where(Role.name == ORGANIZATION_ADMIN).with_for_update()
    )
    if role is None:
        return False
    held = sa.select(RoleAssignment.environment_id).where(
        RoleAssignment.role_id == role.id,
        RoleAssignment.scope_type == ORGANIZATION,
        RoleAssignment.scope_id == environment.organization_id,
        _actor_exists(),
    )
    holders = set(await session.scalars(held))
    return environment.id in holders and holders == {environment.id}


def _actor_exists() -> sa.ColumnElement[bool]:
    return sa.or_(
        *(
            sa.and_(
                RoleAssignment.actor_type == actor_type,
                sa.exists().where(model.id == RoleAssignment.actor_id),
            )
            for actor_type, model in ACTORS.items()
        )
    )
