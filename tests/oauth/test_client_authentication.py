"""Client authentication at the token endpoint: client_secret_basic, client_secret_post,
client_secret_jwt and private_key_jwt (RFC 7523) and none, each only as the application's
tokenEndpointAuthMethod."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from tests.oauth import support
from tests.support.api import Api

pytestmark = pytest.mark.anyio

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def assertion(
    key: Any, client_id: str, audience: str, *, alg: str = "RS256", **overrides: Any
) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_hex(8),
        **overrides,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    header = {"alg": alg, **({"kid": key.kid} if getattr(key, "kid", None) else {})}
    return jwt.encode(header, claims, key, algorithms=[alg])


async def code_for(app: Any, admin: Api, env: str, client: support.Client) -> str:
    person = await support.user(admin, env)
    return (await support.authorize(app, env, client, person["id"]))["code"]


async def redeem_with_assertion(
    admin: Api, env: str, client: support.Client, code: str, signed: str
) -> httpx.Response:
    return await admin.client.post(
        f"/{env}/as/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": support.REDIRECT_URI,
            "client_assertion_type": JWT_BEARER,
            "client_assertion": signed,
        },
    )


async def test_client_secret_post(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env, tokenEndpointAuthMethod="CLIENT_SECRET_POST")
    code = await code_for(app, admin, env, client)
    basic = await support.exchange(admin.client, env, client, code)
    assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"
    response = await admin.client.post(
        f"/{env}/as/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": support.REDIRECT_URI,
            "client_id": client.id,
            "client_secret": client.secret,
        },
    )
    assert response.status_code == 200, response.text


async def test_client_secret_basic_refuses_a_wrong_secret(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    code = await code_for(app, admin, env, client)
    wrong = support.Client(client.id, "wrong-secret")
    response = await support.exchange(admin.client, env, wrong, code)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_malformed_basic_credentials_are_invalid_client(admin: Api, env: str) -> None:
    for value in (b"Basic \xff\xfe", b"Basic !!!", b"Basic " + b"bm9jb2xvbg=="):
        response = await admin.client.post(
            f"/{env}/as/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": value},
        )
        assert response.status_code == 401, (value, response.text)
        assert response.json()["error"] == "invalid_client"


async def test_none_is_for_public_clients_only(app: Any, admin: Api, env: str) -> None:
    confidential = await support.oidc_client(admin, env)
    code = await code_for(app, admin, env, confidential)
    response = await support.exchange(
        admin.client, env, support.Client(confidential.id, None), code
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"

    public = await support.oidc_client(
        admin, env, kind="NATIVE_APP", tokenEndpointAuthMethod="NONE"
    )
    person = await support.user(admin, env)
    verifier, challenge = support.pkce_pair()
    code = (
        await support.authorize(
            app, env, public, person["id"], code_challenge=challenge, code_challenge_method="S256"
        )
    )["code"]
    with_secret = await support.exchange(
        admin.client, env, support.Client(public.id, "made-up"), code, code_verifier=verifier
    )
    assert with_secret.status_code == 401
    response = await support.exchange(admin.client, env, public, code, code_verifier=verifier)
    assert response.status_code == 200, response.text


async def test_client_secret_jwt(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env, tokenEndpointAuthMethod="CLIENT_SECRET_JWT")
    assert client.secret
    key = OctKey.import_key(client.secret)
    audience = f"{support.issuer(env)}/token"
    code = await code_for(app, admin, env, client)
    signed = assertion(key, client.id, audience, alg="HS256")
    response = await redeem_with_assertion(admin, env, client, code, signed)
    assert response.status_code == 200, response.text

    # the issuer is an accepted audience too; HS512 works as well
    code = await code_for(app, admin, env, client)
    signed = assertion(key, client.id, support.issuer(env), alg="HS512")
    assert (await redeem_with_assertion(admin, env, client, code, signed)).status_code == 200


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": "https://elsewhere.example.com/token"}, "aud"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({"exp": None}, "expired"),
        ({"jti": None}, "jti"),
        ({"iss": "someone-else"}, "iss"),
        ({"nbf": int(time.time()) + 600}, "not valid yet"),
        ({"aud": [{"not": "a string"}]}, "aud"),
        ({"exp": 10**15}, "far in the future"),
    ],
)
async def test_bad_client_secret_jwt_assertions_are_invalid_client(
    app: Any, admin: Api, env: str, change: dict[str, Any], reason: str
) -> None:
    client = await support.oidc_client(admin, env, tokenEndpointAuthMethod="CLIENT_SECRET_JWT")
    assert client.secret
    code = await code_for(app, admin, env, client)
    signed = assertion(
        OctKey.import_key(client.secret),
        client.id,
        f"{support.issuer(env)}/token",
        alg="HS256",
        **change,
    )
    response = await redeem_with_assertion(admin, env, client, code, signed)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert reason in response.json()["error_description"]


async def test_an_assertion_signed_with_another_secret_or_replayed_is_refused(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env, tokenEndpointAuthMethod="CLIENT_SECRET_JWT")
    assert client.secret
    audience = f"{support.issuer(env)}/token"
    code = await code_for(app, admin, env, client)
    forged = assertion(OctKey.import_key("x" * 64), client.id, audience, alg="HS256")
    response = await redeem_with_assertion(admin, env, client, code, forged)
    assert response.status_code == 401 and "signature" in response.json()["error_description"]

    signed = assertion(OctKey.import_key(client.secret), client.id, audience, alg="HS256")
    assert (await redeem_with_assertion(admin, env, client, code, signed)).status_code == 200
    code = await code_for(app, admin, env, client)
    replayed = await redeem_with_assertion(admin, env, client, code, signed)
    assert replayed.status_code == 401 and "already used" in replayed.json()["error_description"]


async def test_assertion_requests_that_are_malformed(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env, tokenEndpointAuthMethod="CLIENT_SECRET_JWT")
    base = {"grant_type": "authorization_code", "code": "c", "redirect_uri": support.REDIRECT_URI}
    cases = [
        {"client_assertion_type": "urn:other", "client_assertion": "a.b.c"},
        {"client_assertion_type": JWT_BEARER, "client_assertion": "not-a-jwt"},
        {"client_assertion_type": JWT_BEARER},
    ]
    for extra in cases:
        response = await admin.client.post(f"/{env}/as/token", data={**base, **extra})
        assert response.status_code == 401, (extra, response.text)
        assert response.json()["error"] == "invalid_client"
    signed = assertion(OctKey.import_key(client.secret or ""), client.id, "x", alg="HS256")
    both = await admin.client.post(
        f"/{env}/as/token",
        data={**base, "client_assertion_type": JWT_BEARER, "client_assertion": signed},
        auth=(client.id, client.secret or ""),
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    mismatch = await admin.client.post(
        f"/{env}/as/token",
        data={
            **base,
            "client_id": "someone-else",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": signed,
        },
    )
    assert mismatch.status_code == 401


def rsa_key(kid: str = "rp-key-1") -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid}, private=True)


async def test_private_key_jwt_with_registered_jwks(app: Any, admin: Api, env: str) -> None:
    key = rsa_key()
    ec = ECKey.generate_key("P-256", parameters={"kid": "rp-ec"}, private=True)
    registered = json.dumps({"keys": [key.as_dict(private=False), ec.as_dict(private=False)]})
    client = await support.oidc_client(
        admin, env, tokenEndpointAuthMethod="PRIVATE_KEY_JWT", jwks=registered
    )
    audience = f"{support.issuer(env)}/token"
    code = await code_for(app, admin, env, client)
    response = await redeem_with_assertion(
        admin, env, client, code, assertion(key, client.id, audience)
    )
    assert response.status_code == 200, response.text
    code = await code_for(app, admin, env, client)
    response = await redeem_with_assertion(
        admin, env, client, code, assertion(ec, client.id, audience, alg="ES256")
    )
    assert response.status_code == 200, response.text

    stranger = rsa_key()  # same kid, another key
    code = await code_for(app, admin, env, client)
    refused = await redeem_with_assertion(
        admin, env, client, code, assertion(stranger, client.id, audience)
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    # an HMAC assertion is client_secret_jwt, which this client does not use
    hmac_signed = assertion(OctKey.import_key("k" * 64), client.id, audience, alg="HS256")
    refused = await redeem_with_assertion(admin, env, client, code, hmac_signed)
    assert refused.status_code == 401 and "private_key_jwt" in refused.json()["error_description"]


async def test_client_credentials_with_private_key_jwt(app: Any, admin: Api, env: str) -> None:
    key = rsa_key()
    created = await admin.create(
        f"/environments/{env}/applications",
        {
            "name": f"svc-{secrets.token_hex(4)}",
            "enabled": True,
            "protocol": "OPENID_CONNECT",
            "type": "WORKER",
            "grantTypes": ["CLIENT_CREDENTIALS"],
            "tokenEndpointAuthMethod": "PRIVATE_KEY_JWT",
            "jwks": json.dumps(KeySet([key]).as_dict(private=False)),
        },
    )
    response = await admin.client.post(
        f"/{env}/as/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion(key, created["id"], f"{support.issuer(env)}/token"),
        },
    )
    assert response.status_code == 200, response.text
