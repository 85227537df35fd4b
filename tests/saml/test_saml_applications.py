"""SAML applications through /applications: PingOne's ApplicationSAML fields, the rules between
them and stored data, the saml_subject CORE mapping, and what an application of another protocol
cannot do (a secret, OAuth sign-on)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.keys.support import import_certificate
from tests.saml.support import ACS, saml_application, saml_body
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


@pytest.fixture
async def admin_other_env(admin: Api) -> str:
    body = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"},
    )
    return body["id"]


def apps(env: str) -> str:
    return f"/environments/{env}/applications"


async def key(admin: Api, env: str, usage: str = "SIGNING") -> dict[str, Any]:
    return await admin.create(
        f"/environments/{env}/keys",
        {
            "name": f"key {secrets.token_hex(3)}",
            "subjectDN": "CN=Gatehouse",
            "algorithm": "RSA",
            "keyLength": 2048,
            "signatureAlgorithm": "SHA256withRSA",
            "usageType": usage,
            "validityPeriod": 30,
        },
    )


async def test_create_read_replace_and_delete(admin: Api, env: str) -> None:
    certificate = await import_certificate(admin, env)
    signing = await key(admin, env)
    created = await saml_application(
        admin,
        env,
        acsUrls=[ACS, "https://sp.example.com/acs2"],
        nameIdFormat="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        idpSigning={"key": {"id": signing["id"]}, "algorithm": "SHA512withRSA"},
        spVerification={"authnRequestSigned": True, "certificates": [{"id": certificate["id"]}]},
        sloEndpoint="https://sp.example.com/slo",
        sessionNotOnOrAfterDuration=3600,
    )
    assert created["protocol"] == "SAML" and created["type"] == "WEB_APP"
    assert created["assertionSigned"] is True and created["responseSigned"] is False
    assert created["sloBinding"] == "HTTP_POST"
    assert created["idpSigning"]["algorithm"] == "SHA512withRSA"
    assert "secret" not in created["_links"]
    href = f"{apps(env)}/{created['id']}"
    read = (await admin.get(href)).json()
    assert read["acsUrls"] == [ACS, "https://sp.example.com/acs2"]
    assert read["spVerification"]["certificates"] == [{"id": certificate["id"]}]
    replaced = await admin.put(
        href, json=saml_body(spEntityId=created["spEntityId"], name="renamed")
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["name"] == "renamed" and "idpSigning" not in replaced.json()
    assert_error(await admin.get(f"{href}/secret"), 400, "REQUEST_FAILED")
    assert (await admin.delete(href)).status_code == 204
    assert (await admin.get(href)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "detail", "target"),
    [
        ({"acsUrls": []}, "INVALID_VALUE", "acsUrls"),
        ({"acsUrls": ["not a url"]}, "INVALID_VALUE", "acsUrls"),
        ({"assertionDuration": 0}, "OUT_OF_RANGE", "assertionDuration"),
        ({"assertionDuration": "60"}, "INVALID_VALUE", "assertionDuration"),
        ({"nameIdFormat": "email"}, "INVALID_VALUE", "nameIdFormat"),
        ({"sloBinding": "SOAP"}, "INVALID_VALUE", "sloBinding"),
        ({"type": "SINGLE_PAGE_APP"}, "INVALID_VALUE", "type"),
        ({"assertionSigned": False}, "INVALID_VALUE", "assertionSigned"),
        (
            {"idpSigning": {"key": {"id": "6e2b0b1e-0000-4000-8000-000000000000"}}},
            "INVALID_VALUE",
            "idpSigning.key.id",
        ),
        (
            {"spVerification": {"certificates": [{"id": "6e2b0b1e-0000-4000-8000-000000000000"}]}},
            "INVALID_VALUE",
            "spVerification.certificates",
        ),
        (
            {"spVerification": {"authnRequestSigned": True, "certificates": []}},
            "INVALID_VALUE",
            "spVerification.certificates",
        ),
        (
            {
                "spEncryption": {
                    "algorithm": "AES_256",
                    "certificate": {"id": "6e2b0b1e-0000-4000-8000-000000000000"},
                }
            },
            "INVALID_VALUE",
            "spEncryption",
        ),
    ],
)
async def test_invalid_fields_are_refused(
    admin: Api, env: str, changes: dict[str, Any], detail: str, target: str
) -> None:
    body = saml_body(**changes)
    assert_error(
        await admin.post(apps(env), json=body), 400, "INVALID_DATA", detail=detail, target=target
    )


@pytest.mark.parametrize("field", ["acsUrls", "assertionDuration", "spEntityId"])
async def test_required_fields(admin: Api, env: str, field: str) -> None:
    body = saml_body()
    del body[field]
    assert_error(
        await admin.post(apps(env), json=body),
        400,
        "INVALID_DATA",
        detail="REQUIRED_VALUE",
        target=field,
    )


async def test_the_sp_entity_id_is_unique_and_keys_must_sign(
    admin: Api, env: str, admin_other_env: str
) -> None:
    first = await saml_application(admin, env)
    clash = await admin.post(apps(env), json=saml_body(spEntityId=first["spEntityId"]))
    assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="spEntityId")
    encryption = await key(admin, env, usage="ENCRYPTION")
    refused = await admin.post(
        apps(env), json=saml_body(idpSigning={"key": {"id": encryption["id"]}})
    )
    assert_error(refused, 400, "INVALID_DATA", target="idpSigning.key.id")
    elsewhere = await key(admin, admin_other_env)
    foreign = await admin.post(
        apps(env), json=saml_body(idpSigning={"key": {"id": elsewhere["id"]}})
    )
    assert_error(foreign, 400, "INVALID_DATA", target="idpSigning.key.id")
    mismatch = await admin.post(
        apps(env),
        json=saml_body(
            idpSigning={
                "key": {"id": (await key(admin, env))["id"]},
                "algorithm": "SHA256withECDSA",
            }
        ),
    )
    assert_error(mismatch, 400, "INVALID_DATA", target="idpSigning.algorithm")
    # the same entity id in another environment is fine
    assert (
        await admin.post(apps(admin_other_env), json=saml_body(spEntityId=first["spEntityId"]))
    ).status_code == 201


async def test_the_protocol_and_type_cannot_change(admin: Api, env: str) -> None:
    created = await saml_application(admin, env)
    href = f"{apps(env)}/{created['id']}"
    custom = await admin.put(href, json=saml_body(type="CUSTOM_APP"))
    assert_error(custom, 400, "INVALID_DATA", target="type")
    oidc = {
        "name": "x",
        "enabled": True,
        "protocol": "OPENID_CONNECT",
        "type": "WEB_APP",
        "grantTypes": ["CLIENT_CREDENTIALS"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
    }
    assert_error(await admin.put(href, json=oidc), 400, "INVALID_DATA", target="type")


async def test_the_subject_mapping(admin: Api, env: str) -> None:
    created = await saml_application(admin, env)
    mappings = f"{apps(env)}/{created['id']}/attributes"
    (subject,) = (await admin.get(mappings)).json()["_embedded"]["attributes"]
    assert (subject["name"], subject["value"], subject["mappingType"], subject["required"]) == (
        "saml_subject",
        "${user.id}",
        "CORE",
        True,
    )
    alias = await admin.post(
        mappings, json={"name": "samlAssertion.subject", "value": "${user.email}", "required": True}
    )
    assert_error(alias, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert_error(await admin.delete(f"{mappings}/{subject['id']}"), 400, "REQUEST_FAILED")
    # OIDC's reserved claim names mean nothing to a SAML assertion
    sub = await admin.post(
        mappings, json={"name": "sub", "value": "${user.username}", "required": False}
    )
    assert sub.status_code == 201, sub.text


async def test_keys_and_certificates_in_use_cannot_be_deleted(admin: Api, env: str) -> None:
    certificate = await import_certificate(admin, env)
    signing = await key(admin, env)
    created = await saml_application(
        admin,
        env,
        idpSigning={"key": {"id": signing["id"]}},
        spVerification={"certificates": [{"id": certificate["id"]}]},
    )
    key_href = f"/environments/{env}/keys/{signing['id']}"
    certificate_href = f"/environments/{env}/certificates/{certificate['id']}"
    assert_error(await admin.delete(key_href), 400, "REQUEST_FAILED")
    assert_error(await admin.delete(certificate_href), 400, "REQUEST_FAILED")
    assert (await admin.delete(f"{apps(env)}/{created['id']}")).status_code == 204
    assert (await admin.delete(key_href)).status_code == 204
    assert (await admin.delete(certificate_href)).status_code == 204
