"""Signing keys per environment: creation, rotation, the JWKS, and a per-process cache of parsed keys.

A kid names one immutable key pair, so caching parsed keys by kid is safe across nodes; which kid
is CURRENT is read from the database (rotation on one node is seen by all).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.crypto.models import SigningKey
from gatehouse.crypto.sealing import Sealer

ALGORITHM = "RS256"
KEY_SIZE = 2048

_private: dict[str, RSAKey] = {}
_public: dict[str, RSAKey] = {}


def _new_kid() -> str:
    return secrets.token_urlsafe(16)


async def create_signing_key(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID
) -> SigningKey:
    kid = _new_kid()
    key = RSAKey.generate_key(
        KEY_SIZE, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM}, private=True
    )
    public = key.as_dict(private=False)
    row = SigningKey(
        environment_id=environment_id,
        kid=kid,
        algorithm=ALGORITHM,
        status="CURRENT",
        public_jwk=public,
        private_key_sealed=sealer.seal(key.as_pem(private=True).decode(), context=kid),
    )
    session.add(row)
    await session.flush()
    _private[kid] = key
    return row


async def rotate_signing_key(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID
) -> SigningKey:
    """Make a new CURRENT key; the old one stays published (PREVIOUS) so issued tokens still verify.
    Keys older than that are retired."""
    await session.execute(
        sa.update(SigningKey)
        .where(SigningKey.environment_id == environment_id, SigningKey.status == "PREVIOUS")
        .values(status="RETIRED")
    )
    await session.execute(
        sa.update(SigningKey)
        .where(SigningKey.environment_id == environment_id, SigningKey.status == "CURRENT")
        .values(status="PREVIOUS", rotated_at=clock.now())
    )
    return await create_signing_key(session, sealer, environment_id)


async def current_signing_key(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID
) -> RSAKey:
    row = await session.scalar(
        sa.select(SigningKey).where(
            SigningKey.environment_id == environment_id, SigningKey.status == "CURRENT"
        )
    )
    if row is None:
        raise LookupError(f"environment {environment_id} has no signing key")
    return _private_key(row, sealer)


async def verification_key(session: AsyncSession, kid: str) -> tuple[uuid.UUID, RSAKey] | None:
    """The environment and public key of a published (not retired) key, by kid; None if unknown."""
    row = (
        await session.execute(
            sa.select(SigningKey.environment_id, SigningKey.public_jwk).where(
                SigningKey.kid == kid, SigningKey.status != "RETIRED"
            )
        )
    ).first()
    if row is None:
        return None
    environment_id, public_jwk = row
    key = _public.get(kid)
    if key is None:
        key = _public[kid] = RSAKey.import_key(public_jwk)
    return environment_id, key


async def jwks(session: AsyncSession, environment_id: uuid.UUID) -> dict[str, Any]:
    rows = await session.scalars(
        sa.select(SigningKey.public_jwk)
        .where(
            SigningKey.environment_id == environment_id,
            SigningKey.status.in_(("CURRENT", "PREVIOUS")),
        )
        .order_by(SigningKey.created_at.desc())
    )
    return {"keys": list(rows)}


def _private_key(row: SigningKey, sealer: Sealer) -> RSAKey:
    key = _private.get(row.kid)
    if key is None:
        pem = sealer.unseal(row.private_key_sealed, context=row.kid)
        key = RSAKey.import_key(
            pem, parameters={"kid": row.kid, "use": "sig", "alg": row.algorithm}
        )
        _private[row.kid] = key
    return key
