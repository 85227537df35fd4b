"""SAML applications: the rules beyond each field's own checks (saml.schemas), and what the
identity provider endpoints need from an application (its signing key, its SP's certificates).

Rules (400 INVALID_DATA, the target naming the property):
- `spEntityId` is unique among the environment's SAML applications (UNIQUENESS_VIOLATION).
- `assertionSigned` and `responseSigned` are not both false: an SP must be able to trust what it
  receives (INVALID_VALUE assertionSigned).
- `idpSigning.key.id` is a SIGNING key of the environment; `idpSigning.algorithm` suits its key
  type and defaults to the key's own signatureAlgorithm. Without idpSigning the environment's
  default SIGNING key signs, with its signatureAlgorithm.
- `spVerification.certificates` are /certificates of the environment; `authnRequestSigned`
  needs at least one.
- `spEncryption` is refused: encrypted assertions are not offered yet.

Creating one also creates the CORE attribute mapping `saml_subject` (`${user.id}`): the
assertion's subject NameID. A mapping named `saml_subject` or `samlAssertion.subject` (in any
case) gives the subject; every other mapping an assertion attribute.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography import x509
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application, ApplicationAttributeMapping
from gatehouse.common.errors import invalid_value, request_failed, uniqueness_violation
from gatehouse.crypto.models import SigningKey
from gatehouse.crypto.sealing import Sealer
from gatehouse.keys.certificates import load_pem
from gatehouse.keys.models import Certificate
from gatehouse.saml.schemas import SamlApplicationCreate

SAML = "SAML"
SUBJECT_MAPPING = "saml_subject"
SUBJECT_NAMES = frozenset({"saml_subject", "samlassertion.subject"})


async def create_application(
    session: AsyncSession, environment_id: uuid.UUID, data: SamlApplicationCreate
) -> Application:
    await check_application(session, environment_id, data, None)
    application = Application(environment_id=environment_id, protocol=SAML, type=data.type)
    apply(application, data)
    session.add(application)
    await session.flush()
    session.add(
        ApplicationAttributeMapping(
            environment_id=environment_id,
            application_id=application.id,
            name=SUBJECT_MAPPING,
            value="${user.id}",
            required=True,
            mapping_type="CORE",
        )
    )
    await session.flush()
    return application


async def update_application(
    session: AsyncSession, application: Application, data: SamlApplicationCreate
) -> Application:
    if data.type != application.type or application.protocol != SAML:
        raise invalid_value("type", "The protocol and type of an application cannot be changed.")
    await check_application(session, application.environment_id, data, application)
    apply(application, data)
    await session.flush()
    return application


def apply(application: Application, data: SamlApplicationCreate) -> None:
    application.name = data.name
    application.description = data.description
    application.enabled = data.enabled
    application.config = data.settings()


async def check_application(
    session: AsyncSession,
    environment_id: uuid.UUID,
    data: SamlApplicationCreate,
    current: Application | None,
) -> None:
    if not data.assertion_signed and not data.response_signed:
        raise invalid_value(
            "assertionSigned", "Sign the assertion, the response, or both: not neither."
        )
    if data.sp_encryption is not None:
        raise invalid_value("spEncryption", "Encrypted assertions are not supported yet.")
    await _check_unique_entity_id(session, environment_id, data.sp_entity_id, current)
    if data.idp_signing is not None:
        key = await _signing_key(session, environment_id, data.idp_signing.key.id)
        if key is None:
            raise invalid_value(
                "idpSigning.key.id", "This is not a SIGNING key of this environment."
            )
        if data.idp_signing.algorithm is None:
            data.idp_signing.algorithm = key.signature_algorithm  # type: ignore[assignment]
        elif not data.idp_signing.algorithm.endswith("RSA" if key.key_type == "RSA" else "ECDSA"):
            raise invalid_value(
                "idpSigning.algorithm",
                f"The key is an {key.key_type} key: choose a matching algorithm.",
            )
    verification = data.sp_verification
    if verification is not None:
        if verification.authn_request_signed and not verification.certificates:
            raise invalid_value(
                "spVerification.certificates", "Verifying signed requests needs a certificate."
            )
        await _check_certificates(
            session, environment_id, [c.id for c in verification.certificates]
        )


async def _check_unique_entity_id(
    session: AsyncSession,
    environment_id: uuid.UUID,
    entity_id: str,
    current: Application | None,
) -> None:
    other = await find_by_entity_id(session, environment_id, entity_id)
    if other is not None and (current is None or other.id != current.id):
        raise uniqueness_violation(
            "spEntityId", f"Another SAML application already uses {entity_id!r}.", other.id
        )


async def _check_certificates(
    session: AsyncSession, environment_id: uuid.UUID, wanted: list[uuid.UUID]
) -> None:
    found = set(
        await session.scalars(
            sa.select(Certificate.id).where(
                Certificate.environment_id == environment_id, Certificate.id.in_(wanted)
            )
        )
    )
    missing = sorted(str(item) for item in set(wanted) - found)
    if missing:
        raise invalid_value(
            "spVerification.certificates",
            f"{', '.join(missing)}: not certificates of this environment.",
        )


async def _signing_key(
    session: AsyncSession, environment_id: uuid.UUID, key_id: uuid.UUID
) -> SigningKey | None:
    key = await session.get(SigningKey, key_id)
    if key is None or key.environment_id != environment_id or key.usage_type != "SIGNING":
        return None
    return key


# --- what the identity provider endpoints use -------------------------------------------------


async def find_by_entity_id(
    session: AsyncSession, environment_id: uuid.UUID, entity_id: str
) -> Application | None:
    applications = await session.scalars(
        sa.select(Application).where(
            Application.environment_id == environment_id, Application.protocol == SAML
        )
    )
    return next((app for app in applications if app.config.get("spEntityId") == entity_id), None)


@dataclass(frozen=True)
class SigningMaterial:
    private_key_pem: str
    certificate_pem: str
    algorithm: str  # SHA256withRSA, ...


async def signing_material(
    session: AsyncSession, sealer: Sealer, application: Application
) -> SigningMaterial:
    """The application's idpSigning key, else the environment's default SIGNING key."""
    configured = (application.config.get("idpSigning") or {}).get("key", {}).get("id")
    if configured:
        key = await _signing_key(session, application.environment_id, uuid.UUID(configured))
    else:
        key = await session.scalar(
            sa.select(SigningKey).where(
                SigningKey.environment_id == application.environment_id,
                SigningKey.usage_type == "SIGNING",
                SigningKey.is_default.is_(True),
            )
        )
    if key is None:
        raise request_failed("The application's signing key no longer exists.")
    algorithm = (application.config.get("idpSigning") or {}).get("algorithm")
    return SigningMaterial(
        sealer.unseal(key.private_key_sealed, context=key.kid),
        key.certificate_pem,
        algorithm or key.signature_algorithm or "SHA256withRSA",
    )


async def sp_certificates(
    session: AsyncSession, application: Application
) -> list[x509.Certificate]:
    """The certificates the application's signed requests are verified with."""
    refs = (application.config.get("spVerification") or {}).get("certificates") or []
    ids = [uuid.UUID(ref["id"]) for ref in refs]
    if not ids:
        return []
    rows = await session.scalars(
        sa.select(Certificate.certificate_pem).where(
            Certificate.environment_id == application.environment_id, Certificate.id.in_(ids)
        )
    )
    return [load_pem(pem) for pem in rows]


async def applications_using(
    session: AsyncSession,
    environment_id: uuid.UUID,
    *,
    key_id: uuid.UUID | None = None,
    certificate_id: uuid.UUID | None = None,
) -> list[str]:
    """The names of the SAML applications signing with the key or verifying with the
    certificate (they cannot be deleted meanwhile)."""
    applications = await session.scalars(
        sa.select(Application).where(
            Application.environment_id == environment_id, Application.protocol == SAML
        )
    )
    names = []
    for app in applications:
        signing = (app.config.get("idpSigning") or {}).get("key", {}).get("id")
        verifying = {
            ref["id"] for ref in (app.config.get("spVerification") or {}).get("certificates", [])
        }
        if (key_id and signing == str(key_id)) or (
            certificate_id and str(certificate_id) in verifying
        ):
            names.append(app.name)
    return names
