"""Which resources and scopes an application may ask for: its grants (PingOne's application
resource grants), resolved against the scopes a request names (RFC 6749 section 3.3)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application, ApplicationGrant, grant_scopes
from gatehouse.oauth.errors import invalid_scope
from gatehouse.resources.defaults import OPENID_CONNECT
from gatehouse.resources.models import Resource, ResourceScope
from gatehouse.store import config_cache


@dataclass(frozen=True)
class GrantedScope:
    scope: ResourceScope
    resource: Resource

    @property
    def name(self) -> str:
        return self.scope.name


@dataclass(frozen=True)
class ScopeDecision:
    scopes: list[str]
    resources: list[Resource]
    granted: tuple[GrantedScope, ...] = ()

    @property
    def audience_resources(self) -> list[Resource]:
        """The resources a token is for: those of its API scopes; openid only when it has no
        other (PingOne: a token with OIDC scopes only is for userinfo)."""
        apis = [resource for resource in self.resources if resource.type != OPENID_CONNECT]
        return apis or self.resources

    @property
    def audiences(self) -> list[str]:
        return [resource.audience for resource in self.audience_resources]

    @property
    def lifetime(self) -> int:
        return min((r.access_token_validity_seconds for r in self.audience_resources), default=3600)

    @property
    def is_openid(self) -> bool:
        return "openid" in self.scopes

    @property
    def openid_scopes(self) -> list[ResourceScope]:
        return [g.scope for g in self.granted if g.resource.type == OPENID_CONNECT]

    def includes_type(self, kind: str) -> bool:
        return any(resource.type == kind for resource in self.resources)


async def granted_scopes(session: AsyncSession, application: Application) -> list[GrantedScope]:
    """The scopes the application's grants give it, read once per configuration version; the
    rows are shared copies: never change them."""

    async def load() -> tuple[GrantedScope, ...]:
        rows = await session.execute(
            sa.select(ResourceScope, Resource)
            .join(grant_scopes, grant_scopes.c.scope_id == ResourceScope.id)
            .join(ApplicationGrant, ApplicationGrant.id == grant_scopes.c.grant_id)
            .join(Resource, Resource.id == ResourceScope.resource_id)
            .where(ApplicationGrant.application_id == application.id)
        )
        copies: dict[uuid.UUID, Resource] = {}
        found = []
        for scope, resource in rows.tuples():
            if resource.id not in copies:
                copies[resource.id] = config_cache.detached_copy(resource)
            found.append(GrantedScope(config_cache.detached_copy(scope), copies[resource.id]))
        return tuple(found)

    key = ("granted_scopes", application.id)
    return list(await config_cache.cached(session, application.environment_id, key, load))


def decide(
    requested: list[str], granted: list[GrantedScope], *, multiple_resources: bool
) -> ScopeDecision:
    """The scopes and resources a token carries for `requested`; invalid_scope for any scope that
    is not granted, or for scopes of several resources unless the application allows that."""
    by_name: dict[str, list[GrantedScope]] = {}
    for scope in granted:
        by_name.setdefault(scope.name, []).append(scope)
    resources: dict[uuid.UUID, Resource] = {}
    chosen: list[GrantedScope] = []
    for name in dict.fromkeys(requested):
        if name not in by_name:
            raise invalid_scope(f"The scope {name!r} is not granted to this application.")
        for scope in by_name[name]:
            resources[scope.resource.id] = scope.resource
            chosen.append(scope)
    custom = [resource for resource in resources.values() if resource.type != OPENID_CONNECT]
    if len(custom) > 1 and not multiple_resources:
        raise invalid_scope("The requested scopes belong to more than one resource.")
    return ScopeDecision(list(dict.fromkeys(requested)), list(resources.values()), tuple(chosen))


def allows_multiple_resources(config: dict[str, object]) -> bool:
    return bool(config.get("requestScopesForMultipleResourcesEnabled"))
