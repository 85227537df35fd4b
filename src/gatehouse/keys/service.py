"""Keys (key pairs with a certificate, /keys) and certificates (/certificates) of an environment.

Rules:
- Every usage type that has keys has exactly one default key: the first key of a usage type
  becomes its default; making another key the default unsets the previous one; the default cannot
  be set to `default: false`, change its usage type, or be deleted while other keys of its usage
  type exist (make another key the default first).
- The default SIGNING key is the environment's token signing key (CURRENT in the crypto context):
  only an RSA key can be it, since tokens are signed with RS256. Making another key the default
  makes it CURRENT; the one it replaces stays published (PREVIOUS) so issued tokens still verify.
  It can never be deleted: an environment always signs its tokens.
- Generated keys are self-signed, so `issuerDN`, when sent, must be the `subjectDN`; a key's
  issuer never changes afterwards.
- Keys and certificates that a SAML identity provider uses (spSigning.key, idpVerification
  certificates) or a SAML application uses (idpSigning.key, spVerification certificates) cannot
  be deleted, and such a key keeps its SIGNING usage.
- A certificate is imported once per environment (the same certificate again is a uniqueness
  violation); an expired one is accepted and shows status EXPIRED.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import (
    invalid_value,
    not_found,
    request_failed,
    uniqueness_violation,
)
from gatehouse.crypto import keys
from gatehouse.crypto.models import SigningKey
from gatehouse.crypto.sealing import Sealer
from gatehouse.federation.service import saml_providers_using
from gatehouse.keys import certificates
from gatehouse.keys.models import Certificate
from gatehouse.keys.schemas import CertificateImport, KeyCreate, KeyImport, KeyUpdate
from gatehouse.saml.service import applications_using as saml_applications_using

RSA_ONLY = "Only RSA keys can be the default SIGNING key: tokens are signed with RS256."


# Keys


async def list_keys(session: AsyncSession, environment_id: uuid.UUID) -> Sequence[SigningKey]:
    rows = await session.scalars(
        sa.select(SigningKey)
        .where(SigningKey.environment_id == environment_id)
        .order_by(SigningKey.created_at, SigningKey.id)
    )
    return rows.all()


async def get_key(
    session: AsyncSession, environment_id: uuid.UUID, key_id: uuid.UUID
) -> SigningKey:
    row = await session.get(SigningKey, key_id)
    if row is None or row.environment_id != environment_id:
        raise not_found()
    return row


async def generate_key(
    session: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, data: KeyCreate
) -> SigningKey:
    _check_generation(data)
    private_key = certificates.generate_private_key(data.algorithm, data.key_length)
    certificate = certificates.self_signed(
        private_key,
        certificates.parse_dn(data.subject_dn),
        signature_algorithm=data.signature_algorithm,
        validity_days=data.validity_period,
        usage_type=data.usage_type,
        now=clock.now(),
    )
    row = keys.new_key(
        sealer,
        environment_id,
        private_key,
        certificate,
        name=data.name,
        usage_type=data.usage_type,
    )
    return await _add_key(session, row, wanted_default=data.default)


async def import_key(
    session: AsyncSession,
    sealer: Sealer,
    environment_id: uuid.UUID,
    file: bytes,
    data: KeyImport,
) -> SigningKey:
    """A key pair from a PKCS#12 file; named after its certificate's subject."""
    try:
        private_key, certificate = certificates.load_pkcs12(file, data.password)
    except ValueError as error:
        raise invalid_value("file", str(error)) from None
    name = certificates.common_name(certificate.subject) or certificates.format_dn(
        certificate.subject
    )
    row = keys.new_key(
        sealer,
        environment_id,
        private_key,
        certificate,
        name=name[:256],
        usage_type=data.usage_type,
    )
    return await _add_key(session, row, wanted_default=False)


async def update_key(session: AsyncSession, row: SigningKey, data: KeyUpdate) -> SigningKey:
    if data.issuer_dn is not None and data.issuer_dn != row.issuer_dn:
        raise invalid_value("issuerDN", "The issuer of a key's certificate cannot be changed.")
    if data.usage_type != row.usage_type:
        await _change_usage(session, row, data.usage_type)
    if row.is_default and not data.default:
        raise request_failed(
            "The default key of a usage type stays the default until another key is made the "
            "default."
        )
    await _settle_default(session, row, wanted=data.default)
    row.updated_at = clock.now()
    await session.flush()
    return row


async def delete_key(session: AsyncSession, row: SigningKey) -> None:
    if row.is_default and row.usage_type == keys.SIGNING:
        raise request_failed(
            "The default SIGNING key signs the environment's tokens: make another key the "
            "default first."
        )
    if row.is_default and await _others_of_usage(session, row):
        raise request_failed(
            f"This is the default {row.usage_type} key: make another key the default first."
        )
    await _ensure_unused_key(session, row)
    await session.delete(row)
    await session.flush()


def _check_generation(data: KeyCreate) -> None:
    problem = certificates.key_length_problem(data.algorithm, data.key_length)
    if problem:
        raise invalid_value("keyLength", problem)
    problem = certificates.signature_problem(data.algorithm, data.signature_algorithm)
    if problem:
        raise invalid_value("signatureAlgorithm", problem)
    if data.issuer_dn is not None and data.issuer_dn != data.subject_dn:
        raise invalid_value(
            "issuerDN", "Generated keys are self-signed: the issuerDN must be the subjectDN."
        )
    if data.default and data.usage_type == keys.SIGNING and data.algorithm != "RSA":
        raise invalid_value("default", RSA_ONLY)


