"""The token endpoint's grants (RFC 6749 sections 4.1.3, 4.4 and 6, RFC 7636 section 4.6): each
grant is one function from an authenticated client and the form to a token response."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from gatehouse.applications.models import Application
from gatehouse.common import clock
from gatehouse.directory.models import User
from gatehouse.environments.models import Environment
from gatehouse.oauth import pkce
from gatehouse.oauth.claims import Subject
from gatehouse.oauth.errors import (
    OAuthError,
    invalid_grant,
    invalid_request,
    invalid_scope,
    unauthorized_client,
)
from gatehouse.oauth.issuance import UserGrant, minter, token_response
from gatehouse.oauth.models import AuthorizationCode, RefreshToken
from gatehouse.oauth.scopes import (
    GrantedScope,
    ScopeDecision,
    allows_multiple_resources,
    decide,
    granted_scopes,
)
from gatehouse.oauth.tokens import find_refresh_token, issue_access_token, revoke_family
from gatehouse.resources.models import Resource
from gatehouse.runtime import Runtime
from gatehouse.sessions.models import Session
from gatehouse.store import config_cache, rows

# RFC 7636 section 4.1: code_verifier = 43*128unreserved


@dataclass
class RefusedAfterRevoking(Exception):
    """A refusal whose revocations must still be committed (a replayed code or refresh token)."""

    error: OAuthError


def _require_grant_type(application: Application, grant_type: str, name: str) -> None:
    if grant_type not in application.config.get("grantTypes", []):
        raise unauthorized_client(f"This application may not use the {name} grant.")


# --- authorization_code (RFC 6749 section 4.1.3) ----------------------------------------------


async def authorization_code(
    session: AsyncSession,
    runtime: Runtime,
    environment: Environment,
    issuer: str,
    application: Application,
    form: Mapping[str, str],
) -> dict[str, Any]:
    _require_grant_type(application, "AUTHORIZATION_CODE", "authorization_code")
    presented = form.get("code")
    if not presented:
        raise invalid_request("code is required.")
    code = await session.scalar(
        sa.select(AuthorizationCode).where(
            AuthorizationCode.code_digest == runtime.sealer.digest(presented),
            AuthorizationCode.environment_id == environment.id,
        )
    )
    if code is None or code.application_id != application.id:
        raise invalid_grant("The authorization code is invalid.")
    if code.redeemed_at is not None or not await _redeem(session, code):
        # 4.1.2: a code used twice revokes the tokens issued from it.
        await revoke_family(session, code.token_family)
        raise RefusedAfterRevoking(invalid_grant("The authorization code was already used."))
    if code.expires_at <= clock.now():
        raise invalid_grant("The authorization code has expired.")
    if code.redirect_uri is not None and form.get("redirect_uri") != code.redirect_uri:
        raise invalid_grant("redirect_uri does not match the authorization request.")
    _check_code_verifier(application, code, form.get("code_verifier"))
    user = await _active_user(session, code.user_id)
    if user is None:
        raise invalid_grant("The user can no longer sign on.")
    granted = await granted_scopes(session, application)
    decision = _still_granted(application, granted, code.scope.split())
    subject = Subject(user, _str(code.session_id), _epoch(code), code.acr, tuple(code.amr or ()))
    grant = UserGrant(environment, application, subject, decision, code.token_family)
    mint = await minter(session, runtime.sealer, issuer, grant)
    rolling = application.config.get("refreshTokenRollingDuration")
    family_expires_at = clock.now() + timedelta(seconds=int(rolling)) if rolling else None
    return await token_response(
        mint,
        nonce=code.nonce,
        refresh_scopes=decision.scopes if _issues_refresh_tokens(application) else None,
        family_expires_at=family_expires_at,
    )


async def _redeem(session: AsyncSession, code: AuthorizationCode) -> bool:
    """Mark the code used; False when a concurrent request redeemed it first."""
    now = clock.now()
    result = await session.execute(
        sa.update(AuthorizationCode)
        .where(AuthorizationCode.id == code.id, AuthorizationCode.redeemed_at.is_(None))
        .values(redeemed_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(code, "redeemed_at", now)  # written above: no second UPDATE
    return cast(sa.CursorResult[Any], result).rowcount == 1


def _check_code_verifier(
    application: Application, code: AuthorizationCode, verifier: str | None
) -> None:
    """RFC 7636 4.6. A public client, or one whose pkceEnforcement requires it, must have used
    PKCE (S256 with S256_REQUIRED); a verifier without a challenge is refused (OAuth 2.1 section
    4.1.3), so PKCE cannot be stripped from a request."""
    enforcement = application.config.get("pkceEnforcement", "OPTIONAL")
    if code.code_challenge is None:
        if verifier is not None:
            raise invalid_grant("code_verifier was sent, but the authorization had no challenge.")
        if enforcement != "OPTIONAL" or application.config.get("tokenEndpointAuthMethod") == "NONE":
            raise invalid_grant("This client must use PKCE (RFC 7636).")
        return
    if enforcement == "S256_REQUIRED" and code.code_challenge_method != "S256":
        raise invalid_grant("This client must use the S256 code challenge method.")
    if verifier is None:
        raise invalid_grant("code_verifier is required.")
    if not pkce.well_formed(verifier):
        raise invalid_grant("code_verifier must be 43 to 128 unreserved characters.")
    if not pkce.verifier_matches(verifier, code.code_challenge, code.code_challenge_method):
        raise invalid_grant("code_verifier does not match the code challenge.")


def _issues_refresh_tokens(application: Application) -> bool:
    """PingOne: every token response of an application with the REFRESH_TOKEN grant carries a
    refresh token (offline_access is not needed)."""
    return "REFRESH_TOKEN" in application.config.get("grantTypes", [])


# --- refresh_token (RFC 6749 section 6) -------------------------------------------------------


async def refresh_token(
    session: AsyncSession,
    runtime: Runtime,
    environment: Environment,
    issuer: str,
    application: Application,
    form: Mapping[str, str],
) -> dict[str, Any]:
    """Rotation: every use returns a new refresh token of the family and marks the old one
    used. A used token presented again past the application's grace period is invalid_grant and,
    with additionalRefreshTokenReplayProtectionEnabled, ends the family."""
    _require_grant_type(application, "REFRESH_TOKEN", "refresh_token")
    presented = form.get("refresh_token")
    if not presented:
        raise invalid_request("refresh_token is required.")
    token = await find_refresh_token(session, runtime.sealer, environment.id, presented)
    if token is None or token.application_id != application.id or token.revoked_at is not None:
        raise invalid_grant("The refresh token is invalid.")
    now = clock.now()
    if token.expires_at <= now or (
        token.family_expires_at is not None and token.family_expires_at <= now
    ):
        raise invalid_grant("The refresh token has expired.")
    if not await _use(session, token, application):
        if application.config.get("additionalRefreshTokenReplayProtectionEnabled", True):
            await revoke_family(session, token.family)
            raise RefusedAfterRevoking(invalid_grant("The refresh token was already used."))
        raise invalid_grant("The refresh token was already used.")
    user = await _active_user(session, token.user_id)
    if user is None or await _session_ended(session, token):
        await revoke_family(session, token.family)
        raise RefusedAfterRevoking(invalid_grant("The user's sign-on has ended."))
    original = token.scope.split()
    requested = form["scope"].split() if form.get("scope") else original
    if not set(requested) <= set(original):
        raise invalid_scope("A refresh may narrow the scope, never widen it.")
    granted = await granted_scopes(session, application)
    subject = Subject(user, _str(token.session_id), _epoch(token), token.acr, tuple(token.amr))
    grant = UserGrant(
        environment,
        application,
        subject,
        _still_granted(application, granted, requested),
        token.family,
    )
    mint = await minter(session, runtime.sealer, issuer, grant)
    # 6: the new refresh token keeps the scope of the one it replaces.
    return await token_response(
        mint, nonce=None, refresh_scopes=original, family_expires_at=token.family_expires_at
    )


async def _use(session: AsyncSession, token: RefreshToken, application: Application) -> bool:
    """Mark the token used. A token already used may be used again within
    refreshTokenRollingGracePeriodDuration of its first use (a client that lost the response)."""
    now = clock.now()
    if token.used_at is not None:
        grace = int(application.config.get("refreshTokenRollingGracePeriodDuration") or 0)
        return now <= token.used_at + timedelta(seconds=grace)
    result = await session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(token, "used_at", now)  # written above: no second UPDATE
    return cast(sa.CursorResult[Any], result).rowcount == 1


async def _session_ended(session: AsyncSession, token: RefreshToken) -> bool:
    if token.session_id is None:
        return False
    revoked_at = await session.scalar(
        sa.select(Session.revoked_at).where(Session.id == token.session_id)
    )
    return revoked_at is not None


# --- client_credentials (RFC 6749 section 4.4) --------------------------------------------------


async def client_credentials(
    session: AsyncSession,
    runtime: Runtime,
    environment: Environment,
    issuer: str,
    application: Application,
    form: Mapping[str, str],
) -> dict[str, Any]:
    _require_grant_type(application, "CLIENT_CREDENTIALS", "client_credentials")
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
        for scope in await granted_scopes(session, application)
        if scope.resource.type != "OPENID_CONNECT"
    ]
    if requested:
        return decide(
            requested, granted, multiple_resources=allows_multiple_resources(application.config)
        )
    if application.type == "WORKER":
        api = await _pingone_api(session, application.environment_id)
        if api is None:
            raise invalid_scope("This environment has no PingOne API resource.")
        return ScopeDecision([], [api])
    resources = {scope.resource.id for scope in granted}
    if len(resources) != 1:
        raise invalid_scope("The scope parameter is required for this application.")
    return decide([scope.name for scope in granted], granted, multiple_resources=False)


async def _pingone_api(session: AsyncSession, environment_id: uuid.UUID) -> Resource | None:
    async def load() -> Resource | None:
        api = await session.scalar(
            sa.select(Resource).where(
                Resource.environment_id == environment_id, Resource.type == "PINGONE_API"
            )
        )
        return None if api is None else config_cache.detached_copy(api)

    return await config_cache.cached(session, environment_id, "pingone_api", load)


# --- shared ------------------------------------------------------------------------------------


def _still_granted(
    application: Application, granted: list[GrantedScope], scopes: list[str]
) -> ScopeDecision:
    """The scopes of a grant that the application still holds (a grant removed since the user
    signed on narrows the tokens issued from it)."""
    names = {scope.name for scope in granted}
    return decide(
        [name for name in scopes if name in names],
        granted,
        multiple_resources=allows_multiple_resources(application.config),
    )


async def _active_user(session: AsyncSession, user_id: object) -> User | None:
    user = await rows.get(session, User, user_id)
    return user if user is not None and user.enabled else None


def _epoch(row: AuthorizationCode | RefreshToken) -> int:
    return int(clock.as_utc(row.auth_time).timestamp())


def _str(value: object | None) -> str | None:
    return str(value) if value is not None else None
