"""Client authentication (RFC 6749 section 2.3, OIDC Core section 9, RFC 7523 sections 2.2 and 3):
client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt and none, each accepted
only when it is the application's tokenEndpointAuthMethod."""

from __future__ import annotations

import base64
import functools
import json
import logging
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey
from joserfc.jws import extract_compact
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.applications.secrets import check_secret, reveal, secrets_of
from gatehouse.common import clock
from gatehouse.crypto.sealing import Sealer
from gatehouse.federation import key_sets
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.oauth.errors import invalid_client, invalid_request
from gatehouse.oauth.models import UsedClientAssertion
from gatehouse.store import config_cache

BASIC, POST = "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST"
SECRET_JWT, PRIVATE_KEY_JWT, NONE = "CLIENT_SECRET_JWT", "PRIVATE_KEY_JWT", "NONE"
AUTH_METHODS = (BASIC, POST, SECRET_JWT, PRIVATE_KEY_JWT, NONE)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
SIGNATURE_ALGORITHMS = (
    *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    *("ES256", "ES384", "ES512", "EdDSA"),
)
CLOCK_SKEW = 60
MAX_JTI = 256
# RFC 7523 3, item 4: an exp unreasonably far in the future may be refused (it also bounds how
# long a used jti is kept)
MAX_ASSERTION_LIFETIME = 86400
KEYS_UNAVAILABLE = "The keys at the client's jwksUrl cannot be fetched."

log = logging.getLogger("gatehouse.oauth")


@dataclass(frozen=True)
class PresentedCredentials:
    method: str  # one of AUTH_METHODS
    client_id: str
    secret: str | None = None
    assertion: str | None = None


def presented_credentials(
    authorization: str | None, form: Mapping[str, str]
) -> PresentedCredentials:
    """How the client authenticates, read from the request; one method only (2.3)."""
    scheme, _, value = (authorization or "").partition(" ")
    in_form = [name for name in ("client_secret", "client_assertion") if form.get(name)]
    if scheme.lower() == "basic":
        if in_form:
            raise invalid_request("Use one client authentication method, not several.")
        client_id, secret = _basic(value)
        return PresentedCredentials(BASIC, client_id, secret)
    if len(in_form) > 1:
        raise invalid_request("Use one client authentication method, not several.")
    if form.get("client_assertion_type") or form.get("client_assertion"):
        return _assertion(form)
    client_id = form.get("client_id")
    if not client_id:
        raise invalid_client("Client authentication is required.")
    if form.get("client_secret") is not None:
        return PresentedCredentials(POST, client_id, form["client_secret"])
    return PresentedCredentials(NONE, client_id)


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, or a non-ASCII header
        raise invalid_client("Malformed HTTP Basic credentials.", "Basic") from None
    client_id, separator, secret = decoded.partition(":")
    if not separator or not client_id:
        raise invalid_client("Malformed HTTP Basic credentials.", "Basic")
    # 2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def _assertion(form: Mapping[str, str]) -> PresentedCredentials:
    """RFC 7523 2.2: the client is the assertion's subject; client_id, when sent, must agree."""
    if form.get("client_assertion_type") != JWT_BEARER:
        raise invalid_client(f"client_assertion_type must be {JWT_BEARER}.")
    assertion = form.get("client_assertion") or ""
    header, claims = _unverified(assertion)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise invalid_client("The client assertion has no sub.")
    if form.get("client_id") not in (None, subject):
        raise invalid_client("client_id does not match the client assertion's subject.")
    method = SECRET_JWT if header.get("alg") in HMAC_ALGORITHMS else PRIVATE_KEY_JWT
    return PresentedCredentials(method, subject, assertion=assertion)


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        compact = extract_compact(assertion.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError):
        raise invalid_client("The client assertion is not a signed JWT.") from None
    if not isinstance(claims, dict):
        raise invalid_client("The client assertion is not a signed JWT.")
    return dict(compact.protected), claims


async def authenticate_client(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    environment_id: uuid.UUID,
    credentials: PresentedCredentials,
    audiences: Collection[str] = (),
) -> Application:
    """The enabled application of the environment that `credentials` prove; invalid_client
    otherwise. `audiences` are the values a client assertion's aud may name (RFC 7523 3, item 3);
    a jwksUrl is fetched under `policy`."""
    scheme = "Basic" if credentials.method == BASIC else None
    application = await find_application(session, environment_id, credentials.client_id)
    if application is None or not application.enabled:
        raise invalid_client("Unknown or disabled client.", scheme)
    expected = application.config.get("tokenEndpointAuthMethod", BASIC)
    if credentials.method != expected:
        raise invalid_client(
            f"This client authenticates with {expected.lower()}, not {credentials.method.lower()}.",
            scheme,
        )
    if credentials.method == NONE:
        return application
    if credentials.assertion is not None:
        await _check_assertion(
            session, sealer, policy, application, credentials.assertion, audiences
        )
        return application
    if not credentials.secret or not await check_secret(
        session, sealer, application, credentials.secret
    ):
        raise invalid_client("Client authentication failed.", scheme)
    return application


