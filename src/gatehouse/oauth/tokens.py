"""Access tokens: signed JWTs (RFC 9068 profile with PingOne's claims: client_id, env, org, scope),
issued with the environment's current key and verified against it; refresh tokens: opaque random
strings stored as keyed digests, grouped in families; and the revocation of both."""

from __future__ import annotations

import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.crypto import jwt
from gatehouse.crypto.keys import (
    PublishedKeys,
    current_signing_key,
    published_keys,
    verification_key,
)
from gatehouse.crypto.sealing import Sealer
from gatehouse.oauth.models import FamilyAccessToken, RefreshToken, RevokedAccessToken
from gatehouse.store import config_cache


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: dict[str, Any]
    expires_in: int


def sign_access_token(
    key: RSAKey, *, issuer: str, claims: dict[str, Any], lifetime: int
) -> IssuedToken:
    issued_at = int(clock.now().timestamp())
    full = {
        "iss": issuer,
        "iat": issued_at,
        "exp": issued_at + lifetime,
        "jti": secrets.token_urlsafe(16),
        **claims,
    }
    return IssuedToken(jwt.sign(full, key), full, lifetime)


async def issue_access_token(
    session: AsyncSession,
    sealer: Sealer,
    *,
    environment_id: uuid.UUID,
    issuer: str,
    claims: dict[str, Any],
    lifetime: int,
) -> IssuedToken:
    key = await current_signing_key(session, sealer, environment_id)
    return sign_access_token(key, issuer=issuer, claims=claims, lifetime=lifetime)


async def verify_access_token(
    session: AsyncSession, token: str, environment_id: uuid.UUID | None = None
) -> tuple[uuid.UUID, dict[str, Any]] | None:
    """(environment id, claims) of a token signed by one of our environments' published keys (of
    `environment_id`'s, when given), not expired and not revoked; None otherwise. Audience and
    issuer are the caller's to check."""
    verified = await verify_signature(session, token, environment_id)
    if verified is None:
        return None
    environment_id, claims = verified
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= clock.now().timestamp():
        return None
    if await is_revoked(session, environment_id, claims.get("jti")):
        return None
    return environment_id, claims


async def verify_signature(
    session: AsyncSession, token: str, environment_id: uuid.UUID | None = None
) -> tuple[uuid.UUID, dict[str, Any]] | None:
    """(environment id, claims) of a JWT our keys (`environment_id`'s, when given) signed, expired
    or not; None otherwise."""
    remembered = await _remembered(session, token, environment_id)
    if remembered is not None:
        return remembered.environment_id, config_cache.copied_json(remembered.claims)
    header = jwt.unverified_header(token)
    kid = header.get("kid") if header else None
    if not isinstance(kid, str) or header.get("alg") != "RS256":
        return None
    if environment_id is not None:
        keys = await published_keys(session, environment_id)
        found = (environment_id, keys.public[kid]) if kid in keys.public else None
    else:
        found = await _key_named_by(session, token, kid)
    if found is None:
        return None
    environment_id, key = found
    claims = jwt.verify(token, key)
    if claims is None or claims.get("env") not in (None, str(environment_id)):
        return None
    _remember(token, _Verified(environment_id, kid, key, config_cache.copied_json(claims)))
    return environment_id, claims


@dataclass(frozen=True)
class _Verified:
    environment_id: uuid.UUID
    kid: str
    key: RSAKey
    claims: dict[str, Any]


# Tokens whose signature verified, by token: checked again with the same key, a signature gives the
# same answer. One is taken only while its key is among the environment's published keys, which are
# read again once any node changes them (store/config_cache.py): a token of a key retired or removed
# is verified anew, and fails.
_verified: OrderedDict[str, _Verified] = OrderedDict()
MAX_VERIFIED = 4096


async def _remembered(
    session: AsyncSession, token: str, environment_id: uuid.UUID | None
) -> _Verified | None:
    remembered = _verified.get(token)
    if remembered is None or environment_id not in (None, remembered.environment_id):
        return None
    keys = await published_keys_of(session, remembered.environment_id)
    if keys is None or keys.public.get(remembered.kid) is not remembered.key:
        return None
    _verified.move_to_end(token)
    return remembered


