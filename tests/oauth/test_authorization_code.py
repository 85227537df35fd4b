"""The authorization_code grant at /{envId}/as/token (RFC 6749 4.1.3, RFC 7636 4.6): one use per
code, bound to its client and redirect_uri, PKCE checked, a replay revokes what the code gave."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.common import clock
from tests.oauth import support
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def test_a_code_is_exchanged_for_access_id_and_refresh_tokens(
    app: Any, admin: Api, env: str, credentials: Any
) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(
        admin, env, email="ada@example.com", name={"given": "Ada", "family": "Lovelace"}
    )
    sid = await support.sign_on_session(app, env, person["id"])
    code = (
        await support.authorize(
            app, env, client, person["id"], scope="openid profile email", session_id=sid
        )
    )["code"]
    response = await support.exchange(admin.client, env, client, code)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "openid profile email"
    assert body["refresh_token"]

    access = await support.claims_of(admin.client, env, body["access_token"])
    assert access["client_id"] == client.id and access["sub"] == person["id"]
    assert access["aud"] == ["openid"] and access["scope"] == "openid profile email"
    assert access["sid"] == sid and access["acr"] == "Single_Factor" and access["amr"] == ["pwd"]
    assert access["iss"] == support.issuer(env) and access["jti"]
    assert access["auth_time"] <= access["iat"] and "env" not in access

    id_token = await support.claims_of(admin.client, env, body["id_token"])
    assert id_token["aud"] == client.id and id_token["sub"] == person["id"]
    assert id_token["iss"] == support.issuer(env) and id_token["nonce"] == "n-0S6_WzA2Mj"
    assert id_token["exp"] - id_token["iat"] == 3600 and id_token["sid"] == sid
    assert id_token["env"] == env and id_token["org"] == credentials.organization_id
    assert id_token["email"] == "ada@example.com" and id_token["email_verified"] is False
    assert id_token["given_name"] == "Ada" and id_token["family_name"] == "Lovelace"
    assert id_token["preferred_username"] == person["username"]
    assert isinstance(id_token["updated_at"], int)
    assert "at_hash" in id_token and "c_hash" not in id_token


async def test_a_code_is_single_use_and_its_replay_revokes_what_it_gave(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    code = (await support.authorize(app, env, client, person["id"]))["code"]
    first = (await support.exchange(admin.client, env, client, code)).json()
    assert (await support.userinfo(admin.client, env, first["access_token"])).status_code == 200

    replay = await support.exchange(admin.client, env, client, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # RFC 6749 4.1.2: the tokens issued from the code are revoked.
    assert (await support.userinfo(admin.client, env, first["access_token"])).status_code == 401
    refreshed = await support.token(
        admin.client, env, client, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


async def test_a_code_is_bound_to_its_client_and_redirect_uri(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env)
    other = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    code = (await support.authorize(app, env, client, person["id"]))["code"]

    stolen = await support.exchange(admin.client, env, other, code)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    elsewhere = await support.token(
        admin.client,
        env,
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri="https://evil.example.com/callback",
    )
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_grant"
    missing = await support.token(
        admin.client, env, client, grant_type="authorization_code", code=code
    )
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    # the failures did not use the code up
    assert (await support.exchange(admin.client, env, client, code)).status_code == 200


async def test_unknown_missing_and_expired_codes(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    unknown = await support.exchange(admin.client, env, client, "not-a-code")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"
    missing = await support.token(admin.client, env, client, grant_type="authorization_code")
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"

    code = (await support.authorize(app, env, client, person["id"]))["code"]
    clock.advance(61)  # settings.authorization_code_seconds defaults to 60
    expired = await support.exchange(admin.client, env, client, code)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"
    assert "expired" in expired.json()["error_description"]


async def test_pkce_s256_and_plain(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    verifier, challenge = support.pkce_pair()
    code = (
        await support.authorize(
            app, env, client, person["id"], code_challenge=challenge, code_challenge_method="S256"
        )
    )["code"]
    assert (
        await support.exchange(admin.client, env, client, code, code_verifier=verifier)
    ).status_code == 200

    plain = "p" * 43
    code = (await support.authorize(app, env, client, person["id"], code_challenge=plain))["code"]
    assert (
        await support.exchange(admin.client, env, client, code, code_verifier=plain)
    ).status_code == 200


@pytest.mark.parametrize(
    ("verifier", "reason"),
    [
        (None, "required"),
        ("x" * 43, "does not match"),
        ("short", "43 to 128"),
    ],
)
async def test_a_wrong_or_missing_code_verifier_is_invalid_grant(
    app: Any, admin: Api, env: str, verifier: str | None, reason: str
) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    _, challenge = support.pkce_pair()
    code = (
        await support.authorize(
            app, env, client, person["id"], code_challenge=challenge, code_challenge_method="S256"
        )
    )["code"]
    form = {"code_verifier": verifier} if verifier else {}
    response = await support.exchange(admin.client, env, client, code, **form)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert reason in response.json()["error_description"]


async def test_a_verifier_without_a_challenge_is_refused(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    code = (await support.authorize(app, env, client, person["id"]))["code"]
    response = await support.exchange(admin.client, env, client, code, code_verifier="v" * 43)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_a_public_client_needs_pkce(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(
        admin, env, kind="NATIVE_APP", tokenEndpointAuthMethod="NONE"
    )
    person = await support.user(admin, env)
    code = (await support.authorize(app, env, client, person["id"]))["code"]
    refused = await support.exchange(admin.client, env, client, code)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"

    verifier, challenge = support.pkce_pair()
    code = (
        await support.authorize(
            app, env, client, person["id"], code_challenge=challenge, code_challenge_method="S256"
        )
    )["code"]
    response = await support.exchange(admin.client, env, client, code, code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"]


async def test_s256_required_refuses_a_plain_challenge(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env, pkceEnforcement="S256_REQUIRED")
    person = await support.user(admin, env)
    plain = "q" * 43
    code = (await support.authorize(app, env, client, person["id"], code_challenge=plain))["code"]
    response = await support.exchange(admin.client, env, client, code, code_verifier=plain)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_the_grant_type_must_be_the_applications(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    code = (await support.authorize(app, env, client, person["id"]))["code"]
    await admin.put(
        f"/environments/{env}/applications/{client.id}",
        json={**client.config, "grantTypes": ["CLIENT_CREDENTIALS"], "responseTypes": []},
    )
    response = await support.exchange(admin.client, env, client, code)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


async def test_a_disabled_user_gets_no_tokens(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    code = (await support.authorize(app, env, client, person["id"]))["code"]
    disabled = await admin.put(
        f"/environments/{env}/users/{person['id']}/enabled", json={"enabled": False}
    )
    assert disabled.status_code == 200, disabled.text
    response = await support.exchange(admin.client, env, client, code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_no_refresh_token_without_the_refresh_token_grant(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env, grantTypes=["AUTHORIZATION_CODE"])
    person = await support.user(admin, env)
    body = await support.tokens_for(app, admin.client, env, client, person["id"])
    assert "refresh_token" not in body and body["id_token"]


async def test_without_openid_there_is_no_id_token(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    await support.grant(admin, env, client.id, "PingOne API", "p1:read:user")
    person = await support.user(admin, env)
    body = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="p1:read:user"
    )
    assert "id_token" not in body
    access = await support.claims_of(admin.client, env, body["access_token"])
    assert access["aud"] == ["https://api.pingone.com"] and access["env"] == env
    assert access["sub"] == person["id"]
