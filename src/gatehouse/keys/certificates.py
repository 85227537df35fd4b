"""X.509 for keys and certificates (RFC 5280): distinguished names, key pairs with self-signed
certificates, what a certificate says about itself, and the file formats PingOne exchanges them in
(PEM, DER, PKCS#7, PKCS#12).

Pure functions over `cryptography` objects: no database, no HTTP. Every parser raises ValueError
with a message fit for an API client.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

RSA_LENGTHS = (2048, 3072, 4096)
EC_CURVES: dict[int, type[ec.EllipticCurve]] = {
    256: ec.SECP256R1,
    384: ec.SECP384R1,
    521: ec.SECP521R1,
}
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384,
    "SHA512": hashes.SHA512,
}
# signatureAlgorithm names PingOne uses, by the OID a certificate carries
SIGNATURE_ALGORITHMS: dict[x509.ObjectIdentifier, str] = {
    SignatureAlgorithmOID.RSA_WITH_SHA256: "SHA256withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA384: "SHA384withRSA",
    SignatureAlgorithmOID.RSA_WITH_SHA512: "SHA512withRSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: "SHA256withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: "SHA384withECDSA",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: "SHA512withECDSA",
}
EXPIRING_WITHIN = timedelta(days=30)
MAX_FILE_BYTES = 1_048_576


@dataclass(frozen=True)
class CertificateFacts:
    """What a certificate says of itself, as the Certificate resource shows it."""

    subject_dn: str
    issuer_dn: str
    serial_number: str
    key_type: str  # RSA | EC | UNKNOWN
    key_length: int | None
    signature_algorithm: str | None
    starts_at: datetime
    expires_at: datetime
    fingerprint: str  # SHA-256 of the DER, hex


# Distinguished names


def parse_dn(text: str) -> x509.Name:
    """A DN written as PingOne does (`CN=Example, O=Example Corp, C=US`) or as RFC 4514 does
    (no spaces after the commas). Raises ValueError when it is not one."""
    components = [_normalized_component(part) for part in _split_unescaped(text, ",")]
    if not components or not all(components):
        raise ValueError("A distinguished name needs at least one attribute, such as CN=example.")
    try:
        name = x509.Name.from_rfc4514_string(",".join(components))
    except ValueError as error:
        reason = str(error) or "write it as CN=example, O=Example Corp, C=US"
        raise ValueError(f"Not a valid distinguished name: {reason}.") from None
    if not len(name):
        raise ValueError("A distinguished name needs at least one attribute, such as CN=example.")
    return name


def format_dn(name: x509.Name) -> str:
    """A DN the way PingOne shows one: most specific first, `, ` between the parts."""
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(name.rdns))


def common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    # NUL cannot be stored as text: written as RFC 4514 writes it
    return str(values[0].value).replace("\x00", "\\00") if values else None


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _normalized_component(part: str) -> str:
    kind, equals, value = part.strip().partition("=")
    if not equals or not kind.strip() or not value.strip():
        return ""
    return f"{kind.strip().upper()}={value.strip()}"


# Key pairs and self-signed certificates


def key_length_problem(algorithm: str, key_length: int) -> str | None:
    """Why `key_length` does not fit `algorithm` (RSA or EC); None when it does."""
    lengths = RSA_LENGTHS if algorithm == "RSA" else tuple(EC_CURVES)
    if key_length in lengths:
        return None
    return f"{algorithm} keys are {', '.join(map(str, lengths))} bits long."


def signature_problem(algorithm: str, signature_algorithm: str) -> str | None:
    """Why `signature_algorithm` does not fit `algorithm` (RSA or EC); None when it does."""
    suffix = "withRSA" if algorithm == "RSA" else "withECDSA"
    if signature_algorithm.endswith(suffix):
        return None
    return f"{algorithm} keys sign with SHA256{suffix}, SHA384{suffix} or SHA512{suffix}."


def generate_private_key(algorithm: str, key_length: int) -> PrivateKey:
    if algorithm == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_length)
    return ec.generate_private_key(EC_CURVES[key_length]())


def self_signed(
    key: PrivateKey,
    subject: x509.Name,
    *,
    signature_algorithm: str,
    validity_days: int,
    usage_type: str,
    now: datetime,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        # a positive 63-bit serial: it fits the SDK's int64 serialNumber
        .serial_number(secrets.randbelow(2**63 - 1) + 1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=validity_days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    for extension, critical in _usage_extensions(usage_type, isinstance(key, rsa.RSAPrivateKey)):
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(key, _hash_of(signature_algorithm))


def _hash_of(signature_algorithm: str) -> hashes.HashAlgorithm:
    return HASHES[signature_algorithm[:6]]()


def _usage_extensions(usage_type: str, is_rsa: bool) -> list[tuple[x509.ExtensionType, bool]]:
    is_ca = usage_type == "ISSUANCE"
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        ),
        False,
    )
    if is_ca:
        flags.update(key_cert_sign=True, crl_sign=True, digital_signature=True)
    elif usage_type == "ENCRYPTION":
        flags.update(key_encipherment=is_rsa, key_agreement=not is_rsa)
    else:
        flags.update(digital_signature=True, key_encipherment=usage_type == "SSL/TLS" and is_rsa)
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=is_ca, path_length=None), True),
        (x509.KeyUsage(**flags, encipher_only=False, decipher_only=False), True),
    ]
    purposes = {
        "SSL/TLS": ExtendedKeyUsageOID.SERVER_AUTH,
        "OUTBOUND_MTLS": ExtendedKeyUsageOID.CLIENT_AUTH,
    }
    if usage_type in purposes:
        extensions.append((x509.ExtendedKeyUsage([purposes[usage_type]]), False))
    return extensions


# What a certificate says


def facts(certificate: x509.Certificate) -> CertificateFacts:
    key_type, key_length = describe_public_key(certificate.public_key())
    return CertificateFacts(
        subject_dn=format_dn(certificate.subject),
        issuer_dn=format_dn(certificate.issuer),
        serial_number=str(certificate.serial_number),
        key_type=key_type,
        key_length=key_length,
        signature_algorithm=SIGNATURE_ALGORITHMS.get(certificate.signature_algorithm_oid),
        starts_at=certificate.not_valid_before_utc,
        expires_at=certificate.not_valid_after_utc,
        fingerprint=certificate.fingerprint(hashes.SHA256()).hex(),
    )


def describe_public_key(key: object) -> tuple[str, int | None]:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    return "UNKNOWN", None


def status(starts_at: datetime, expires_at: datetime, now: datetime) -> str:
    """VALID, EXPIRING (within 30 days), EXPIRED or NOT_YET_VALID."""
    if now < starts_at:
        return "NOT_YET_VALID"
    if now >= expires_at:
        return "EXPIRED"
    if expires_at - now <= EXPIRING_WITHIN:
        return "EXPIRING"
    return "VALID"


# File formats


def load_certificate(data: bytes) -> x509.Certificate:
    """The (first) certificate of a PEM, DER or PKCS#7 (PEM or DER) file."""
    loaders = (
        lambda: x509.load_pem_x509_certificates(data),
        lambda: [x509.load_der_x509_certificate(data)],
        lambda: pkcs7.load_pem_pkcs7_certificates(data),
        lambda: pkcs7.load_der_pkcs7_certificates(data),
    )
    for load in loaders:
        try:
            found = load()
        except ValueError:
            continue
        if found:
            return found[0]
    raise ValueError("The file is not an X.509 certificate in PEM, DER or PKCS#7 format.")