async def _add_key(session: AsyncSession, row: SigningKey, *, wanted_default: bool) -> SigningKey:
    session.add(row)
    await session.flush()
    await _settle_default(session, row, wanted=wanted_default)
    return row


async def _settle_default(session: AsyncSession, row: SigningKey, *, wanted: bool) -> None:
    """Make `row` the default of its usage type when asked, or when that type has none (an EC
    SIGNING key never is)."""
    if row.is_default:
        return
    if wanted and row.usage_type == keys.SIGNING and not keys.signs_tokens(row):
        raise invalid_value("default", RSA_ONLY)
    if not wanted and await _default_of_usage(session, row) is not None:
        return
    if row.usage_type == keys.SIGNING:
        if keys.signs_tokens(row):
            await keys.make_current(session, row)
        return
    await session.execute(
        sa.update(SigningKey)
        .where(
            SigningKey.environment_id == row.environment_id,
            SigningKey.usage_type == row.usage_type,
            SigningKey.id != row.id,
        )
        .values(is_default=False)
    )
    row.is_default = True


async def _change_usage(session: AsyncSession, row: SigningKey, usage_type: str) -> None:
    if row.is_default:
        raise request_failed(
            "The default key of a usage type keeps its usage type: make another key the default "
            "first."
        )
    if row.usage_type == keys.SIGNING:
        await _ensure_unused_key(session, row)
    keys.change_usage(row, usage_type)


async def _default_of_usage(session: AsyncSession, row: SigningKey) -> uuid.UUID | None:
    return await session.scalar(
        sa.select(SigningKey.id).where(
            SigningKey.environment_id == row.environment_id,
            SigningKey.usage_type == row.usage_type,
            SigningKey.is_default.is_(True),
            SigningKey.id != row.id,
        )
    )


async def _others_of_usage(session: AsyncSession, row: SigningKey) -> bool:
    other = await session.scalar(
        sa.select(SigningKey.id)
        .where(
            SigningKey.environment_id == row.environment_id,
            SigningKey.usage_type == row.usage_type,
            SigningKey.id != row.id,
        )
        .limit(1)
    )
    return other is not None


async def _ensure_unused_key(session: AsyncSession, row: SigningKey) -> None:
    users = await saml_providers_using(session, row.environment_id, key_id=row.id)
    if users:
        raise request_failed(
            f"The SAML identity providers {', '.join(map(repr, users))} sign their requests "
            "with this key."
        )
    applications = await saml_applications_using(session, row.environment_id, key_id=row.id)
    if applications:
        raise request_failed(
            f"The SAML applications {', '.join(map(repr, applications))} sign their assertions "
            "with this key."
        )


# Certificates


async def list_certificates(
    session: AsyncSession, environment_id: uuid.UUID
) -> Sequence[Certificate]:
    rows = await session.scalars(
        sa.select(Certificate)
        .where(Certificate.environment_id == environment_id)
        .order_by(Certificate.created_at, Certificate.id)
    )
    return rows.all()


async def get_certificate(
    session: AsyncSession, environment_id: uuid.UUID, certificate_id: uuid.UUID
) -> Certificate:
    row = await session.get(Certificate, certificate_id)
    if row is None or row.environment_id != environment_id:
        raise not_found()
    return row


async def import_certificate(
    session: AsyncSession, environment_id: uuid.UUID, file: bytes, data: CertificateImport
) -> Certificate:
    """The certificate of a PEM, DER or PKCS#7 file (the first one, when it holds several)."""
    try:
        certificate = certificates.load_certificate(file)
    except ValueError as error:
        raise invalid_value("file", str(error)) from None
    facts = certificates.facts(certificate)
    clash = await session.scalar(
        sa.select(Certificate.id).where(
            Certificate.environment_id == environment_id,
            Certificate.fingerprint == facts.fingerprint,
        )
    )
    if clash is not None:
        raise uniqueness_violation("file", "This certificate is already imported.", clash)
    name = certificates.common_name(certificate.subject) or facts.subject_dn
    row = Certificate(
        environment_id=environment_id,
        name=name[:256],
        usage_type=data.usage_type,
        certificate_pem=certificates.certificate_pem(certificate),
        fingerprint=facts.fingerprint,
        key_type=facts.key_type,
        key_length=facts.key_length,
        signature_algorithm=facts.signature_algorithm,
        subject_dn=facts.subject_dn,
        issuer_dn=facts.issuer_dn,
        serial_number=facts.serial_number,
        starts_at=facts.starts_at,
        expires_at=facts.expires_at,
    )
    session.add(row)
    await session.flush()
    return row


async def delete_certificate(session: AsyncSession, row: Certificate) -> None:
    users = await saml_providers_using(session, row.environment_id, certificate_id=row.id)
    if users:
        raise request_failed(
            f"The SAML identity providers {', '.join(map(repr, users))} verify their assertions "
            "with this certificate."
        )
    applications = await saml_applications_using(session, row.environment_id, certificate_id=row.id)
    if applications:
        raise request_failed(
            f"The SAML applications {', '.join(map(repr, applications))} verify their requests "
            "with this certificate."
        )
    await session.delete(row)
    await session.flush()
