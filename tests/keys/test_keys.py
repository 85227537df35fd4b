"""Keys: generated (RSA and EC, self-signed) or imported from PKCS#12, downloaded as PEM or PKCS#7,
one default per usage type; the default SIGNING key is the environment's token signing key, so
switching it changes the kid published at /{envId}/as/jwks and used by new tokens."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from tests.keys.support import certificate, key_pair, pem, pkcs12_file, upload
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

PEM_FILE = "application/x-pem-file"
X509 = "application/x-x509-ca-cert"
PKCS7 = "application/x-pkcs7-certificates"


def _key_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "SAML signing",
        "subjectDN": "CN=Example Signing, OU=IAM, O=Example Corp, L=Denver, ST=CO, C=US",
        "algorithm": "RSA",
        "keyLength": 2048,
        "signatureAlgorithm": "SHA256withRSA",
        "usageType": "SIGNING",
        "validityPeriod": 365,
        **changes,
    }


async def _keys(admin: Api, env: str) -> list[dict[str, Any]]:
    response = await admin.get(f"/environments/{env}/keys")
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["keys"]


async def _download(admin: Api, env: str, key_id: str, accept: str) -> bytes:
    response = await admin.get(f"/environments/{env}/keys/{key_id}", headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(accept)
    return response.content


async def _certificate_of(admin: Api, env: str, key_id: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(await _download(admin, env, key_id, PEM_FILE))


def _kid_of(jwks: dict[str, Any], cert: x509.Certificate) -> str:
    """The kid of the published key whose modulus is the certificate's."""
    numbers = cert.public_key().public_numbers()  # type: ignore[union-attr]
    n = base64.urlsafe_b64encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))
    return next(key["kid"] for key in jwks["keys"] if key["n"] == n.rstrip(b"=").decode())


def _token_kid(token: str) -> str:
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


async def test_a_new_environment_has_its_token_signing_key(admin: Api, env: str) -> None:
    [key] = await _keys(admin, env)
    assert key["usageType"] == "SIGNING" and key["default"] is True
    assert key["algorithm"] == "RSA" and key["keyLength"] == 2048
    assert key["signatureAlgorithm"] == "SHA256withRSA" and key["status"] == "VALID"
    assert env in key["subjectDN"] and key["issuerDN"] == key["subjectDN"]
    assert key["environment"] == {"id": env} and isinstance(key["serialNumber"], int)
    jwks = (await admin.client.get(f"/{env}/as/jwks")).json()
    assert [k["kid"] for k in jwks["keys"]] == [
        _kid_of(jwks, await _certificate_of(admin, env, key["id"]))
    ]


