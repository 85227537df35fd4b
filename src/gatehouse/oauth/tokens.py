"""Access tokens: signed JWTs issued with the environment's current key and verified against it
(RFC 9068 profile with PingOne's claims: client_id, env, org, scope)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.crypto import jwt
from gatehouse.crypto.keys import current_signing_key, verification_key
from gatehouse.crypto.sealing import Sealer


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: dict[str, Any]
    expires_in: int


async def issue_access_token(
    session: AsyncSession,
    sealer: Sealer,
    *,
    environment_id: uuid.UUID,
    issuer: str,
    claims: dict[str, Any],
    lifetime: int,
) -> IssuedToken:
    issued_at = int(clock.now().timestamp())
    full = {
        "iss": issuer,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "jti": secrets.token_urlsafe(16),
        **claims,
    }
    key = await current_signing_key(session, sealer, environment_id)
    return IssuedToken(jwt.sign(full, key), full, lifetime)


async def verify_access_token(
    session: AsyncSession, token: str
) -> tuple[uuid.UUID, dict[str, Any]] | None:
    """(environment id, claims) of a token signed by one of our environments' published keys and
    not expired; None otherwise. Audience and issuer are the caller's to check."""
    header = jwt.unverified_header(token)
    kid = header.get("kid") if header else None
    if not isinstance(kid, str) or header.get("alg") != "RS256":
        return None
    found = await verification_key(session, kid)
    if found is None:
        return None
    environment_id, key = found
    claims = jwt.verify(token, key)
    if claims is None:
        return None
    now = clock.now().timestamp()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        return None
    if claims.get("env") not in (None, str(environment_id)):
        return None
    return environment_id, claims