def load_pkcs12(data: bytes, password: str | None) -> tuple[PrivateKey, x509.Certificate]:
    """The private key and its certificate from a PKCS#12 file."""
    try:
        key, certificate, _chain = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None
        )
    except (ValueError, TypeError):
        raise ValueError(
            "The file is not a PKCS#12 file, or the password does not open it."
        ) from None
    if key is None or certificate is None:
        raise ValueError("The PKCS#12 file must hold a private key and its certificate.")
    if not isinstance(key, PrivateKey):
        raise ValueError("Only RSA and EC keys can be imported.")
    if _spki(key.public_key()) != _spki(certificate.public_key()):
        raise ValueError("The certificate in the PKCS#12 file is not the private key's.")
    check_importable(key)
    return key, certificate


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_importable(key: PrivateKey) -> None:
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < RSA_LENGTHS[0]:
        raise ValueError(f"RSA keys must be at least {RSA_LENGTHS[0]} bits long.")
    if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(
        key.curve, tuple(EC_CURVES.values())
    ):
        raise ValueError("EC keys must be on the P-256, P-384 or P-521 curve.")


def private_key_pem(key: PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def load_private_key_pem(pem: str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, PrivateKey):
        raise ValueError("not an RSA or EC private key")
    return key


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def load_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def pkcs7_der(certificate: x509.Certificate) -> bytes:
    return pkcs7.serialize_certificates([certificate], serialization.Encoding.DER)
