"""issuance.authorization_response: what /as/authorize and /as/resume answer once the user has
signed on, for each response_type (RFC 6749 4.1.2 and 4.2.2, OIDC Core 3.2.2.5 and 3.3.2.5)."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.oauth.claims import token_hash
from tests.oauth import support
from tests.support.api import Api

pytestmark = pytest.mark.anyio

HYBRID = ["AUTHORIZATION_CODE", "IMPLICIT", "REFRESH_TOKEN"]


async def hybrid_client(admin: Api, env: str) -> support.Client:
    return await support.oidc_client(
        admin, env, grantTypes=HYBRID, responseTypes=["CODE", "TOKEN", "ID_TOKEN"]
    )


async def test_code_comes_with_the_state(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    response = await support.authorize(app, env, client, person["id"], state="xyz")
    assert set(response) == {"code", "state"} and response["state"] == "xyz"
    response = await support.authorize(app, env, client, person["id"], state=None)
    assert set(response) == {"code"}


async def test_implicit_token_and_id_token(app: Any, admin: Api, env: str) -> None:
    client = await hybrid_client(admin, env)
    person = await support.user(admin, env, email="i@example.com")
    response = await support.authorize(
        app,
        env,
        client,
        person["id"],
        response_type=("id_token", "token"),
        scope="openid email",
    )
    assert set(response) == {
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "id_token",
        "state",
    }
    assert response["token_type"] == "Bearer" and response["expires_in"] == "3600"
    assert response["scope"] == "openid email"
    id_token = await support.claims_of(admin.client, env, response["id_token"])
    assert id_token["at_hash"] == token_hash(response["access_token"])
    assert id_token["nonce"] == "n-0S6_WzA2Mj" and "c_hash" not in id_token
    assert id_token["email"] == "i@example.com"
    userinfo = await support.userinfo(admin.client, env, response["access_token"])
    assert userinfo.status_code == 200 and userinfo.json()["email"] == "i@example.com"


async def test_id_token_alone(app: Any, admin: Api, env: str) -> None:
    client = await hybrid_client(admin, env)
    person = await support.user(admin, env)
    response = await support.authorize(app, env, client, person["id"], response_type=("id_token",))
    assert set(response) == {"id_token", "state"}
    id_token = await support.claims_of(admin.client, env, response["id_token"])
    assert "at_hash" not in id_token and "c_hash" not in id_token
    assert id_token["sub"] == person["id"] and id_token["aud"] == client.id


async def test_hybrid_code_id_token_token(app: Any, admin: Api, env: str) -> None:
    client = await hybrid_client(admin, env)
    person = await support.user(admin, env)
    response = await support.authorize(
        app, env, client, person["id"], response_type=("code", "id_token", "token")
    )
    id_token = await support.claims_of(admin.client, env, response["id_token"])
    # OIDC Core 3.3.2.11
    assert id_token["c_hash"] == token_hash(response["code"])
    assert id_token["at_hash"] == token_hash(response["access_token"])
    exchanged = await support.exchange(admin.client, env, client, response["code"])
    assert exchanged.status_code == 200
    # the access token from the authorization response belongs to the code's family
    replay = await support.exchange(admin.client, env, client, response["code"])
    assert replay.status_code == 400
    assert (await support.userinfo(admin.client, env, response["access_token"])).status_code == 401


async def test_token_hash_is_the_left_half_of_sha256() -> None:
    # OIDC Core, appendix A.3 example: access token and its at_hash
    assert token_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y") == "77QmUPtjPfzWtF2AnpK9RQ"


async def test_a_scope_that_is_not_granted_is_refused(app: Any, admin: Api, env: str) -> None:
    from gatehouse.oauth.errors import OAuthError

    client = await support.oidc_client(admin, env, scopes=("openid",))
    person = await support.user(admin, env)
    with pytest.raises(OAuthError) as raised:
        await support.authorize(app, env, client, person["id"], scope="openid email")
    assert raised.value.error == "invalid_scope"
