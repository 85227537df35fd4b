"""DaVinci as an OpenID provider (seed 000): the client is a DaVinci application (its id is the
client_id, its oauth settings the redirect URIs, scopes and grant types, its client secret the
credential), the sign-on is a run of one of its flow policies, and the issuer is
`{authPath}/{envId}/davinci`. Codes and tokens are signed with the environment's current key.

Choices where PingOne is silent:
- only the authorization code grant with response_type=code; PKCE (plain or S256) when the
  client sends a challenge; `nonce` goes into the ID token;
- scopes must be among the application's; `openid` is required; `profile` releases
  preferred_username, name, given_name, family_name, and email with email_verified;
- the code lives `authorization_code_seconds`, is used once and is bound to the client, the
  redirect URI and the PKCE challenge; the access token lives one hour and only this
  provider's userinfo accepts it (its issuer and audience are the provider's and the client's);
- the ID token's `acr` is the flow policy's name, `amr` the methods the flow signed on with,
  `sid` the session it established.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.crypto import jwt
from gatehouse.crypto.keys import current_signing_key
from gatehouse.davinci import lookup
from gatehouse.davinci.runtime.models import DavinciInteraction
from gatehouse.directory.models import User
from gatehouse.oauth import pkce
from gatehouse.oauth.errors import invalid_grant, invalid_request
from gatehouse.oauth.tokens import sign_access_token, verify_access_token
from gatehouse.oauth.userinfo import bearer_error
from gatehouse.runtime import Runtime

ACCESS_TOKEN_SECONDS = 3600
ID_TOKEN_SECONDS = 3600
AUTHORIZATION_CODE = "authorizationCode"


def issuer_of(auth_base: str, environment_id: object) -> str:
    return f"{auth_base}/{environment_id}/davinci"


def configuration(issuer: str) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 section 3 for this provider."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "profile"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "sid",
            "preferred_username",
            "name",
            "given_name",
            "family_name",
            "email",
            "email_verified",
        ],
    }


@dataclass(frozen=True)
class ProviderRequest:
    client_id: str
    redirect_uri: str
    scope: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProviderError(Exception):
    """An authorization error: redirected to the client when `redirect_uri` is known and
    registered, else shown."""

    def __init__(
        self,
        error: str,
        description: str,
        redirect_uri: str | None = None,
        state: str | None = None,
    ) -> None:
        super().__init__(description)
        self.error, self.description = error, description
        self.redirect_uri, self.state = redirect_uri, state


async def validate(
    db: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    policy_id: str | None,
    params: dict[str, str],
) -> tuple[str, ProviderRequest]:
    """The flow policy to run and the request, or the ProviderError to answer with."""
    client = await lookup.oauth_client(
        db, runtime.sealer, environment_id, params.get("client_id") or ""
    )
    if client is None:
        raise ProviderError("invalid_client", "Unknown client.")
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri or redirect_uri not in client.redirect_uris:
        raise ProviderError("invalid_request", "redirect_uri is missing or not registered.")
    state = params.get("state")

    def refuse(error: str, description: str) -> ProviderError:
        return ProviderError(error, description, redirect_uri, state)

    chosen = _policy(client, policy_id, params.get("acr_values"))
    if chosen is None:
        raise refuse("invalid_request", "The flow policy is not one of this application's.")
    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "Only response_type=code is supported.")
    if AUTHORIZATION_CODE not in client.grant_types:
        raise refuse("unauthorized_client", "This application may not use the code grant.")
    scope = list(dict.fromkeys((params.get("scope") or "").split()))
    if "openid" not in scope:
        raise refuse("invalid_scope", "The openid scope is required.")
    unknown = [name for name in scope if name not in client.scopes]
    if unknown:
        raise refuse("invalid_scope", f"The scope {unknown[0]!r} is not allowed.")
    challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
    if challenge is not None and (method or "plain") not in ("plain", "S256"):
        raise refuse("invalid_request", "Unsupported code_challenge_method.")
    request = ProviderRequest(
        client_id=client.id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=state,
        nonce=params.get("nonce"),
        code_challenge=challenge,
        code_challenge_method=(method or "plain") if challenge is not None else None,
    )
    return chosen, request


def _policy(
    client: lookup.DavinciOAuthClient, policy_id: str | None, acr_values: str | None
) -> str | None:
    """The policy named in the path (or acr_values), which must be the client's; without one,
    the client's first."""
    wanted = [value for value in [policy_id, *(acr_values or "").split()] if value]
    for value in wanted:
        parsed = lookup.parse_id(value)
        if parsed is not None and parsed.hex in client.policy_ids:
            return parsed.hex
    if wanted:
        return None
    return client.policy_ids[0] if client.policy_ids else None


