"""JWTs an application signs for /as/authorize: the `login_hint_token` (pingone/08 section 3) and
the request object (RFC 9101 sections 4 and 6, OpenID Connect Core 1.0 section 6.1).

A JWT is verified with the application's own keys: HS256/384/512 with its client secret (the
current one, or the previous one while it still works), or RS/PS/ES/EdDSA with the public keys it
registered (`jwks`, or the set at `jwksUrl`). Its header must not name `enc` or `cty` (no
encrypted or nested JWTs). When signed it must carry `iss` = the client id and an `aud` naming the
environment's issuer; `exp` is checked when present and required when the caller says so, `nbf`
when present, both with a minute of clock skew. An unsigned one (`alg` none, empty signature) is
accepted only where the caller allows it, and then its claims prove nothing.

Every refusal is a ClientJwtError whose message says what is wrong (the callers decide how much
of it the client sees).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.applications.secrets import reveal, secrets_of
from gatehouse.common import clock
from gatehouse.crypto.sealing import Sealer
from gatehouse.federation import key_sets
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.oauth.clients import (
    HMAC_ALGORITHMS,
    KEYS_UNAVAILABLE,
    SIGNATURE_ALGORITHMS,
    client_keys,
)

CLOCK_SKEW = 60
UNSIGNED = "none"
FORBIDDEN_HEADERS = ("enc", "cty")


class ClientJwtError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class VerifiedJwt:
    claims: dict[str, Any]
    signed: bool


async def verify_client_jwt(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    application: Application,
    token: str,
    issuer: str,
    *,
    allow_unsigned: bool = False,
    require_exp: bool = False,
) -> VerifiedJwt:
    """The claims of `token`, signed by `application` for `issuer` (or unsigned, when allowed);
    a jwksUrl is fetched under `policy`."""
    header, payload, signature = _parts(token)
    algorithm = header.get("alg")
    if algorithm == UNSIGNED:
        if not allow_unsigned:
            raise ClientJwtError("The JWT must be signed.")
        if signature:
            raise ClientJwtError("An unsigned JWT must have an empty signature.")
        return VerifiedJwt(payload, signed=False)
    claims = await _verified(session, sealer, policy, application, token, header)
    _check_claims(claims, str(application.id), issuer, require_exp=require_exp)
    return VerifiedJwt(claims, signed=True)


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    pieces = token.split(".")
    if len(pieces) != 3:
        raise ClientJwtError("The value is not a JWT (JWS compact serialization).")
    header, payload = (_json_object(piece) for piece in pieces[:2])
    for name in FORBIDDEN_HEADERS:
        if name in header:
            raise ClientJwtError(f"The JWT header must not contain {name!r}.")
    return header, payload, pieces[2]


def _json_object(piece: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4)))
    except (ValueError, TypeError):
        raise ClientJwtError("The JWT is malformed.") from None
    if not isinstance(value, dict):
        raise ClientJwtError("The JWT is malformed.")
    return value


async def _verified(
    session: AsyncSession,
    sealer: Sealer,
    policy: OutboundPolicy,
    application: Application,
    token: str,
    header: dict[str, Any],
) -> dict[str, Any]:
    algorithm, kid = header.get("alg"), header.get("kid")
    if algorithm in HMAC_ALGORITHMS:
        for row in await secrets_of(session, application.id):
            claims = _decode(token, OctKey.import_key(reveal(sealer, row)), HMAC_ALGORITHMS)
            if claims is not None:
                return claims
        raise ClientJwtError("The JWT's signature does not verify with the client secret.")
    if algorithm in SIGNATURE_ALGORITHMS:
        try:
            keys = await client_keys(application, policy, kid if isinstance(kid, str) else None)
        except key_sets.KeySetError:
            raise ClientJwtError(KEYS_UNAVAILABLE) from None
        claims = _decode(token, keys, SIGNATURE_ALGORITHMS)
        if claims is None:
            raise ClientJwtError("The JWT's signature does not verify with the client's keys.")
        return claims
    raise ClientJwtError(f"The JWT's algorithm {algorithm!r} is not supported.")


def _decode(
    token: str, key: OctKey | KeySet | None, algorithms: Collection[str]
) -> dict[str, Any] | None:
    if key is None:
        return None
    try:
        return dict(jwt.decode(token, key, algorithms=list(algorithms)).claims)
    except (JoseError, ValueError, TypeError):
        return None


def _check_claims(
    claims: dict[str, Any], client_id: str, issuer: str, *, require_exp: bool
) -> None:
    if claims.get("iss") != client_id:
        raise ClientJwtError("The JWT's iss must be the client_id.")
    audience = claims.get("aud")
    named = audience if isinstance(audience, list) else [audience]
    if issuer not in named:
        raise ClientJwtError(f"The JWT's aud must name {issuer}.")
    now = clock.now().timestamp()
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is None and require_exp:
        raise ClientJwtError("The JWT has no exp.")
    if exp is not None and (not _is_number(exp) or exp + CLOCK_SKEW <= now):
        raise ClientJwtError("The JWT has expired.")
    if nbf is not None and (not _is_number(nbf) or nbf - CLOCK_SKEW > now):
        raise ClientJwtError("The JWT is not valid yet.")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
