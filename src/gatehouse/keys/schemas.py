"""Request and response models of keys and certificates, named after PingOne's (Certificate,
CertificateKeyUpdate, PKIKeyFileUpload, PKIFileUpload)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError

from gatehouse.common.schemas import HalView, Name, RequestModel, Timestamp
from gatehouse.keys import certificates

UsageType = Literal["ENCRYPTION", "SIGNING", "SSL/TLS", "ISSUANCE", "OUTBOUND_MTLS"]
SignatureAlgorithm = Literal[
    "SHA256withRSA",
    "SHA384withRSA",
    "SHA512withRSA",
    "SHA256withECDSA",
    "SHA384withECDSA",
    "SHA512withECDSA",
]
MAX_VALIDITY_DAYS = 36_500


def _distinguished_name(text: str) -> str:
    """The DN as PingOne shows one (`CN=..., O=..., C=..`), or a DN error."""
    try:
        return certificates.format_dn(certificates.parse_dn(text))
    except ValueError as error:
        raise PydanticCustomError("distinguished_name", str(error)) from None


DistinguishedName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1024),
    AfterValidator(_distinguished_name),
]
Password = Annotated[str, StringConstraints(max_length=1024)]


class KeyCreate(RequestModel):
    """POST /keys (application/json): generate a key pair and its self-signed certificate."""

    name: Name
    subject_dn: DistinguishedName = Field(alias="subjectDN")
    issuer_dn: DistinguishedName | None = Field(default=None, alias="issuerDN")
    algorithm: Literal["RSA", "EC"]
    key_length: StrictInt = Field(alias="keyLength")
    signature_algorithm: SignatureAlgorithm = Field(alias="signatureAlgorithm")
    usage_type: UsageType = Field(alias="usageType")
    validity_period: Annotated[StrictInt, Field(ge=1, le=MAX_VALIDITY_DAYS)] = Field(
        alias="validityPeriod"
    )
    default: StrictBool = False


class KeyImport(RequestModel):
    """The fields of POST /keys (multipart/form-data) beside the PKCS#12 `file`."""

    usage_type: UsageType = Field(alias="usageType")
    password: Password | None = None


class KeyUpdate(RequestModel):
    """PUT /keys/{id} (CertificateKeyUpdate)."""

    usage_type: UsageType = Field(alias="usageType")
    default: StrictBool
    issuer_dn: DistinguishedName | None = Field(default=None, alias="issuerDN")


class CertificateImport(RequestModel):
    """The fields of POST /certificates (multipart/form-data) beside the certificate `file`."""

    usage_type: UsageType = Field(alias="usageType")


class KeyUpload(KeyImport):
    """The multipart/form-data body of POST /keys, as documented."""

    file: bytes = Field(description="A PKCS#12 file with the private key and its certificate.")


class CertificateUpload(CertificateImport):
    """The multipart/form-data body of POST /certificates, as documented."""

    file: bytes = Field(description="An X.509 certificate: PEM, DER or PKCS#7.")


class CertificateView(HalView):
    """A key (with `default`) or a certificate (without)."""

    id: uuid.UUID
    environment: dict[str, str]
    name: str
    algorithm: str
    key_length: int | None = Field(default=None, alias="keyLength")
    signature_algorithm: str | None = Field(default=None, alias="signatureAlgorithm")
    subject_dn: str = Field(alias="subjectDN")
    issuer_dn: str = Field(alias="issuerDN")
    # an int64 as the SDK has it; the decimal string when a certificate's serial is larger
    serial_number: int | str = Field(alias="serialNumber")
    usage_type: str = Field(alias="usageType")
    validity_period: int = Field(alias="validityPeriod")
    status: str
    default: bool | None = None
    starts_at: Timestamp = Field(alias="startsAt")
    expires_at: Timestamp = Field(alias="expiresAt")
    created_at: Timestamp = Field(alias="createdAt")