@pytest.mark.parametrize(
    ("algorithm", "length", "signature", "usage"),
    [
        ("RSA", 2048, "SHA256withRSA", "SIGNING"),
        ("RSA", 3072, "SHA384withRSA", "ENCRYPTION"),
        ("RSA", 4096, "SHA512withRSA", "SSL/TLS"),
        ("EC", 256, "SHA256withECDSA", "SIGNING"),
        ("EC", 384, "SHA384withECDSA", "ISSUANCE"),
        ("EC", 521, "SHA512withECDSA", "OUTBOUND_MTLS"),
    ],
)
async def test_generated_keys_and_their_certificate_in_every_format(
    admin: Api, env: str, algorithm: str, length: int, signature: str, usage: str
) -> None:
    body = _key_body(
        algorithm=algorithm, keyLength=length, signatureAlgorithm=signature, usageType=usage
    )
    created = await admin.create(f"/environments/{env}/keys", body)
    assert created["subjectDN"] == body["subjectDN"] == created["issuerDN"]
    assert (created["algorithm"], created["keyLength"]) == (algorithm, length)
    assert created["signatureAlgorithm"] == signature and created["usageType"] == usage
    assert created["validityPeriod"] == 365 and created["status"] == "VALID"
    starts = datetime.fromisoformat(created["startsAt"])
    assert (datetime.fromisoformat(created["expiresAt"]) - starts).days == 365
    assert created["default"] is (usage != "SIGNING")  # first of its usage, SIGNING has one
    assert "privateKey" not in json.dumps(created) and "PRIVATE" not in json.dumps(created)
    key_path = f"/environments/{env}/keys/{created['id']}"
    assert (await admin.get(key_path)).json() == created

    from_pem = await _certificate_of(admin, env, created["id"])
    from_x509 = x509.load_pem_x509_certificate(await _download(admin, env, created["id"], X509))
    [from_pkcs7] = pkcs7.load_der_pkcs7_certificates(
        await _download(admin, env, created["id"], PKCS7)
    )
    assert from_pem == from_x509 == from_pkcs7
    assert from_pem.serial_number == created["serialNumber"]
    public_key = from_pem.public_key()
    expected = rsa.RSAPublicKey if algorithm == "RSA" else ec.EllipticCurvePublicKey
    assert isinstance(public_key, expected) and public_key.key_size == length
    basic = from_pem.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca is (usage == "ISSUANCE")
    assert from_pem.subject.rfc4514_string() == (
        "CN=Example Signing,OU=IAM,O=Example Corp,L=Denver,ST=CO,C=US"
    )


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"keyLength": 1024}, "keyLength"),
        (
            {"algorithm": "EC", "keyLength": 2048, "signatureAlgorithm": "SHA256withECDSA"},
            "keyLength",
        ),
        ({"algorithm": "EC", "keyLength": 256}, "signatureAlgorithm"),
        ({"signatureAlgorithm": "SHA256withECDSA"}, "signatureAlgorithm"),
        ({"signatureAlgorithm": "SHA1withRSA"}, "signatureAlgorithm"),
        ({"algorithm": "UNKNOWN"}, "algorithm"),
        ({"subjectDN": "not a dn"}, "subjectDN"),
        ({"subjectDN": "CN=x, C=USA"}, "subjectDN"),
        ({"subjectDN": ""}, "subjectDN"),
        ({"issuerDN": "CN=Some CA"}, "issuerDN"),
        ({"validityPeriod": 0}, "validityPeriod"),
        ({"validityPeriod": "365"}, "validityPeriod"),
        ({"usageType": "SIGNATURE"}, "usageType"),
        ({"name": None}, "name"),
        (
            {
                "algorithm": "EC",
                "keyLength": 256,
                "signatureAlgorithm": "SHA256withECDSA",
                "default": True,
            },
            "default",
        ),
    ],
)
async def test_invalid_key_requests_name_their_target(
    admin: Api, env: str, change: dict[str, Any], target: str
) -> None:
    body = {key: value for key, value in _key_body(**change).items() if value is not None}
    assert_error(
        await admin.post(f"/environments/{env}/keys", json=body), 400, "INVALID_DATA", target=target
    )
    assert len(await _keys(admin, env)) == 1


async def test_issuer_dn_may_repeat_the_subject(admin: Api, env: str) -> None:
    body = _key_body(subjectDN="cn=Lower,o=Case", issuerDN="CN=Lower, O=Case")
    created = await admin.create(f"/environments/{env}/keys", body)
    assert created["subjectDN"] == created["issuerDN"] == "CN=Lower, O=Case"


