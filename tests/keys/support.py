"""Certificates and key files made for the tests, and multipart uploads as a client sends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from tests.support.api import Api

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def key_pair(kind: str = "RSA", size: int = 2048) -> PrivateKey:
    if kind == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    return ec.generate_private_key({256: ec.SECP256R1(), 384: ec.SECP384R1()}[size])


def certificate(
    key: PrivateKey | None = None,
    *,
    common_name: str = "idp.example.com",
    days: int = 365,
    starts: datetime | None = None,
    serial: int | None = None,
) -> tuple[PrivateKey, x509.Certificate]:
    """A self-signed certificate (and its key) valid from `starts` (now) for `days`."""
    key = key or key_pair()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    start = starts or datetime.now(UTC) - timedelta(minutes=1)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return key, built


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pkcs7_file(cert: x509.Certificate, encoding: serialization.Encoding) -> bytes:
    return pkcs7.serialize_certificates([cert], encoding)


def pkcs12_file(key: PrivateKey, cert: x509.Certificate, password: str | None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"imported", key, cert, None, encryption)


async def upload(
    admin: Api, path: str, content: bytes, filename: str = "file.bin", **fields: str
) -> httpx.Response:
    """POST multipart/form-data: `content` as the `file` part, `fields` as the others."""
    return await admin.client.post(
        f"/v1{path}",
        files={"file": (filename, content, "application/octet-stream")},
        data=fields,
        headers={"Authorization": f"Bearer {admin.token}"},
    )


async def import_certificate(
    admin: Api, env: str, cert: x509.Certificate | None = None, usage: str = "SIGNING"
) -> dict[str, Any]:
    response = await upload(
        admin, f"/environments/{env}/certificates", pem(cert or certificate()[1]), usageType=usage
    )
    assert response.status_code == 202, response.text
    return response.json()
