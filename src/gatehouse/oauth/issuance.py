"""Codes and tokens for a signed-on user: the authorization response (RFC 6749 sections 4.1.2 and
4.2.2, OIDC Core 3.3.2.5) and the token response of the code and refresh grants (RFC 6749 section
5.1, OIDC Core 3.1.3.3)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application, ApplicationAttributeMapping
from gatehouse.common import clock
from gatehouse.common.ids import new_id
from gatehouse.crypto import jwt
from gatehouse.crypto.keys import current_signing_key
from gatehouse.crypto.sealing import Sealer
from gatehouse.directory.models import User
from gatehouse.environments.models import Environment
from gatehouse.oauth.claims import (
    ClaimSources,
    Subject,
    access_token_claims,
    attributes_of,
    id_token_claims,
    mappings_of,
    openid_resource_id,
)
from gatehouse.oauth.errors import OAuthError
from gatehouse.oauth.models import AuthorizationCode, RefreshToken
from gatehouse.oauth.requests import Authentication, AuthorizeRequest
from gatehouse.oauth.scopes import ScopeDecision, allows_multiple_resources, decide, granted_scopes
from gatehouse.oauth.tokens import (
    IssuedToken,
    new_refresh_token,
    remember_in_family,
    sign_access_token,
)
from gatehouse.resources.models import ResourceAttribute
from gatehouse.runtime import Runtime
from gatehouse.store import rows

DEFAULT_REFRESH_TOKEN_SECONDS = 2592000


@dataclass(frozen=True)
class UserGrant:
    """What a user's tokens are minted from: the client, the user and their sign-on, the scopes,
    and the token family every token issued from one code belongs to."""

    environment: Environment
    application: Application
    subject: Subject
    decision: ScopeDecision
    family: uuid.UUID


@dataclass
class Minter:
    """Mints one grant's tokens with the environment's current key; what the claims need is read
    once, when it is made (`minter`)."""

    session: AsyncSession
    sealer: Sealer
    issuer: str
    key: RSAKey
    grant: UserGrant
    attributes: dict[uuid.UUID, list[ResourceAttribute]]
    mappings: list[ApplicationAttributeMapping]

    def access_token(self, *, in_family: bool) -> IssuedToken:
        grant = self.grant
        claims = access_token_claims(
            environment=grant.environment,
            application=grant.application,
            subject=grant.subject,
            decision=grant.decision,
            attributes=self.attributes,
        )
        issued = sign_access_token(
            self.key, issuer=self.issuer, claims=claims, lifetime=grant.decision.lifetime
        )
        if in_family:
            remember_in_family(self.session, grant.environment.id, grant.family, issued)
        return issued

    def id_token(
        self, *, nonce: str | None, access_token: str | None = None, code: str | None = None
    ) -> str:
        grant = self.grant
        openid = openid_resource_id(grant.decision)
        sources = ClaimSources(
            openid_attributes=self.attributes.get(openid, []) if openid else [],
            mappings=self.mappings,
            scopes=grant.decision.openid_scopes,
        )
        claims = id_token_claims(
            issuer=self.issuer,
            environment=grant.environment,
            application=grant.application,
            subject=grant.subject,
            sources=sources,
            issued_at=int(clock.now().timestamp()),
            nonce=nonce,
            access_token=access_token,
            code=code,
        )
        return jwt.sign(claims, self.key)

    async def code(self, request: AuthorizeRequest, lifetime: int) -> str:
        """A single-use authorization code (RFC 6749 section 4.1.2), stored as a keyed digest."""
        grant, now = self.grant, clock.now()
        code = secrets.token_urlsafe(32)
        self.session.add(
            AuthorizationCode(
                environment_id=grant.environment.id,
                code_digest=self.sealer.digest(code),
                application_id=grant.application.id,
                user_id=grant.subject.user.id,
                session_id=_uuid(grant.subject.session_id),
                redirect_uri=request.redirect_uri,
                scope=" ".join(grant.decision.scopes),
                nonce=request.nonce,
                code_challenge=request.code_challenge,
                code_challenge_method=_challenge_method(request),
                auth_time=datetime.fromtimestamp(grant.subject.auth_time, UTC),
                acr=grant.subject.acr,
                amr=list(grant.subject.amr),
                created_at=now,
                expires_at=now + timedelta(seconds=lifetime),
                token_family=grant.family,
            )
        )
        await self.session.flush()
        return code

    async def refresh_token(self, family_expires_at: datetime | None, scopes: list[str]) -> str:
        """A new refresh token of the grant's family. PingOne: each lives refreshTokenDuration,
        and none outlives its family."""
        grant, now = self.grant, clock.now()
        config = grant.application.config
        lifetime = int(config.get("refreshTokenDuration") or DEFAULT_REFRESH_TOKEN_SECONDS)
        expires_at = now + timedelta(seconds=lifetime)
        if family_expires_at is not None:
            expires_at = min(expires_at, family_expires_at)
        token = new_refresh_token()
        self.session.add(
            RefreshToken(
                environment_id=grant.environment.id,
                token_digest=self.sealer.digest(token),
                family=grant.family,
                application_id=grant.application.id,
                user_id=grant.subject.user.id,
                session_id=_uuid(grant.subject.session_id),
                scope=" ".join(scopes),
                auth_time=datetime.fromtimestamp(grant.subject.auth_time, UTC),
                acr=grant.subject.acr,
                amr=list(grant.subject.amr),
                created_at=now,
                family_expires_at=family_expires_at,
                expires_at=expires_at,
            )
        )
        await self.session.flush()
        return token


async def minter(session: AsyncSession, sealer: Sealer, issuer: str, grant: UserGrant) -> Minter:
    key = await current_signing_key(session, sealer, grant.environment.id)
    attributes = await attributes_of(
        session, grant.environment.id, [r.id for r in grant.decision.resources]
    )
    mappings = (
        list(await mappings_of(session, grant.application)) if grant.decision.is_openid else []
    )
    return Minter(session, sealer, issuer, key, grant, attributes, mappings)


async def authorization_response(
    session: AsyncSession,
    runtime: Runtime,
    environment: Environment,
    application: Application,
    request: AuthorizeRequest,
    authn: Authentication,
    issuer: str,
) -> dict[str, str]:
    """The parameters of the authorization response for request.response_type: a code, an access
    token, an ID token (with c_hash and at_hash when issued beside them), and the state."""
    user = await rows.get(session, User, uuid.UUID(authn.user_id))
    if user is None or user.environment_id != environment.id or not user.enabled:
        raise OAuthError("access_denied", "The user cannot sign on.")
    decision = decide(
        list(request.scope),
        await granted_scopes(session, application),
        multiple_resources=allows_multiple_resources(application.config),
    )
    subject = Subject(user, authn.session_id, authn.auth_time, authn.acr, tuple(authn.amr))
    grant = UserGrant(environment, application, subject, decision, new_id())
    mint = await minter(session, runtime.sealer, issuer, grant)
    response: dict[str, str] = {}
    code = access_token = None
    if "code" in request.response_type:
        code = await mint.code(request, runtime.settings.authorization_code_seconds)
        response["code"] = code
    if "token" in request.response_type:
        issued = mint.access_token(in_family=code is not None)
        access_token = issued.token
        response.update(
            access_token=issued.token,
            token_type="Bearer",
            expires_in=str(issued.expires_in),
            scope=" ".join(decision.scopes),
        )
    if "id_token" in request.response_type:
        response["id_token"] = mint.id_token(
            nonce=request.nonce, access_token=access_token, code=code
        )
    if request.state:
        response["state"] = request.state
    return response


async def token_response(
    mint: Minter,
    *,
    nonce: str | None,
    refresh_scopes: list[str] | None,
    family_expires_at: datetime | None,
) -> dict[str, Any]:
    """RFC 6749 section 5.1 with OIDC Core 3.1.3.3: the access token, an ID token when the scopes
    include openid, and a new refresh token of the family for `refresh_scopes` when given."""
    issued = mint.access_token(in_family=True)
    body: dict[str, Any] = {
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "scope": " ".join(mint.grant.decision.scopes),
    }
    if mint.grant.decision.is_openid:
        body["id_token"] = mint.id_token(nonce=nonce, access_token=issued.token)
    if refresh_scopes is not None:
        body["refresh_token"] = await mint.refresh_token(family_expires_at, refresh_scopes)
    return body


def _challenge_method(request: AuthorizeRequest) -> str | None:
    """RFC 7636 section 4.3: the method defaults to plain."""
    if request.code_challenge is None:
        return None
    return request.code_challenge_method or "plain"


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None
