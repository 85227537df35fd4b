"""FastAPI dependencies for management routes: the unit of work, the verified caller, and the
environment in the path with the caller's permission over it checked."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from gatehouse.access.authz import Caller, caller_from_token, request_target
from gatehouse.common.errors import forbidden, not_found, unauthorized
from gatehouse.common.urls import Urls, urls_for
from gatehouse.environments.models import Environment
from gatehouse.runtime import Runtime, runtime_of
from gatehouse.store import config_cache
from gatehouse.store.db import unit_of_work


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in unit_of_work(runtime_of(request).sessions):
        yield session


# Commit before the response is sent: a request whose commit fails must not report success.
db_session = Depends(_session, scope="function")


async def _caller(request: Request, session: AsyncSession = db_session) -> Caller:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("The request could not be completed. An access token is required.")
    caller = await caller_from_token(
        session,
        token.strip(),
        runtime_of(request).settings.api_audience,
        request_target(request.method, request.url.path, request.path_params),
    )
    if caller is None:
        raise unauthorized()
    return caller


@dataclass
class Admin:
    """The context of a management request on one environment."""

    session: AsyncSession
    runtime: Runtime
    caller: Caller
    environment: Environment
    urls: Urls

    @property
    def environment_id(self) -> uuid.UUID:
        return self.environment.id

    def href(self, path: str = "") -> str:
        return self.urls.api_href(f"/environments/{self.environment.id}{path}")

    def require(self, permission: str) -> None:
        if not self.caller.may(permission, self.environment):
            raise forbidden()

    def populations_for(self, permission: str) -> set[uuid.UUID] | None:
        """None: environment-wide. Else the populations the caller may act on (403 if none)."""
        populations = self.caller.populations_for(permission, self.environment)
        if populations is not None and not populations:
            raise forbidden()
        return populations


def admin(permission: str, *, populations: bool = False) -> Any:
    """Depends on the caller holding `permission` over the environment in the path. With
    `populations`, holding it over some of the environment's populations is enough: the route then
    limits itself to `ctx.populations_for(permission)`."""

    async def dependency(
        environment_id: str, request: Request, session: AsyncSession = db_session
    ) -> Admin:
        caller = await _caller(request, session)
        environment = await _environment(session, environment_id)
        if environment is None:
            raise not_found() if caller.may_in_organization(permission) else forbidden()
        allowed = caller.populations_for(permission, environment)
        if allowed is not None and not (populations and allowed):
            raise forbidden()
        runtime = runtime_of(request)
        return Admin(session, runtime, caller, environment, urls_for(request, runtime.settings))

    return Depends(dependency)


@dataclass
class OrgAdmin:
    """The context of a management request that is not about one environment."""

    session: AsyncSession
    runtime: Runtime
    caller: Caller
    urls: Urls


def org_admin() -> Any:
    async def dependency(request: Request, session: AsyncSession = db_session) -> OrgAdmin:
        caller = await _caller(request, session)
        runtime = runtime_of(request)
        return OrgAdmin(session, runtime, caller, urls_for(request, runtime.settings))

    return Depends(dependency)


async def _environment(session: AsyncSession, environment_id: str) -> Environment | None:
    try:
        parsed = uuid.UUID(environment_id)
    except ValueError:
        return None
    environment: Environment | None = await config_cache.environment_of(session, parsed)
    return environment
