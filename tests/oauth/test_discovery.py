"""/{envId}/as/.well-known/openid-configuration and /{envId}/as/jwks."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import KeySet

from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def test_the_discovery_document(admin: Api, env: str) -> None:
    response = await admin.client.get(f"/{env}/as/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    issuer = f"http://testserver/{env}/as"
    assert document["issuer"] == issuer
    assert document["authorization_endpoint"] == f"{issuer}/authorize"
    assert document["token_endpoint"] == f"{issuer}/token"
    assert document["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert document["jwks_uri"] == f"{issuer}/jwks"
    assert document["end_session_endpoint"] == f"{issuer}/signoff"
    assert document["introspection_endpoint"] == f"{issuer}/introspect"
    assert document["revocation_endpoint"] == f"{issuer}/revoke"
    assert document["response_types_supported"] == [
        "code",
        "id_token",
        "token id_token",
        "code id_token",
        "code token",
        "code token id_token",
    ]
    assert document["response_modes_supported"] == ["pi.flow", "query", "fragment", "form_post"]
    assert document["grant_types_supported"] == [
        "authorization_code",
        "implicit",
        "client_credentials",
        "refresh_token",
    ]
    assert document["subject_types_supported"] == ["public"]
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "none",
    ]
    assert document["code_challenge_methods_supported"] == ["plain", "S256"]
    assert document["claims_parameter_supported"] is False
    assert document["request_parameter_supported"] is True
    assert {"openid", "profile", "email", "address", "phone"} <= set(document["scopes_supported"])
    claims = set(document["claims_supported"])
    assert {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"} <= claims
    assert {"email", "email_verified", "given_name", "address", "phone_number"} <= claims
    assert "address.locality" not in claims


async def test_custom_openid_scopes_and_claims_are_advertised(admin: Api, env: str) -> None:
    listed = (await admin.get(f"/environments/{env}/resources")).json()
    openid = next(r for r in listed["_embedded"]["resources"] if r["name"] == "openid")
    base = f"/environments/{env}/resources/{openid['id']}"
    await admin.create(f"{base}/attributes", {"name": "department", "value": "${user.title}"})
    await admin.create(f"{base}/scopes", {"name": "work"})
    document = (await admin.client.get(f"/{env}/as/.well-known/openid-configuration")).json()
    assert "work" in document["scopes_supported"]
    assert "department" in document["claims_supported"]


async def test_configured_public_urls_are_used(app: Any, admin: Api, env: str) -> None:
    settings = app.state.runtime.settings
    settings.auth_base_url = "https://auth.example.com"
    try:
        document = (await admin.client.get(f"/{env}/as/.well-known/openid-configuration")).json()
    finally:
        settings.auth_base_url = None
    assert document["issuer"] == f"https://auth.example.com/{env}/as"
    assert document["jwks_uri"] == f"https://auth.example.com/{env}/as/jwks"


async def test_the_jwks_verifies_and_unknown_environments_are_404(admin: Api, env: str) -> None:
    keys = (await admin.client.get(f"/{env}/as/jwks")).json()
    assert KeySet.import_key_set(keys).keys
    assert all("d" not in key for key in keys["keys"])
    missing = await admin.client.get(
        "/00000000-0000-0000-0000-000000000000/as/.well-known/openid-configuration"
    )
    assert missing.status_code == 404
    assert (await admin.client.get("/not-a-uuid/as/jwks")).status_code == 404
