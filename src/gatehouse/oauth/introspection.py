"""Token introspection (RFC 7662): for an application of the environment, authenticated with its
own method, about its own tokens; or for a custom resource, authenticated with its resource secret
(introspectEndpointAuthMethod), about the access tokens for its audience."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.common import clock
from gatehouse.crypto.sealing import Sealer
from gatehouse.environments.models import Environment
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.oauth.clients import (
    BASIC,
    PresentedCredentials,
    authenticate_client,
    find_application,
)
from gatehouse.oauth.errors import invalid_client
from gatehouse.oauth.models import RefreshToken
from gatehouse.oauth.tokens import find_refresh_token, verify_access_token
from gatehouse.resources.defaults import CUSTOM
from gatehouse.resources.models import Resource
from gatehouse.resources.secrets import check_resource_secret

INACTIVE: dict[str, Any] = {"active": False}


async def authenticate_introspector(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    environment_id: uuid.UUID,
    credentials: PresentedCredentials,
    audiences: Collection[str],
) -> Application | Resource:
    """Section 2.1: the caller is an application, or a custom resource presenting its secret."""
    if await find_application(session, environment_id, credentials.client_id) is not None:
        return await authenticate_client(
            session, sealer, policy, environment_id, credentials, audiences
        )
    scheme = "Basic" if credentials.method == BASIC else None
    resource = await _custom_resource(session, environment_id, credentials.client_id)
    if resource is None:
        raise invalid_client("Unknown client or resource.", scheme)
    if credentials.method != resource.introspect_endpoint_auth_method:
        raise invalid_client(
            f"This resource authenticates with {resource.introspect_endpoint_auth_method.lower()}.",
            scheme,
        )
    if credentials.method != "NONE" and not (
        credentials.secret
        and await check_resource_secret(session, sealer, resource.id, credentials.secret)
    ):
        raise invalid_client("Resource authentication failed.", scheme)
    return resource


async def introspect(
    session: AsyncSession,
    sealer: Sealer,
    environment: Environment,
    caller: Application | Resource,
    token: str,
    hint: str | None,
) -> dict[str, Any]:
    """Section 2.2: {active: true, ...} for a token the caller may see; else {active: false}."""
    lookups = (_access_token, _refresh_token)
    if hint == "refresh_token":
        lookups = (_refresh_token, _access_token)
    for lookup in lookups:
        found = await lookup(session, sealer, environment, caller, token)
        if found is not None:
            return found
    return INACTIVE


async def _access_token(
    session: AsyncSession,
    sealer: Sealer,
    environment: Environment,
    caller: Application | Resource,
    token: str,
) -> dict[str, Any] | None:
    verified = await verify_access_token(session, token, environment.id)
    if verified is None or verified[0] != environment.id:
        return None
    claims = verified[1]
    if isinstance(caller, Resource):
        audience = claims.get("aud")
        visible = caller.audience in (audience if isinstance(audience, list) else [audience])
    else:
        visible = claims.get("client_id") == str(caller.id)
    return {"active": True, **claims, "token_type": "Bearer"} if visible else INACTIVE


async def _refresh_token(
    session: AsyncSession,
    sealer: Sealer,
    environment: Environment,
    caller: Application | Resource,
    token: str,
) -> dict[str, Any] | None:
    row = await find_refresh_token(session, sealer, environment.id, token)
    if row is None:
        return None
    if isinstance(caller, Resource) or row.application_id != caller.id or not _live(row):
        return INACTIVE
    return {
        "active": True,
        "client_id": str(row.application_id),
        "sub": str(row.user_id),
        "scope": row.scope,
        "iat": int(clock.as_utc(row.created_at).timestamp()),
        "exp": int(clock.as_utc(row.expires_at).timestamp()),
    }


def _live(row: RefreshToken) -> bool:
    now = clock.now()
    return (
        row.revoked_at is None
        and row.used_at is None
        and row.expires_at > now
        and (row.family_expires_at is None or row.family_expires_at > now)
    )


async def _custom_resource(
    session: AsyncSession, environment_id: uuid.UUID, client_id: str
) -> Resource | None:
    try:
        resource_id = uuid.UUID(client_id)
    except ValueError:
        return None
    return await session.scalar(
        sa.select(Resource).where(
            Resource.id == resource_id,
            Resource.environment_id == environment_id,
            Resource.type == CUSTOM,
        )
    )
