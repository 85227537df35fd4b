"""The UserInfo endpoint (OIDC Core 1.0 section 5.3), called with a bearer access token (RFC 6750
sections 2 and 3)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.directory.models import User
from gatehouse.environments.models import Environment
from gatehouse.oauth.claims import USER_INFO, ClaimSources, attributes_of, mappings_of, user_claims
from gatehouse.oauth.clients import application_of
from gatehouse.oauth.errors import OAuthError
from gatehouse.oauth.tokens import verify_access_token
from gatehouse.resources.defaults import OPENID_CONNECT
from gatehouse.resources.models import Resource, ResourceScope
from gatehouse.store import config_cache, rows

REALM = 'realm="gatehouse"'


def bearer_error(status: int, error: str, description: str) -> OAuthError:
    """RFC 6750 3.1: the error also goes in the WWW-Authenticate header."""
    challenge = f'Bearer {REALM}, error="{error}", error_description="{description}"'
    return OAuthError(error, description, status, challenge)


def presented_token(authorization: str | None, form: Mapping[str, str]) -> str:
    """The access token from the Authorization header (2.1) or the form body (2.2), not both."""
    scheme, _, value = (authorization or "").partition(" ")
    from_header = value.strip() if scheme.lower() == "bearer" else ""
    from_form = form.get("access_token", "")
    if from_header and from_form:
        raise bearer_error(400, "invalid_request", "Send the access token one way only.")
    token = from_header or from_form
    if not token:
        # 3.1: a request without authentication gets no error code.
        raise OAuthError("invalid_token", "An access token is required.", 401, f"Bearer {REALM}")
    return token


async def userinfo(session: AsyncSession, environment: Environment, token: str) -> dict[str, Any]:
    """5.3.2: `sub` and the claims the token's scopes release at userinfo. The token must be an
    unexpired, unrevoked access token of this environment for a user who can still sign on,
    with the openid scope."""
    verified = await verify_access_token(session, token, environment.id)
    if verified is None or verified[0] != environment.id:
        raise bearer_error(401, "invalid_token", "The access token is invalid or has expired.")
    claims = verified[1]
    scopes = str(claims.get("scope", "")).split()
    if "openid" not in scopes:
        raise bearer_error(403, "insufficient_scope", "The access token lacks the openid scope.")
    user = await _user(session, environment.id, claims.get("sub"))
    application = await _application(session, environment.id, claims.get("client_id"))
    if user is None or application is None:
        raise bearer_error(401, "invalid_token", "The access token is invalid or has expired.")
    granted = await _openid_scopes(session, environment.id, scopes)
    resource_ids = {scope.resource_id for scope in granted}
    attributes = await attributes_of(session, environment.id, resource_ids)
    sources = ClaimSources(
        openid_attributes=[row for rows in attributes.values() for row in rows],
        mappings=await mappings_of(session, application),
        scopes=granted,
    )
    return user_claims(user, sources, USER_INFO)


async def _user(session: AsyncSession, environment_id: uuid.UUID, sub: object) -> User | None:
    user_id = _uuid(sub)
    user = await rows.get(session, User, user_id) if user_id else None
    if user is None or user.environment_id != environment_id or not user.enabled:
        return None
    return user


async def _application(
    session: AsyncSession, environment_id: uuid.UUID, client_id: object
) -> Application | None:
    application_id = _uuid(client_id)
    return await application_of(session, environment_id, application_id) if application_id else None


async def _openid_scopes(
    session: AsyncSession, environment_id: uuid.UUID, names: list[str]
) -> list[ResourceScope]:
    """The environment's OpenID Connect scopes of these names, read once per configuration version
    (shared copies: never change them)."""
    wanted = tuple(sorted(set(names)))

    async def load() -> tuple[ResourceScope, ...]:
        rows = await session.scalars(
            sa.select(ResourceScope)
            .join(Resource, Resource.id == ResourceScope.resource_id)
            .where(
                Resource.environment_id == environment_id,
                Resource.type == OPENID_CONNECT,
                ResourceScope.name.in_(wanted),
            )
        )
        return tuple(config_cache.detached_copy(row) for row in rows)

    key = ("openid_scopes", wanted)
    return list(await config_cache.cached(session, environment_id, key, load))


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