async def issue_code(row: DavinciInteraction, runtime: Runtime) -> str:
    code = secrets.token_urlsafe(32)
    row.code_digest = runtime.sealer.digest(code)
    row.code_expires_at = clock.now() + timedelta(
        seconds=runtime.settings.authorization_code_seconds
    )
    return code


def _pkce_holds(request: dict[str, Any], verifier: str | None) -> bool:
    challenge = request.get("code_challenge")
    if challenge is None:
        return verifier is None
    if not verifier:
        return False
    return pkce.verifier_matches(verifier, challenge, request.get("code_challenge_method"))


async def redeem(
    db: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    client: lookup.DavinciOAuthClient,
    form: dict[str, str],
) -> tuple[DavinciInteraction, User]:
    code = form.get("code")
    if not code:
        raise invalid_request("code is required.")
    row = await db.scalar(
        sa.select(DavinciInteraction)
        .where(
            DavinciInteraction.code_digest == runtime.sealer.digest(code),
            DavinciInteraction.environment_id == environment_id,
        )
        .with_for_update()
    )
    now = clock.now()
    if (
        row is None
        or row.code_used_at is not None
        or row.code_expires_at is None
        or row.code_expires_at <= now
        or row.request.get("client_id") != client.id
    ):
        raise invalid_grant("The code is invalid, expired, used, or another client's.")
    if form.get("redirect_uri") != row.request.get("redirect_uri"):
        raise invalid_grant("redirect_uri is not the one of the authorization request.")
    if not _pkce_holds(row.request, form.get("code_verifier")):
        raise invalid_grant("The code_verifier does not match the code_challenge.")
    row.code_used_at = now
    user = await db.get(User, row.user_id) if row.user_id else None
    if user is None or not user.enabled:
        raise invalid_grant("The user can no longer sign on.")
    return row, user


def user_claims(user: User, scopes: list[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": str(user.id)}
    if "profile" in scopes:
        names = {
            "preferred_username": user.username,
            "name": user.name_formatted
            or " ".join(part for part in (user.name_given, user.name_family) if part)
            or None,
            "given_name": user.name_given,
            "family_name": user.name_family,
            "email": user.email,
        }
        claims.update({key: value for key, value in names.items() if value})
        if user.email:
            claims["email_verified"] = bool(user.email_verified)
    return claims


async def token_response(
    db: AsyncSession,
    runtime: Runtime,
    issuer: str,
    client: lookup.DavinciOAuthClient,
    row: DavinciInteraction,
    user: User,
) -> dict[str, Any]:
    key = await current_signing_key(db, runtime.sealer, row.environment_id)
    scopes = list(row.request.get("scope") or [])
    now = int(clock.now().timestamp())
    sid = str(row.session_id) if row.session_id else None
    access = sign_access_token(
        key,
        issuer=issuer,
        claims={
            "sub": str(user.id),
            "aud": client.id,
            "client_id": client.id,
            "scope": " ".join(scopes),
            "env": str(row.environment_id),
            **({"sid": sid} if sid else {}),
        },
        lifetime=ACCESS_TOKEN_SECONDS,
    )
    id_claims: dict[str, Any] = {
        "iss": issuer,
        "aud": client.id,
        "iat": now,
        "exp": now + ID_TOKEN_SECONDS,
        "auth_time": int(clock.as_utc(row.completed_at or clock.now()).timestamp()),
        "amr": list(row.amr or []),
        "env": str(row.environment_id),
        **user_claims(user, scopes),
    }
    if row.policy_name:
        id_claims["acr"] = row.policy_name
    if row.request.get("nonce"):
        id_claims["nonce"] = row.request["nonce"]
    if sid:
        id_claims["sid"] = sid
    return {
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        "scope": " ".join(scopes),
        "id_token": jwt.sign(id_claims, key),
    }


async def userinfo(
    db: AsyncSession, runtime: Runtime, environment_id: uuid.UUID, issuer: str, token: str
) -> dict[str, Any]:
    verified = await verify_access_token(db, token)
    claims = verified[1] if verified is not None and verified[0] == environment_id else None
    if claims is None or claims.get("iss") != issuer:
        raise bearer_error(401, "invalid_token", "The access token is invalid or has expired.")
    client = await lookup.oauth_client(db, runtime.sealer, environment_id, str(claims.get("aud")))
    user_id = lookup.parse_id(str(claims.get("sub")))
    user = await db.get(User, user_id) if user_id else None
    if client is None or user is None or user.environment_id != environment_id or not user.enabled:
        raise bearer_error(401, "invalid_token", "The access token is invalid or has expired.")
    scopes = str(claims.get("scope", "")).split()
    if "openid" not in scopes:
        raise bearer_error(403, "insufficient_scope", "The access token lacks the openid scope.")
    return user_claims(user, scopes)