def _remember(token: str, verified: _Verified) -> None:
    _verified[token] = verified
    _verified.move_to_end(token)
    while len(_verified) > MAX_VERIFIED:
        _verified.popitem(last=False)


async def _key_named_by(
    session: AsyncSession, token: str, kid: str
) -> tuple[uuid.UUID, RSAKey] | None:
    """The published key `kid` names. The environment a token names (`env`, unverified: only the
    signature check that follows makes it true) is looked up in the cached keys of that
    environment; a token without one, or whose environment does not publish `kid`, by kid."""
    environment_id = _uuid(jwt.unverified_claims(token).get("env"))
    if environment_id is not None:
        keys = await published_keys_of(session, environment_id)
        if keys is not None and kid in keys.public:
            return environment_id, keys.public[kid]
    return await verification_key(session, kid)


async def published_keys_of(
    session: AsyncSession, environment_id: uuid.UUID
) -> PublishedKeys | None:
    if await config_cache.environment_of(session, environment_id) is None:
        return None
    return await published_keys(session, environment_id)


async def is_revoked(session: AsyncSession, environment_id: uuid.UUID, jti: object) -> bool:
    """Whether the environment's access token `jti` is revoked, asked once per revocation version
    (store/config_cache.py)."""
    if not isinstance(jti, str):
        return True

    async def load() -> bool:
        found = await session.scalar(
            sa.select(RevokedAccessToken.jti).where(RevokedAccessToken.jti == jti)
        )
        return found is not None

    return await config_cache.cached(
        session, environment_id, ("revoked", jti), load, counter=config_cache.REVOCATIONS
    )


async def revoke_access_token(
    session: AsyncSession, environment_id: uuid.UUID, claims: dict[str, Any]
) -> None:
    """Record the jti of an unexpired access token until it expires."""
    jti, exp = claims.get("jti"), claims.get("exp")
    if not isinstance(jti, str) or not isinstance(exp, int | float):
        return
    if exp <= clock.now().timestamp() or await is_revoked(session, environment_id, jti):
        return
    await config_cache.revocations_changed(session, [environment_id])
    session.add(
        RevokedAccessToken(
            jti=jti, environment_id=environment_id, expires_at=datetime.fromtimestamp(exp, UTC)
        )
    )
    await session.flush()


def remember_in_family(
    session: AsyncSession, environment_id: uuid.UUID, family: uuid.UUID, issued: IssuedToken
) -> None:
    session.add(
        FamilyAccessToken(
            jti=issued.claims["jti"],
            family=family,
            environment_id=environment_id,
            expires_at=datetime.fromtimestamp(issued.claims["exp"], UTC),
        )
    )


async def revoke_family(session: AsyncSession, family: uuid.UUID) -> None:
    """End a token family: its refresh tokens and its unexpired access tokens."""
    now = clock.now()
    await session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    already = sa.select(RevokedAccessToken.jti).where(
        RevokedAccessToken.jti == FamilyAccessToken.jti
    )
    revoked = await session.execute(
        sa.insert(RevokedAccessToken).from_select(
            ["jti", "environment_id", "expires_at"],
            sa.select(
                FamilyAccessToken.jti,
                FamilyAccessToken.environment_id,
                FamilyAccessToken.expires_at,
            ).where(
                FamilyAccessToken.family == family,
                FamilyAccessToken.expires_at > now,
                ~sa.exists(already),
            ),
        )
    )
    if cast(sa.CursorResult[Any], revoked).rowcount:  # a family without live tokens: no bump
        await config_cache.revocations_changed(
            session,
            sa.select(FamilyAccessToken.environment_id).where(FamilyAccessToken.family == family),
        )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


async def find_refresh_token(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, token: str
) -> RefreshToken | None:
    return await session.scalar(
        sa.select(RefreshToken).where(
            RefreshToken.token_digest == sealer.digest(token),
            RefreshToken.environment_id == environment_id,
        )
    )


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value is not None else None
    except ValueError:
        return None
