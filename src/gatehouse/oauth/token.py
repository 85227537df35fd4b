"""The token endpoint's grants (RFC 6749 section 4). This module holds client_credentials
(section 4.4); each grant is one function from an authenticated client and the form to a response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.environments.models import Environment
from gatehouse.oauth.errors import invalid_scope, unauthorized_client
from gatehouse.oauth.scopes import ScopeDecision, decide, granted_scopes
from gatehouse.oauth.tokens import issue_access_token
from gatehouse.resources.models import Resource
from gatehouse.runtime import Runtime


async def client_credentials(
    session: AsyncSession,
    runtime: Runtime,
    environment: Environment,
    issuer: str,
    application: Application,
    form: Mapping[str, str],
) -> dict[str, Any]:
    if "CLIENT_CREDENTIALS" not in application.config.get("grantTypes", []):
        raise unauthorized_client("This application may not use the client_credentials grant.")
    decision = await _scopes_for_client(session, application, form.get("scope"))
    claims: dict[str, Any] = {
        "client_id": str(application.id),
        "aud": decision.audiences,
        "scope": " ".join(decision.scopes),
    }
    if decision.includes_type("PINGONE_API"):
        claims["env"] = str(environment.id)
        claims["org"] = str(environment.organization_id)
    issued = await issue_access_token(
        session,
        runtime.sealer,
        environment_id=environment.id,
        issuer=issuer,
        claims=claims,
        lifetime=decision.lifetime,
    )
    response: dict[str, Any] = {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
    }
    if decision.scopes:
        response["scope"] = claims["scope"]
    return response


async def _scopes_for_client(
    session: AsyncSession, application: Application, scope_parameter: str | None
) -> ScopeDecision:
    """Without `scope`, a worker gets a PingOne API token (its authority comes from its roles) and
    any other client all it was granted on one resource; OIDC scopes need a user, so never here."""
    requested = scope_parameter.split() if scope_parameter else []
    granted = [
        scope
        for scope in await granted_scopes(session, application.id)
        if scope.resource.type != "OPENID_CONNECT"
    ]
    if requested:
        multiple = bool(application.config.get("requestScopesForMultipleResourcesEnabled"))
        return decide(requested, granted, multiple_resources=multiple)
    if application.type == "WORKER":
        api = await session.scalar(
            sa.select(Resource).where(
                Resource.environment_id == application.environment_id,
                Resource.type == "PINGONE_API",
            )
        )
        if api is None:
            raise invalid_scope("This environment has no PingOne API resource.")
        return ScopeDecision([], [api])
    resources = {scope.resource.id for scope in granted}
    if len(resources) != 1:
        raise invalid_scope("The scope parameter is required for this application.")
    return decide([scope.name for scope in granted], granted, multiple_resources=False)