async def find_application(
    session: AsyncSession, environment_id: uuid.UUID, client_id: str
) -> Application | None:
    try:
        application_id = uuid.UUID(client_id)
    except ValueError:
        return None
    return await application_of(session, environment_id, application_id)


async def application_of(
    session: AsyncSession, environment_id: uuid.UUID, application_id: uuid.UUID
) -> Application | None:
    """The environment's application with this id (None if it has none), read once per
    configuration version (store/config_cache.py) and attached to `session`."""

    async def load() -> Application | None:
        row = await session.get(Application, application_id)
        if row is None or row.environment_id != environment_id:
            return None
        return config_cache.detached_copy(row)

    copy = await config_cache.cached(session, environment_id, ("application", application_id), load)
    return None if copy is None else config_cache.attached(session, copy)


# --- client assertions (RFC 7523 section 3) ---------------------------------------------------


async def _check_assertion(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    application: Application,
    assertion: str,
    audiences: Collection[str],
) -> None:
    claims = await _verified_claims(session, sealer, policy, application, assertion)
    client_id = str(application.id)
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise invalid_client("The client assertion's iss and sub must be the client_id.")
    audience = claims.get("aud")
    named = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(value, str) and value in audiences for value in named):
        raise invalid_client("The client assertion's aud does not name this server.")
    now = clock.now().timestamp()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or exp + CLOCK_SKEW <= now:
        raise invalid_client("The client assertion has expired or has no exp.")
    if exp > now + MAX_ASSERTION_LIFETIME:
        raise invalid_client("The client assertion's exp is unreasonably far in the future.")
    if nbf is not None and (not isinstance(nbf, int | float) or nbf - CLOCK_SKEW > now):
        raise invalid_client("The client assertion is not valid yet.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
        raise invalid_client("The client assertion needs a jti of at most 256 characters.")
    await _use_once(session, application.id, jti, exp + CLOCK_SKEW)


async def _use_once(
    session: AsyncSession, application_id: uuid.UUID, jti: str, expires: float
) -> None:
    """Item 7: a jti is accepted once; it is kept until the assertion expires."""
    seen = await session.scalar(
        sa.select(UsedClientAssertion.jti).where(
            UsedClientAssertion.application_id == application_id, UsedClientAssertion.jti == jti
        )
    )
    if seen is not None:
        raise invalid_client("The client assertion was already used.")
    session.add(
        UsedClientAssertion(
            application_id=application_id,
            jti=jti,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )
    )
    try:
        await session.flush()
    except IntegrityError:
        raise invalid_client("The client assertion was already used.") from None


async def _verified_claims(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    application: Application,
    assertion: str,
) -> dict[str, Any]:
    """The claims of an assertion signed with the client's secret (client_secret_jwt) or one of
    its registered keys (private_key_jwt)."""
    if application.config.get("tokenEndpointAuthMethod") == SECRET_JWT:
        for row in await secrets_of(session, application.id):
            claims = _decode(assertion, OctKey.import_key(reveal(sealer, row)), HMAC_ALGORITHMS)
            if claims is not None:
                return claims
        raise invalid_client("The client assertion's signature does not verify.")
    try:
        keys = await client_keys(application, policy, key_sets.token_kid(assertion))
    except key_sets.KeySetError:
        raise invalid_client(KEYS_UNAVAILABLE) from None
    claims = _decode(assertion, keys, SIGNATURE_ALGORITHMS)
    if claims is None:
        raise invalid_client("The client assertion's signature does not verify.")
    return claims


def _decode(
    assertion: str, key: OctKey | KeySet | None, algorithms: Collection[str]
) -> dict[str, Any] | None:
    if key is None:
        return None
    try:
        return dict(jwt.decode(assertion, key, algorithms=list(algorithms)).claims)
    except (JoseError, ValueError, TypeError):
        return None


# --- the client's keys: jwks, or the set at jwksUrl (federation.key_sets) ----------------------

JWKS_CACHE_SIZE = 1024


async def client_keys(
    application: Application, policy: OutboundPolicy, kid: str | None
) -> KeySet | None:
    """The application's registered public keys to verify a JWT whose header names `kid`: its
    jwks (parsed once per process), or the set at its jwksUrl fetched under `policy` (kept for a
    few minutes, fetched again once for an unknown kid); KeySetError when that cannot be had."""
    inline, url = application.config.get("jwks"), application.config.get("jwksUrl")
    if inline:
        return _key_set(inline)
    if not url:
        return None
    try:
        return await key_sets.key_set(url, policy, kid)
    except key_sets.KeySetError as error:
        log.info("jwksUrl of client %s refused or failed: %s", application.id, error.message)
        raise


@functools.lru_cache(maxsize=JWKS_CACHE_SIZE)
def _key_set(text: str) -> KeySet | None:
    try:
        return KeySet.import_key_set(json.loads(text))
    except (JoseError, ValueError, TypeError, KeyError):
        return None
