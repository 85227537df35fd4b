"""OpenID Provider metadata (OpenID Connect Discovery 1.0 section 3, RFC 8414 section 2), with the
values PingOne publishes at /{envId}/as/.well-known/openid-configuration."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.environments.models import Environment
from gatehouse.oauth.claims import ID_TOKEN_CLAIMS, SCOPE_CLAIMS
from gatehouse.oauth.clients import AUTH_METHODS, HMAC_ALGORITHMS, SIGNATURE_ALGORITHMS
from gatehouse.resources.defaults import OPENID_CONNECT
from gatehouse.resources.models import Resource, ResourceAttribute, ResourceScope

RESPONSE_TYPES = ["code", "id_token", "token id_token", "code id_token", "code token"]
RESPONSE_TYPES += ["code token id_token"]
RESPONSE_MODES = ["pi.flow", "query", "fragment", "form_post"]
GRANT_TYPES = ["authorization_code", "implicit", "client_credentials", "refresh_token"]
AUTH_METHOD_NAMES = [method.lower() for method in AUTH_METHODS]


async def openid_configuration(
    session: AsyncSession, environment: Environment, issuer: str
) -> dict[str, Any]:
    scopes, claims = await _openid_scopes_and_claims(session, environment)
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/signoff",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/revoke",
        "scopes_supported": scopes,
        "claims_supported": claims,
        "response_types_supported": RESPONSE_TYPES,
        "response_modes_supported": RESPONSE_MODES,
        "grant_types_supported": GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": AUTH_METHOD_NAMES,
        "token_endpoint_auth_signing_alg_values_supported": [
            *HMAC_ALGORITHMS,
            *SIGNATURE_ALGORITHMS,
        ],
        "introspection_endpoint_auth_methods_supported": AUTH_METHOD_NAMES,
        "revocation_endpoint_auth_methods_supported": AUTH_METHOD_NAMES,
        "code_challenge_methods_supported": ["plain", "S256"],
        "claims_parameter_supported": False,
        "request_parameter_supported": True,
        "request_object_signing_alg_values_supported": [
            *HMAC_ALGORITHMS,
            *SIGNATURE_ALGORITHMS,
            "none",
        ],
        "request_uri_parameter_supported": False,
    }


async def _openid_scopes_and_claims(
    session: AsyncSession, environment: Environment
) -> tuple[list[str], list[str]]:
    """The environment's openid scopes, and every claim its ID tokens and userinfo can carry."""
    openid = (
        sa.select(Resource.id)
        .where(Resource.environment_id == environment.id, Resource.type == OPENID_CONNECT)
        .scalar_subquery()
    )
    scopes = await session.scalars(
        sa.select(ResourceScope.name)
        .where(ResourceScope.resource_id == openid)
        .order_by(ResourceScope.created_at, ResourceScope.name)
    )
    names = await session.scalars(
        sa.select(ResourceAttribute.name).where(ResourceAttribute.resource_id == openid)
    )
    attributes = {name.split(".", 1)[0] for name in names}
    standard = [claim for claims in SCOPE_CLAIMS.values() for claim in claims]
    # phone_number_verified comes with phone_number (claims.user_claims)
    attributes |= {"phone_number_verified"} if "phone_number" in attributes else set()
    offered = [claim for claim in standard if claim in attributes]
    custom = sorted(attributes.difference(standard, ID_TOKEN_CLAIMS))
    return list(scopes), [*ID_TOKEN_CLAIMS, *offered, *custom]
