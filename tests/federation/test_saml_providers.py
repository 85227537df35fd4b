"""SAML identity providers: verification certificates from /certificates, the SP signing key from
/keys, both of this environment, and neither deletable while a provider uses it."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from tests.federation.conftest import create_provider
from tests.keys.support import certificate, import_certificate
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _saml(certificate_ids: list[str], **changes: Any) -> dict[str, Any]:
    return {
        "type": "SAML",
        "name": f"saml-{secrets.token_hex(3)}",
        "enabled": True,
        "idpEntityId": "https://idp.example.com/saml",
        "spEntityId": "https://gatehouse.example.com/sp",
        "ssoEndpoint": "https://idp.example.com/sso",
        "ssoBinding": "HTTP_REDIRECT",
        "idpVerification": {"certificates": [{"id": cid} for cid in certificate_ids]},
        **changes,
    }


async def _key(
    admin: Api, env: str, algorithm: str = "RSA", usage: str = "SIGNING"
) -> dict[str, Any]:
    spec = {"RSA": (2048, "SHA256withRSA"), "EC": (256, "SHA256withECDSA")}[algorithm]
    return await admin.create(
        f"/environments/{env}/keys",
        {
            "name": f"{algorithm} {usage}",
            "subjectDN": "CN=Gatehouse SP, O=Example",
            "algorithm": algorithm,
            "keyLength": spec[0],
            "signatureAlgorithm": spec[1],
            "usageType": usage,
            "validityPeriod": 365,
        },
    )


async def test_saml_provider_round_trip_with_defaults(admin: Api, env: str) -> None:
    first = await import_certificate(admin, env)
    second = await import_certificate(admin, env, certificate(common_name="backup")[1])
    key = await _key(admin, env)
    body = _saml(
        [first["id"], second["id"]],
        spSigning={"key": {"id": key["id"]}},
        authnRequestSigned=True,
        sloEndpoint="https://idp.example.com/slo",
        sloWindow=2,
    )
    created = await create_provider(admin, env, body)
    assert created["idpVerification"] == {
        "certificates": [{"id": first["id"]}, {"id": second["id"]}]
    }
    assert created["spSigning"] == {"key": {"id": key["id"]}, "algorithm": "SHA256withRSA"}
    assert created["sloBinding"] == "HTTP_POST" and created["authnRequestSigned"] is True
    assert created["sloWindow"] == 2 and created["ssoBinding"] == "HTTP_REDIRECT"
    path = f"/environments/{env}/identityProviders/{created['id']}"
    assert (await admin.get(path)).json() == created
    replaced = await admin.put(path, json=_saml([second["id"]], name=created["name"]))
    assert replaced.status_code == 200, replaced.text
    assert "spSigning" not in replaced.json() and replaced.json()["authnRequestSigned"] is False


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"idpVerification": {"certificates": []}}, "idpVerification.certificates"),
        (
            {"idpVerification": {"certificates": [{"id": str(uuid.uuid4())}]}},
            "idpVerification.certificates",
        ),
        ({"authnRequestSigned": True}, "spSigning"),
        ({"spSigning": {"key": {"id": str(uuid.uuid4())}}}, "spSigning.key.id"),
        ({"ssoBinding": "SOAP"}, "ssoBinding"),
        ({"ssoEndpoint": "idp.example.com/sso"}, "ssoEndpoint"),
        ({"sloWindow": 0}, "sloWindow"),
        ({"spEntityId": ""}, "spEntityId"),
    ],
)
async def test_invalid_saml_settings_name_their_target(
    admin: Api, env: str, change: dict[str, Any], target: str
) -> None:
    cert = await import_certificate(admin, env)
    assert_error(
        await admin.post(
            f"/environments/{env}/identityProviders", json=_saml([cert["id"]], **change)
        ),
        400,
        "INVALID_DATA",
        target=target,
    )


async def test_signing_key_must_be_a_signing_key_of_a_matching_algorithm(
    admin: Api, env: str
) -> None:
    cert = await import_certificate(admin, env)
    path = f"/environments/{env}/identityProviders"
    encryption = await _key(admin, env, usage="ENCRYPTION")
    assert_error(
        await admin.post(
            path, json=_saml([cert["id"]], spSigning={"key": {"id": encryption["id"]}})
        ),
        400,
        "INVALID_DATA",
        target="spSigning.key.id",
    )
    ec_key = await _key(admin, env, "EC")
    mismatched = {"key": {"id": ec_key["id"]}, "algorithm": "SHA256withRSA"}
    assert_error(
        await admin.post(path, json=_saml([cert["id"]], spSigning=mismatched)),
        400,
        "INVALID_DATA",
        target="spSigning.algorithm",
    )
    typo = {"key": {"id": ec_key["id"]}, "algorithm": "SHA512eithEDCSA"}
    created = await create_provider(admin, env, _saml([cert["id"]], spSigning=typo))
    assert created["spSigning"]["algorithm"] == "SHA512withECDSA"


async def test_certificates_of_another_environment_are_refused(admin: Api, env: str) -> None:
    other = (
        await admin.create(
            "/environments",
            {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
        )
    )["id"]
    foreign = await import_certificate(admin, other)
    assert_error(
        await admin.post(f"/environments/{env}/identityProviders", json=_saml([foreign["id"]])),
        400,
        "INVALID_DATA",
        target="idpVerification.certificates",
    )


async def test_what_a_provider_uses_cannot_be_deleted(admin: Api, env: str) -> None:
    cert = await import_certificate(admin, env)
    key = await _key(admin, env)
    created = await create_provider(
        admin, env, _saml([cert["id"]], spSigning={"key": {"id": key["id"]}})
    )
    cert_path = f"/environments/{env}/certificates/{cert['id']}"
    key_path = f"/environments/{env}/keys/{key['id']}"
    assert_error(await admin.delete(cert_path), 400, "REQUEST_FAILED")
    assert_error(await admin.delete(key_path), 400, "REQUEST_FAILED")
    assert_error(
        await admin.put(key_path, json={"usageType": "ENCRYPTION", "default": False}),
        400,
        "REQUEST_FAILED",
    )
    provider_path = f"/environments/{env}/identityProviders/{created['id']}"
    assert (await admin.delete(provider_path)).status_code == 204
    assert (await admin.delete(cert_path)).status_code == 204
    assert (await admin.delete(key_path)).status_code == 204