@pytest.mark.parametrize(("kind", "size", "password"), [("RSA", 2048, "s3cret"), ("EC", 256, None)])
async def test_pkcs12_import(
    admin: Api, env: str, kind: str, size: int, password: str | None
) -> None:
    key, cert = certificate(key_pair(kind, size), common_name="imported.example.com")
    fields = {"usageType": "ENCRYPTION", **({"password": password} if password else {})}
    response = await upload(
        admin, f"/environments/{env}/keys", pkcs12_file(key, cert, password), "key.p12", **fields
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "imported.example.com" and created["usageType"] == "ENCRYPTION"
    assert created["subjectDN"] == "CN=imported.example.com, O=Example Corp"
    assert created["algorithm"] == kind and created["keyLength"] == size
    assert created["signatureAlgorithm"] == (
        "SHA256withRSA" if kind == "RSA" else "SHA256withECDSA"
    )
    assert created["default"] is True  # the first ENCRYPTION key
    assert await _certificate_of(admin, env, created["id"]) == cert


async def test_pkcs12_import_refusals(admin: Api, env: str) -> None:
    path = f"/environments/{env}/keys"
    key, cert = certificate()
    protected = pkcs12_file(key, cert, "right")
    cases = [
        (protected, {"usageType": "SIGNING", "password": "wrong"}, "file"),
        (protected, {"usageType": "SIGNING"}, "file"),
        (b"garbage", {"usageType": "SIGNING"}, "file"),
        (pem(cert), {"usageType": "SIGNING"}, "file"),
        (pkcs12_file(*certificate(key_pair("RSA", 1024)), None), {"usageType": "SIGNING"}, "file"),
        (protected, {"password": "right"}, "usageType"),
        (protected, {"usageType": "NONE", "password": "right"}, "usageType"),
    ]
    for content, fields, target in cases:
        assert_error(
            await upload(admin, path, content, **fields), 400, "INVALID_DATA", target=target
        )
    no_file = await admin.client.post(
        f"/v1{path}",
        data={"usageType": "SIGNING"},
        files={"other": ("x", b"x")},
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert_error(no_file, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="file")
    malformed = await admin.post(
        path, content=b"--x\r\nnonsense", media_type="multipart/form-data; boundary=x"
    )
    assert malformed.status_code == 400 and malformed.json()["code"] in (
        "INVALID_REQUEST",
        "INVALID_DATA",
    )
    assert_error(
        await admin.post(path, content=b"x", media_type="application/x-pkcs12"),
        415,
        "INVALID_REQUEST",
    )
    assert len(await _keys(admin, env)) == 1


async def _worker_token(admin: Api, env: str) -> tuple[str, str, str]:
    """A worker application of `env` (no roles): its id, secret and a fresh token."""
    created = await admin.create(
        f"/environments/{env}/applications",
        {
            "name": "token minter",
            "enabled": True,
            "protocol": "OPENID_CONNECT",
            "type": "WORKER",
            "grantTypes": ["CLIENT_CREDENTIALS"],
            "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
        },
    )
    secret = (await admin.get(f"/environments/{env}/applications/{created['id']}/secret")).json()
    token = await admin.token_for(env, created["id"], secret["secret"])
    return created["id"], secret["secret"], token


async def test_switching_the_default_signing_key_switches_token_signing(
    admin: Api, env: str
) -> None:
    client_id, secret, old_token = await _worker_token(admin, env)
    [original] = await _keys(admin, env)
    original_cert = await _certificate_of(admin, env, original["id"])

    async def jwks() -> dict[str, Any]:
        return (await admin.client.get(f"/{env}/as/jwks")).json()

    old_kid = _kid_of(await jwks(), original_cert)
    assert _token_kid(old_token) == old_kid

    second = await admin.create(f"/environments/{env}/keys", _key_body())
    assert second["default"] is False
    assert [k["kid"] for k in (await jwks())["keys"]] == [old_kid]

    path = f"/environments/{env}/keys/{second['id']}"
    switched = await admin.put(path, json={"usageType": "SIGNING", "default": True})
    assert switched.status_code == 200, switched.text
    assert switched.json()["default"] is True
    assert (await admin.get(f"/environments/{env}/keys/{original['id']}")).json()[
        "default"
    ] is False
    published = await jwks()
    new_kid = _kid_of(published, await _certificate_of(admin, env, second["id"]))
    assert [k["kid"] for k in published["keys"]] == [new_kid, old_kid]
    new_token = await admin.token_for(env, client_id, secret)
    assert _token_kid(new_token) == new_kid
    # both still verify: a worker without roles is refused (403), not unauthenticated (401)
    for token in (old_token, new_token):
        assert_error(
            await admin.with_token(token).get(f"/environments/{env}"), 403, "ACCESS_FAILED"
        )

    third = await admin.create(f"/environments/{env}/keys", _key_body(default=True))
    assert third["default"] is True
    third_kid = _kid_of(await jwks(), await _certificate_of(admin, env, third["id"]))
    assert [k["kid"] for k in (await jwks())["keys"]] == [third_kid, new_kid]
    assert_error(
        await admin.with_token(old_token).get(f"/environments/{env}"), 401, "ACCESS_FAILED"
    )
    assert _token_kid(await admin.token_for(env, client_id, secret)) == third_kid

    back = await admin.put(
        f"/environments/{env}/keys/{original['id']}", json={"usageType": "SIGNING", "default": True}
    )
    assert back.status_code == 200
    assert [k["kid"] for k in (await jwks())["keys"]] == [old_kid, third_kid]
    assert _token_kid(await admin.token_for(env, client_id, secret)) == old_kid


async def test_default_signing_key_rules(admin: Api, env: str) -> None:
    [current] = await _keys(admin, env)
    path = f"/environments/{env}/keys/{current['id']}"
    assert_error(await admin.delete(path), 400, "REQUEST_FAILED")
    assert_error(
        await admin.put(path, json={"usageType": "SIGNING", "default": False}),
        400,
        "REQUEST_FAILED",
    )
    assert_error(
        await admin.put(path, json={"usageType": "ENCRYPTION", "default": True}),
        400,
        "REQUEST_FAILED",
    )
    assert_error(
        await admin.put(
            path, json={"usageType": "SIGNING", "default": True, "issuerDN": "CN=Other"}
        ),
        400,
        "INVALID_DATA",
        target="issuerDN",
    )
    ec_key = await admin.create(
        f"/environments/{env}/keys",
        _key_body(algorithm="EC", keyLength=256, signatureAlgorithm="SHA256withECDSA"),
    )
    assert_error(
        await admin.put(
            f"/environments/{env}/keys/{ec_key['id']}",
            json={"usageType": "SIGNING", "default": True},
        ),
        400,
        "INVALID_DATA",
        target="default",
    )
    unchanged = await admin.put(path, json={"usageType": "SIGNING", "default": True})
    assert unchanged.status_code == 200 and unchanged.json()["default"] is True


async def test_one_default_per_usage_type(admin: Api, env: str) -> None:
    path = f"/environments/{env}/keys"
    first = await admin.create(path, _key_body(usageType="ENCRYPTION"))
    second = await admin.create(path, _key_body(usageType="ENCRYPTION"))
    assert first["default"] is True and second["default"] is False
    made = await admin.put(
        f"{path}/{second['id']}", json={"usageType": "ENCRYPTION", "default": True}
    )
    assert made.status_code == 200 and made.json()["default"] is True
    assert (await admin.get(f"{path}/{first['id']}")).json()["default"] is False
    assert_error(await admin.delete(f"{path}/{second['id']}"), 400, "REQUEST_FAILED")
    assert (await admin.delete(f"{path}/{first['id']}")).status_code == 204
    assert (await admin.delete(f"{path}/{second['id']}")).status_code == 204
    assert_error(await admin.get(f"{path}/{second['id']}"), 404, "NOT_FOUND")

    moved = await admin.create(path, _key_body())
    changed = await admin.put(
        f"{path}/{moved['id']}", json={"usageType": "SSL/TLS", "default": False}
    )
    assert changed.status_code == 200
    assert changed.json()["usageType"] == "SSL/TLS" and changed.json()["default"] is True


async def test_a_previous_signing_key_given_another_usage_is_no_longer_published(
    admin: Api, env: str
) -> None:
    [original] = await _keys(admin, env)
    path = f"/environments/{env}/keys"
    await admin.create(path, _key_body(default=True))
    assert len((await admin.client.get(f"/{env}/as/jwks")).json()["keys"]) == 2
    moved = await admin.put(
        f"{path}/{original['id']}", json={"usageType": "ENCRYPTION", "default": False}
    )
    assert moved.status_code == 200, moved.text
    assert len((await admin.client.get(f"/{env}/as/jwks")).json()["keys"]) == 1
    assert (await admin.delete(f"{path}/{original['id']}")).status_code == 204


async def test_keys_belong_to_their_environment(admin: Api, env: str) -> None:
    [key] = await _keys(admin, env)
    other = (
        await admin.create(
            "/environments", {"name": f"other-{key['id'][:8]}", "type": "SANDBOX", "region": "NA"}
        )
    )["id"]
    assert_error(await admin.get(f"/environments/{other}/keys/{key['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.delete(f"/environments/{other}/keys/{key['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.get(f"/environments/{env}/keys/nope"), 404, "NOT_FOUND")
