"""Keys per environment: creation, rotation, the JWKS, and a per-process cache of parsed keys.

Every key of the /keys resource is a SigningKey row (a key pair and its X.509 certificate); the RSA
keys of usage SIGNING sign tokens: the default one is CURRENT, the one it replaced PREVIOUS.

A kid names one immutable key pair, so parsed keys are kept by kid for the process's lifetime; which
kids are CURRENT and published is cached per configuration version (store/config_cache.py), so a
rotation on one node is seen by every node on its next request.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography import x509
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.crypto.models import SigningKey
from gatehouse.crypto.sealing import Sealer
from gatehouse.keys import certificates
from gatehouse.store import config_cache

ALGORITHM = "RS256"
KEY_SIZE = 2048
SIGNING = "SIGNING"
CURRENT, PREVIOUS, RETIRED, INACTIVE = "CURRENT", "PREVIOUS", "RETIRED", "INACTIVE"
PUBLISHED = (CURRENT, PREVIOUS)
# The key every environment starts with, and each rotation makes.
TOKEN_KEY_NAME = "Token Signing Key"
TOKEN_KEY_SIGNATURE = "SHA256withRSA"
TOKEN_KEY_VALIDITY_DAYS = 1825
EC_ALGORITHMS = {256: "ES256", 384: "ES384", 521: "ES512"}

_private: dict[str, RSAKey] = {}
_public: dict[str, RSAKey] = {}


def _new_kid() -> str:
    return secrets.token_urlsafe(16)


async def create_signing_key(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID
) -> SigningKey:
    """A new RSA SIGNING key with a self-signed certificate, CURRENT (the callers demote the old
    one first)."""
    private_key = certificates.generate_private_key("RSA", KEY_SIZE)
    certificate = certificates.self_signed(
        private_key,
        certificates.parse_dn(f"CN={TOKEN_KEY_NAME}, OU={environment_id}, O=Gatehouse"),
        signature_algorithm=TOKEN_KEY_SIGNATURE,
        validity_days=TOKEN_KEY_VALIDITY_DAYS,
        usage_type=SIGNING,
        now=clock.now(),
    )
    row = new_key(
        sealer, environment_id, private_key, certificate, name=TOKEN_KEY_NAME, usage_type=SIGNING
    )
    row.status, row.is_default = CURRENT, True
    session.add(row)
    await session.flush()
    _private[row.kid] = RSAKey.import_key(private_key, parameters=_jwk_parameters(row))
    return row


def new_key(
    sealer: Sealer,
    environment_id: uuid.UUID,
    private_key: certificates.PrivateKey,
    certificate: x509.Certificate,
    *,
    name: str,
    usage_type: str,
) -> SigningKey:
    """An INACTIVE, non-default row for a key pair and its certificate (not yet added)."""
    kid = _new_kid()
    facts = certificates.facts(certificate)
    row = SigningKey(
        environment_id=environment_id,
        kid=kid,
        algorithm=_jws_algorithm(facts.key_type, facts.key_length),
        status=INACTIVE,
        private_key_sealed=sealer.seal(certificates.private_key_pem(private_key), context=kid),
        name=name,
        usage_type=usage_type,
        is_default=False,
        key_type=facts.key_type,
        key_length=facts.key_length,
        signature_algorithm=facts.signature_algorithm,
        subject_dn=facts.subject_dn,
        issuer_dn=facts.issuer_dn,
        serial_number=facts.serial_number,
        starts_at=facts.starts_at,
        expires_at=facts.expires_at,
        certificate_pem=certificates.certificate_pem(certificate),
    )
    row.public_jwk = _public_jwk(row, certificate)
    return row


def signs_tokens(row: SigningKey) -> bool:
    """Whether the key can be the environment's token signing key (RS256)."""
    return row.usage_type == SIGNING and row.key_type == "RSA"


async def make_current(session: AsyncSession, row: SigningKey) -> None:
    """Make a token-signing-capable key CURRENT: the CURRENT one becomes PREVIOUS (still published),
    the PREVIOUS one is retired."""
    if not signs_tokens(row):
        raise ValueError("only RSA SIGNING keys sign tokens")
    if row.status == CURRENT:
        return
    await _demote_current(session, row.environment_id, keep=row.id)
    row.status, row.is_default = CURRENT, True
    await session.flush()


def change_usage(row: SigningKey, usage_type: str) -> None:
    """Give a key that is not CURRENT another usage type: it is no longer published."""
    if row.status == CURRENT:
        raise ValueError("the CURRENT key keeps its usage")
    row.usage_type = usage_type
    row.public_jwk = _public_jwk(row, certificates.load_pem(row.certificate_pem))
    if row.status == PREVIOUS:
        row.status = RETIRED


