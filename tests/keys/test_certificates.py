"""Certificates: imported from PEM, DER or PKCS#7 (PEM or DER) with 202, their validity shown as
status, downloaded back in each format, refused when garbage or already there; a key's
certificate downloaded from one environment imports into another (SAML between environments)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from tests.keys.support import (
    certificate,
    der,
    import_certificate,
    key_pair,
    pem,
    pkcs7_file,
    upload,
)
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _path(env: str, certificate_id: str = "") -> str:
    return f"/environments/{env}/certificates" + (f"/{certificate_id}" if certificate_id else "")


@pytest.mark.parametrize("form", ["pem", "der", "pkcs7-pem", "pkcs7-der"])
async def test_import_in_each_format_and_download_back(admin: Api, env: str, form: str) -> None:
    _key, cert = certificate(key_pair("EC", 384), common_name="signer.example.com")
    content = {
        "pem": pem(cert),
        "der": der(cert),
        "pkcs7-pem": pkcs7_file(cert, Encoding.PEM),
        "pkcs7-der": pkcs7_file(cert, Encoding.DER),
    }[form]
    response = await upload(admin, _path(env), content, usageType="SIGNING")
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["name"] == "signer.example.com" and created["usageType"] == "SIGNING"
    assert created["subjectDN"] == "CN=signer.example.com, O=Example Corp" == created["issuerDN"]
    assert created["algorithm"] == "EC" and created["keyLength"] == 384
    assert created["signatureAlgorithm"] == "SHA256withECDSA" and created["status"] == "VALID"
    assert created["validityPeriod"] == 365 and "default" not in created
    assert str(created["serialNumber"]) == str(cert.serial_number)
    assert created["_links"]["self"]["href"].endswith(_path(env, created["id"]))
    assert (await admin.get(_path(env, created["id"]))).json() == created
    assert (await admin.get(_path(env))).json()["_embedded"]["certificates"] == [created]

    for accept in ("application/x-pem-file", "application/x-x509-ca-cert"):
        downloaded = await admin.get(_path(env, created["id"]), headers={"Accept": accept})
        assert downloaded.headers["content-type"].startswith(accept)
        assert x509.load_pem_x509_certificate(downloaded.content) == cert
    as_pkcs7 = await admin.get(
        _path(env, created["id"]), headers={"Accept": "application/x-pkcs7-certificates"}
    )
    assert pkcs7.load_der_pkcs7_certificates(as_pkcs7.content) == [cert]


@pytest.mark.parametrize(
    ("starts", "days", "status"),
    [
        (timedelta(days=-400), 365, "EXPIRED"),
        (timedelta(days=-1), 10, "EXPIRING"),
        (timedelta(days=3), 365, "NOT_YET_VALID"),
    ],
)
async def test_status_follows_the_validity_period(
    admin: Api, env: str, starts: timedelta, days: int, status: str
) -> None:
    _key, cert = certificate(starts=datetime.now(UTC) + starts, days=days)
    created = await import_certificate(admin, env, cert, usage="ENCRYPTION")
    assert created["status"] == status


async def test_serial_numbers_beyond_int64_are_strings(admin: Api, env: str) -> None:
    serial = 2**150 + 7
    _key, cert = certificate(serial=serial)
    created = await import_certificate(admin, env, cert)
    assert created["serialNumber"] == str(serial)
    _key, small = certificate(serial=12345)
    assert (await import_certificate(admin, env, small))["serialNumber"] == 12345


@pytest.mark.parametrize(
    ("content", "fields", "detail", "target"),
    [
        (b"garbage", {"usageType": "SIGNING"}, "INVALID_VALUE", "file"),
        (b"", {"usageType": "SIGNING"}, "INVALID_VALUE", "file"),
        (
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            {"usageType": "SIGNING"},
            "INVALID_VALUE",
            "file",
        ),
        (None, {}, "REQUIRED_VALUE", "usageType"),
        (None, {"usageType": "EVERYTHING"}, "INVALID_VALUE", "usageType"),
        (b"x" * 1_100_000, {"usageType": "SIGNING"}, "SIZE_LIMIT_EXCEEDED", "file"),
    ],
)
async def test_refusals_name_their_target(
    admin: Api, env: str, content: bytes | None, fields: dict[str, str], detail: str, target: str
) -> None:
    file = content if content is not None else pem(certificate()[1])
    assert_error(
        await upload(admin, _path(env), file, **fields),
        400,
        "INVALID_DATA",
        detail=detail,
        target=target,
    )
    assert (await admin.get(_path(env))).json()["count"] == 0


async def test_a_certificate_is_imported_once_and_only_as_multipart(admin: Api, env: str) -> None:
    _key, cert = certificate()
    first = await import_certificate(admin, env, cert)
    body = assert_error(
        await upload(admin, _path(env), der(cert), usageType="ENCRYPTION"),
        400,
        "INVALID_DATA",
        detail="UNIQUENESS_VIOLATION",
        target="file",
    )
    assert body["details"][0]["innerError"] == {"existingId": first["id"]}
    assert_error(
        await admin.post(_path(env), json={"usageType": "SIGNING"}), 415, "INVALID_REQUEST"
    )
    assert_error(
        await admin.post(
            _path(env), content=pem(cert), media_type="application/x-pkcs7-certificates"
        ),
        415,
        "INVALID_REQUEST",
    )


async def test_delete(admin: Api, env: str) -> None:
    created = await import_certificate(admin, env)
    assert (await admin.delete(_path(env, created["id"]))).status_code == 204
    assert_error(await admin.get(_path(env, created["id"])), 404, "NOT_FOUND")
    assert_error(await admin.delete(_path(env, created["id"])), 404, "NOT_FOUND")


async def test_a_signing_key_downloaded_from_one_environment_imports_into_another(
    admin: Api, env: str
) -> None:
    """Seed 003, SAML between two environments: the source's signing certificate (PEM or
    PKCS#7) becomes a verification certificate of the destination."""
    destination: str = (
        await admin.create(
            "/environments", {"name": f"dest-{env[:8]}", "type": "SANDBOX", "region": "NA"}
        )
    )["id"]
    [signing] = (await admin.get(f"/environments/{env}/keys")).json()["_embedded"]["keys"]
    downloads: dict[str, Any] = {}
    for accept in ("application/x-pem-file", "application/x-pkcs7-certificates"):
        response = await admin.get(
            f"/environments/{env}/keys/{signing['id']}", headers={"Accept": accept}
        )
        downloads[accept] = response.content
    imported = await upload(
        admin,
        _path(destination),
        downloads["application/x-pkcs7-certificates"],
        usageType="SIGNING",
    )
    assert imported.status_code == 202, imported.text
    assert imported.json()["subjectDN"] == signing["subjectDN"]
    assert imported.json()["serialNumber"] == signing["serialNumber"]
    again = await upload(
        admin, _path(destination), downloads["application/x-pem-file"], usageType="SIGNING"
    )
    assert_error(again, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION")


@pytest.mark.parametrize(
    ("accept", "pem_expected"),
    [
        ("application/json, application/x-pem-file", False),
        ("application/x-pem-file;q=0.9, application/json", True),
        ("*/*", False),
        ("text/html, application/x-x509-ca-cert", True),
        ("text/html", False),
    ],
)
async def test_accept_header_order_decides(
    admin: Api, env: str, accept: str, pem_expected: bool
) -> None:
    created = await import_certificate(admin, env)
    response = await admin.get(_path(env, created["id"]), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----") is pem_expected
