"""Who is calling the management API, and what they may do where.

A caller is the application (worker) or user named by a verified access token; its grants are its
role assignments, each a set of permissions over the organization, an environment or a population.

Self-service (PingOne API scopes p1:read:user and p1:update:user): a user's token carrying them may
read (GET) or update (PUT, PATCH) the user's own resource, /environments/{envId}/users/{userId}
itself, whatever roles the user holds. It is granted per request, for that request only, as a
grant over the user's population, so the routes limit themselves to it as for any
population-scoped administrator.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.access.models import Role, RoleAssignment
from gatehouse.access.roles import ENVIRONMENT, ORGANIZATION, POPULATION, permissions_over
from gatehouse.directory.models import GroupMembership, User
from gatehouse.environments.models import Environment
from gatehouse.oauth.clients import application_of
from gatehouse.oauth.tokens import verify_access_token
from gatehouse.store import config_cache, rows


@dataclass(frozen=True)
class Grant:
    role_id: uuid.UUID
    role_name: str
    permissions: frozenset[str]
    scope_type: str
    scope_id: uuid.UUID


@dataclass
class Caller:
    actor_type: str  # APPLICATION | USER
    actor_id: uuid.UUID
    environment_id: uuid.UUID
    organization_id: uuid.UUID
    grants: list[Grant] = field(default_factory=list)

    def may(self, permission: str, environment: Environment) -> bool:
        """Whether the caller holds `permission` over the whole of `environment`."""
        return any(
            permission in grant.permissions and self._covers(grant, environment)
            for grant in self.grants
        )

    def populations_for(self, permission: str, environment: Environment) -> set[uuid.UUID] | None:
        """None when the caller holds `permission` environment-wide; else the populations where it
        does (possibly none). Population ids are checked against the environment by the caller."""
        if self.may(permission, environment):
            return None
        return {
            grant.scope_id
            for grant in self.grants
            if grant.scope_type == POPULATION and permission in grant.permissions
        }

    def may_in_organization(self, permission: str) -> bool:
        return any(
            permission in grant.permissions
            and grant.scope_type == ORGANIZATION
            and grant.scope_id == self.organization_id
            for grant in self.grants
        )

    def _covers(self, grant: Grant, environment: Environment) -> bool:
        if grant.scope_type == ORGANIZATION:
            return grant.scope_id == environment.organization_id
        return grant.scope_type == ENVIRONMENT and grant.scope_id == environment.id


# scope -> (permission, methods) on the user's own resource
SELF_SERVICE: dict[str, tuple[str, frozenset[str]]] = {
    "p1:read:user": ("users:read", frozenset({"GET"})),
    "p1:update:user": ("users:update", frozenset({"PUT", "PATCH"})),
}
SELF_SERVICE_ROLE = uuid.UUID(int=0)


@dataclass(frozen=True)
class Target:
    """The management request being authorized, as far as self-service needs to know it: its
    method, and the user whose own resource its path is (None for any other path)."""

    method: str
    user_id: str | None = None


def request_target(method: str, path: str, path_params: Mapping[str, Any]) -> Target:
    user_id = path_params.get("user_id")
    own_resource = isinstance(user_id, str) and path.rstrip("/").endswith(f"/users/{user_id}")
    return Target(method.upper(), user_id if own_resource else None)


async def caller_from_token(
    session: AsyncSession, token: str, api_audience: str, target: Target | None = None
) -> Caller | None:
    verified = await verify_access_token(session, token)
    if verified is None:
        return None
    environment_id, claims = verified
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if api_audience not in audiences or not str(claims.get("iss", "")).endswith(
        f"/{environment_id}/as"
    ):
        return None
    environment = await session.get(Environment, environment_id)
    if environment is None:
        return None
    actor = await _actor(session, environment_id, claims)
    if actor is None:
        return None
    actor_type, actor_ids, user = actor
    grants = await grants_of(session, environment_id, actor_ids)
    if user is not None and target is not None:
        grants += self_service_grants(user, str(claims.get("scope", "")).split(), target)
    return Caller(
        actor_type=actor_type,
        actor_id=actor_ids[0],
        environment_id=environment_id,
        organization_id=environment.organization_id,
        grants=grants,
    )


def self_service_grants(user: User, scopes: list[str], target: Target) -> list[Grant]:
    """What a user's self-service scopes allow on `target`: only on the user's own resource."""
    if target.user_id != str(user.id):
        return []
    permissions = frozenset(
        permission
        for scope, (permission, methods) in SELF_SERVICE.items()
        if scope in scopes and target.method in methods
    )
    if not permissions:
        return []
    return [Grant(SELF_SERVICE_ROLE, "Self-service", permissions, POPULATION, user.population_id)]


async def _actor(
    session: AsyncSession, environment_id: uuid.UUID, claims: dict[str, object]
) -> tuple[str, list[uuid.UUID], User | None] | None:
    """The actor type, the ids whose role assignments apply (a user's include its groups), and
    the user."""
    try:
        subject = uuid.UUID(str(claims["sub"])) if claims.get("sub") else None
        client_id = uuid.UUID(str(claims.get("client_id")))
    except ValueError:
        return None
    if subject is not None:
        user = await rows.get(session, User, subject)
        if user is None or user.environment_id != environment_id or not user.enabled:
            return None
        groups = await session.scalars(
            sa.select(GroupMembership.group_id).where(GroupMembership.user_id == user.id)
        )
        return "USER", [user.id, *groups], user
    application = await application_of(session, environment_id, client_id)
    if application is None or not application.enabled:
        return None
    return "APPLICATION", [application.id], None


async def grants_of(
    session: AsyncSession, environment_id: uuid.UUID, actor_ids: list[uuid.UUID]
) -> list[Grant]:
    """The role assignments of these actors of the environment (a user with its groups, or an
    application), read once per configuration version: assignments are tracked configuration."""

    async def load() -> tuple[Grant, ...]:
        assigned = await session.execute(
            sa.select(RoleAssignment, Role)
            .join(Role, Role.id == RoleAssignment.role_id)
            .where(RoleAssignment.actor_id.in_(actor_ids))
        )
        return tuple(
            Grant(
                role_id=role.id,
                role_name=role.name,
                permissions=permissions_over(assignment.scope_type, frozenset(role.permissions)),
                scope_type=assignment.scope_type,
                scope_id=assignment.scope_id,
            )
            for assignment, role in assigned.tuples()
        )

    key = ("grants", tuple(actor_ids))
    return list(await config_cache.cached(session, environment_id, key, load))