async def _demote_current(
    session: AsyncSession, environment_id: uuid.UUID, keep: uuid.UUID | None = None
) -> None:
    await session.execute(
        sa.update(SigningKey)
        .where(
            SigningKey.environment_id == environment_id,
            SigningKey.status == PREVIOUS,
            SigningKey.id != keep if keep else sa.true(),
        )
        .values(status=RETIRED)
    )
    await session.execute(
        sa.update(SigningKey)
        .where(SigningKey.environment_id == environment_id, SigningKey.status == CURRENT)
        .values(status=PREVIOUS, is_default=False, rotated_at=clock.now())
    )


def _jws_algorithm(key_type: str, key_length: int | None) -> str:
    return ALGORITHM if key_type == "RSA" else EC_ALGORITHMS.get(key_length or 0, "ES256")


def _jwk_parameters(row: SigningKey) -> dict[str, str]:
    if row.usage_type == SIGNING:
        return {"kid": row.kid, "use": "sig", "alg": row.algorithm}
    if row.usage_type == "ENCRYPTION":
        return {"kid": row.kid, "use": "enc"}
    return {"kid": row.kid}


def _public_jwk(row: SigningKey, certificate: x509.Certificate) -> dict[str, Any]:
    public_key = certificate.public_key()
    kind = RSAKey if row.key_type == "RSA" else ECKey
    return kind.import_key(public_key, parameters=_jwk_parameters(row)).as_dict(private=False)


async def rotate_signing_key(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID
) -> SigningKey:
    """Make a new CURRENT key; the old one stays published (PREVIOUS) so issued tokens still verify.
    Keys older than that are retired."""
    await _demote_current(session, environment_id)
    return await create_signing_key(session, sealer, environment_id)


@dataclass(frozen=True)
class PublishedKeys:
    """An environment's published token keys (CURRENT, then PREVIOUS), as the JWKS shows them and
    parsed for verification."""

    current_kid: str | None
    public: dict[str, RSAKey]
    jwks: dict[str, Any]


async def published_keys(session: AsyncSession, environment_id: uuid.UUID) -> PublishedKeys:
    """Read once per configuration version (store/config_cache.py): a key rotated on any node is
    used and published by every node from its next request on."""

    async def load() -> PublishedKeys:
        rows = await session.execute(
            sa.select(SigningKey.kid, SigningKey.status, SigningKey.public_jwk)
            .where(
                SigningKey.environment_id == environment_id,
                SigningKey.status.in_(PUBLISHED),
            )
            # CURRENT first (it sorts before PREVIOUS)
            .order_by(SigningKey.status, SigningKey.created_at.desc())
        )
        found = rows.tuples().all()
        return PublishedKeys(
            current_kid=next((kid for kid, status, _ in found if status == CURRENT), None),
            public={kid: _public_key(kid, jwk) for kid, _, jwk in found},
            jwks={"keys": [jwk for _, _, jwk in found]},
        )

    return await config_cache.cached(session, environment_id, "signing_keys", load)


async def current_signing_key(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID
) -> RSAKey:
    kid = (await published_keys(session, environment_id)).current_kid
    if kid is None:
        raise LookupError(f"environment {environment_id} has no signing key")
    key = _private.get(kid)
    if key is None:
        row = await session.scalar(sa.select(SigningKey).where(SigningKey.kid == kid))
        if row is None:
            raise LookupError(f"environment {environment_id} has no signing key")
        key = _private_key(row, sealer)
    return key


async def verification_key(session: AsyncSession, kid: str) -> tuple[uuid.UUID, RSAKey] | None:
    """The environment and public key of a published (not retired) key, by kid; None if unknown."""
    row = (
        await session.execute(
            sa.select(SigningKey.environment_id, SigningKey.public_jwk).where(
                SigningKey.kid == kid, SigningKey.status.in_(PUBLISHED)
            )
        )
    ).first()
    if row is None:
        return None
    environment_id, public_jwk = row
    return environment_id, _public_key(kid, public_jwk)


async def jwks(session: AsyncSession, environment_id: uuid.UUID) -> dict[str, Any]:
    return (await published_keys(session, environment_id)).jwks


def _public_key(kid: str, public_jwk: dict[str, Any]) -> RSAKey:
    key = _public.get(kid)
    if key is None:
        key = _public[kid] = RSAKey.import_key(public_jwk)
    return key


def _private_key(row: SigningKey, sealer: Sealer) -> RSAKey:
    key = _private.get(row.kid)
    if key is None:
        pem = sealer.unseal(row.private_key_sealed, context=row.kid)
        key = RSAKey.import_key(pem, parameters=_jwk_parameters(row))
        _private[row.kid] = key
    return key
