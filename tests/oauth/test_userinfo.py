"""/{envId}/as/userinfo (OIDC Core 5.3): sub and the claims the token's scopes and the
application's attribute mappings release, for a valid access token with the openid scope; RFC 6750
errors otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.common import clock
from tests.oauth import support
from tests.support.api import Api

pytestmark = pytest.mark.anyio

FULL = {
    "email": "ada@example.com",
    "name": {"given": "Ada", "family": "Lovelace", "formatted": "Ada Lovelace"},
    "nickname": "ada",
    "locale": "en-GB",
    "primaryPhone": "+44 20 7946 0000",
    "address": {
        "streetAddress": "12 St James's Square",
        "locality": "London",
        "postalCode": "SW1Y 4LB",
        "countryCode": "GB",
    },
}


async def test_claims_follow_the_granted_scopes(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env, **FULL)
    tokens = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="openid email"
    )
    response = await support.userinfo(admin.client, env, tokens["access_token"])
    assert response.status_code == 200, response.text
    assert response.json() == {
        "sub": person["id"],
        "email": "ada@example.com",
        "email_verified": False,
    }

    tokens = await support.tokens_for(
        app,
        admin.client,
        env,
        client,
        person["id"],
        scope="openid profile email address phone",
    )
    claims = (await support.userinfo(admin.client, env, tokens["access_token"])).json()
    assert claims["name"] == "Ada Lovelace" and claims["given_name"] == "Ada"
    assert claims["nickname"] == "ada" and claims["locale"] == "en-GB"
    assert claims["preferred_username"] == person["username"]
    assert claims["address"] == {
        "street_address": "12 St James's Square",
        "locality": "London",
        "postal_code": "SW1Y 4LB",
        "country": "GB",
    }
    assert claims["phone_number"] == "+44 20 7946 0000"
    assert claims["phone_number_verified"] is False
    assert isinstance(claims["updated_at"], int)
    assert "middle_name" not in claims  # no value, no claim


async def test_get_and_post_with_a_form_token(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    tokens = await support.tokens_for(app, admin.client, env, client, person["id"])
    posted = await admin.client.post(
        f"/{env}/as/userinfo", data={"access_token": tokens["access_token"]}
    )
    assert posted.status_code == 200 and posted.json()["sub"] == person["id"]
    with_header = await admin.client.post(
        f"/{env}/as/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert with_header.status_code == 200
    both = await admin.client.post(
        f"/{env}/as/userinfo",
        data={"access_token": tokens["access_token"]},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


async def test_application_attribute_mappings(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env, email="m@example.com", title="Countess")
    scopes = await support.scope_ids(
        admin, env, (await support.resource_named(admin, env, "openid"))["id"]
    )
    mappings = f"/environments/{env}/applications/{client.id}/attributes"
    await admin.create(
        mappings,
        {"name": "job", "value": "${user.title}", "required": False, "idToken": False},
    )
    await admin.create(
        mappings,
        {
            "name": "contact",
            "value": "${user.email}",
            "required": False,
            "userInfo": False,
        },
    )
    await admin.create(
        mappings,
        {
            "name": "phone_only",
            "value": "literal",
            "required": False,
            "oidcScopes": [scopes["phone"]],
        },
    )
    tokens = await support.tokens_for(app, admin.client, env, client, person["id"], scope="openid")
    claims = (await support.userinfo(admin.client, env, tokens["access_token"])).json()
    assert claims == {"sub": person["id"], "job": "Countess"}
    id_token = await support.claims_of(admin.client, env, tokens["id_token"])
    assert id_token["contact"] == "m@example.com" and "job" not in id_token
    assert "phone_only" not in id_token

    tokens = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="openid phone"
    )
    claims = (await support.userinfo(admin.client, env, tokens["access_token"])).json()
    assert claims["phone_only"] == "literal"


async def test_the_sub_mapping_and_openid_attributes_can_be_changed(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env, email="s@example.com", externalId="ext-42")
    mappings = (await admin.get(f"/environments/{env}/applications/{client.id}/attributes")).json()
    sub = next(m for m in mappings["_embedded"]["attributes"] if m["name"] == "sub")
    await admin.put(
        f"/environments/{env}/applications/{client.id}/attributes/{sub['id']}",
        json={"name": "sub", "value": "${user.externalId}", "required": True},
    )
    openid = await support.resource_named(admin, env, "openid")
    attributes = (
        await admin.get(f"/environments/{env}/resources/{openid['id']}/attributes")
    ).json()
    email = next(a for a in attributes["_embedded"]["attributes"] if a["name"] == "email")
    await admin.put(
        f"/environments/{env}/resources/{openid['id']}/attributes/{email['id']}",
        json={"name": "email", "value": "${user.username}", "idToken": False, "userInfo": True},
    )
    tokens = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="openid email"
    )
    id_token = await support.claims_of(admin.client, env, tokens["id_token"])
    assert id_token["sub"] == "ext-42" and "email" not in id_token
    claims = (await support.userinfo(admin.client, env, tokens["access_token"])).json()
    assert claims["sub"] == "ext-42" and claims["email"] == person["username"]


async def test_a_custom_openid_scope_releases_the_claims_it_maps(
    app: Any, admin: Api, env: str
) -> None:
    openid = await support.resource_named(admin, env, "openid")
    base = f"/environments/{env}/resources/{openid['id']}"
    claim = await admin.create(
        f"{base}/attributes", {"name": "job_title", "value": "${user.title}"}
    )
    await admin.create(f"{base}/scopes", {"name": "work", "mappedClaims": [claim["id"]]})
    client = await support.oidc_client(admin, env, scopes=("openid", "work"))
    person = await support.user(admin, env, title="Engineer")
    plain = await support.tokens_for(app, admin.client, env, client, person["id"], scope="openid")
    assert (
        "job_title" not in (await support.userinfo(admin.client, env, plain["access_token"])).json()
    )
    tokens = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="openid work"
    )
    assert (await support.userinfo(admin.client, env, tokens["access_token"])).json()[
        "job_title"
    ] == "Engineer"


async def test_rfc_6750_errors(app: Any, admin: Api, env: str, credentials: Any) -> None:
    anonymous = await admin.client.get(f"/{env}/as/userinfo")
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="gatehouse"'

    garbage = await support.userinfo(admin.client, env, "not-a-token")
    assert garbage.status_code == 401 and garbage.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in garbage.headers["www-authenticate"]

    # a client_credentials token has no openid scope
    worker = await support.userinfo(admin.client, env, admin.token or "")
    assert worker.status_code == 401  # and it is another environment's token

    client = await support.oidc_client(admin, env)
    await support.grant(admin, env, client.id, "PingOne API", "p1:read:user")
    person = await support.user(admin, env)
    api_only = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="p1:read:user"
    )
    refused = await support.userinfo(admin.client, env, api_only["access_token"])
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]

    tokens = await support.tokens_for(app, admin.client, env, client, person["id"])
    other_env = await support.userinfo(
        admin.client, credentials.environment_id, tokens["access_token"]
    )
    assert other_env.status_code == 401
    clock.advance(3601)
    expired = await support.userinfo(admin.client, env, tokens["access_token"])
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_token"


async def test_a_disabled_user_gets_no_userinfo(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    tokens = await support.tokens_for(app, admin.client, env, client, person["id"])
    await admin.put(f"/environments/{env}/users/{person['id']}/enabled", json={"enabled": False})
    response = await support.userinfo(admin.client, env, tokens["access_token"])
    assert response.status_code == 401
