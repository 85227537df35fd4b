"""/{envId}/as/introspect (RFC 7662) by applications and by custom resources with their secret, and
/{envId}/as/revoke (RFC 7009): what revoking does to userinfo, refreshes and introspection."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.oauth import support
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def custom_resource(admin: Api, env: str, **fields: Any) -> tuple[dict[str, Any], str]:
    """A custom resource with an `orders:read` scope, and its secret."""
    name = f"orders-{secrets.token_hex(4)}"
    resource = await admin.create(
        f"/environments/{env}/resources",
        {"name": name, "audience": f"https://{name}.example.com", **fields},
    )
    await admin.create(
        f"/environments/{env}/resources/{resource['id']}/scopes", {"name": "orders:read"}
    )
    secret = (await admin.get(f"/environments/{env}/resources/{resource['id']}/secret")).json()
    return resource, secret["secret"]


async def revoke(admin: Api, env: str, client: support.Client, token: str, **form: str) -> Any:
    return await admin.client.post(
        f"/{env}/as/revoke", data={"token": token, **form}, auth=client.auth
    )


async def test_a_client_introspects_its_own_tokens(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    other = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    tokens = await support.tokens_for(app, admin.client, env, client, person["id"])
    assert client.auth and other.auth

    access = await support.introspect(admin.client, env, client.auth, tokens["access_token"])
    assert access["active"] is True and access["client_id"] == client.id
    assert access["sub"] == person["id"] and access["scope"] == tokens["scope"]
    assert access["token_type"] == "Bearer" and access["exp"] > access["iat"]

    refresh = await support.introspect(
        admin.client, env, client.auth, tokens["refresh_token"], token_type_hint="refresh_token"
    )
    assert refresh["active"] is True and refresh["client_id"] == client.id
    assert refresh["sub"] == person["id"] and refresh["scope"] == tokens["scope"]

    for token in (tokens["access_token"], tokens["refresh_token"], "garbage"):
        assert await support.introspect(admin.client, env, other.auth, token) == {"active": False}


async def test_introspection_needs_an_authenticated_caller(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    unauthenticated = await admin.client.post(f"/{env}/as/introspect", data={"token": "x"})
    assert unauthenticated.status_code == 401
    wrong = await admin.client.post(
        f"/{env}/as/introspect", data={"token": "x"}, auth=(client.id, "wrong")
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    missing = await admin.client.post(f"/{env}/as/introspect", data={}, auth=client.auth)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


async def test_a_resource_introspects_the_tokens_for_its_audience(
    app: Any, admin: Api, env: str
) -> None:
    resource, secret = await custom_resource(admin, env)
    other_resource, other_secret = await custom_resource(admin, env)
    client = await support.oidc_client(admin, env)
    await support.grant(admin, env, client.id, resource["name"], "orders:read")
    await admin.create(
        f"/environments/{env}/resources/{resource['id']}/attributes",
        {"name": "email_address", "value": "${user.email}"},
    )
    person = await support.user(admin, env, email="r@example.com")
    tokens = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="openid orders:read"
    )
    claims = await support.claims_of(admin.client, env, tokens["access_token"])
    assert claims["aud"] == [resource["audience"]] and claims["email_address"] == "r@example.com"

    seen = await support.introspect(
        admin.client, env, (resource["id"], secret), tokens["access_token"]
    )
    assert seen["active"] is True and seen["aud"] == [resource["audience"]]
    assert seen["email_address"] == "r@example.com"
    # another resource's server, and refresh tokens, are not for resources to see
    unseen = await support.introspect(
        admin.client, env, (other_resource["id"], other_secret), tokens["access_token"]
    )
    assert unseen == {"active": False}
    refresh = await support.introspect(
        admin.client, env, (resource["id"], secret), tokens["refresh_token"]
    )
    assert refresh == {"active": False}
    wrong = await admin.client.post(
        f"/{env}/as/introspect", data={"token": "x"}, auth=(resource["id"], other_secret)
    )
    assert wrong.status_code == 401


async def test_a_resource_introspects_with_client_secret_post(
    app: Any, admin: Api, env: str
) -> None:
    resource, secret = await custom_resource(
        admin, env, introspectEndpointAuthMethod="CLIENT_SECRET_POST"
    )
    basic = await admin.client.post(
        f"/{env}/as/introspect", data={"token": "x"}, auth=(resource["id"], secret)
    )
    assert basic.status_code == 401
    posted = await admin.client.post(
        f"/{env}/as/introspect",
        data={"token": "x", "client_id": resource["id"], "client_secret": secret},
    )
    assert posted.status_code == 200 and posted.json() == {"active": False}


async def test_the_sub_of_a_custom_resource_comes_from_its_sub_attribute(
    app: Any, admin: Api, env: str
) -> None:
    resource, _ = await custom_resource(admin, env)
    attributes = f"/environments/{env}/resources/{resource['id']}/attributes"
    listed = (await admin.get(attributes)).json()["_embedded"]["attributes"]
    sub = next(a for a in listed if a["name"] == "sub")
    await admin.put(f"{attributes}/{sub['id']}", json={"name": "sub", "value": "${user.username}"})
    client = await support.oidc_client(admin, env, scopes=())
    await support.grant(admin, env, client.id, resource["name"], "orders:read")
    person = await support.user(admin, env)
    tokens = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="orders:read"
    )
    claims = await support.claims_of(admin.client, env, tokens["access_token"])
    assert claims["sub"] == person["username"] and "id_token" not in tokens


async def test_revoking_an_access_token(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    tokens = await support.tokens_for(app, admin.client, env, client, person["id"])
    assert client.auth
    # answered "not revoked" first, so that answer is cached: the revocation must end it
    assert (await support.userinfo(admin.client, env, tokens["access_token"])).status_code == 200
    response = await revoke(
        admin, env, client, tokens["access_token"], token_type_hint="access_token"
    )
    assert response.status_code == 200
    assert (await support.userinfo(admin.client, env, tokens["access_token"])).status_code == 401
    assert await support.introspect(admin.client, env, client.auth, tokens["access_token"]) == {
        "active": False
    }
    # the refresh token still works: only that access token was revoked
    refreshed = await support.token(
        admin.client, env, client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200
    assert (await revoke(admin, env, client, tokens["access_token"])).status_code == 200
    # revoking the family then skips the access token already revoked
    newest = refreshed.json()
    assert (await revoke(admin, env, client, newest["refresh_token"])).status_code == 200
    assert (await support.userinfo(admin.client, env, newest["access_token"])).status_code == 401


async def test_revoking_a_refresh_token_ends_its_family(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    tokens = await support.tokens_for(app, admin.client, env, client, person["id"])
    assert client.auth
    introspected = await support.introspect(admin.client, env, client.auth, tokens["access_token"])
    assert introspected["active"] is True
    assert (await revoke(admin, env, client, tokens["refresh_token"])).status_code == 200
    refreshed = await support.token(
        admin.client, env, client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    # RFC 7009 2.1: the access tokens of the same grant go too
    assert (await support.userinfo(admin.client, env, tokens["access_token"])).status_code == 401
    refresh = await support.introspect(admin.client, env, client.auth, tokens["refresh_token"])
    assert refresh == {"active": False}


async def test_revocation_answers(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    other = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    tokens = await support.tokens_for(app, admin.client, env, client, person["id"])
    for unknown in ("unknown-token", "a.b.c"):
        assert (await revoke(admin, env, client, unknown)).status_code == 200
    for token in (tokens["access_token"], tokens["refresh_token"]):
        refused = await revoke(admin, env, other, token)
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert (await support.userinfo(admin.client, env, tokens["access_token"])).status_code == 200
    anonymous = await admin.client.post(f"/{env}/as/revoke", data={"token": "x"})
    assert anonymous.status_code == 401
    no_token = await admin.client.post(f"/{env}/as/revoke", data={}, auth=client.auth)
    assert no_token.status_code == 400 and no_token.json()["error"] == "invalid_request"


async def test_a_worker_revokes_its_client_credentials_token(admin: Api, credentials: Any) -> None:
    token = await admin.token_for(
        credentials.environment_id, credentials.client_id, credentials.client_secret
    )
    worker = admin.with_token(token)
    assert (await worker.get("/environments")).status_code == 200
    response = await admin.client.post(
        f"/{credentials.environment_id}/as/revoke",
        data={"token": token},
        auth=(credentials.client_id, credentials.client_secret),
    )
    assert response.status_code == 200
    assert (await worker.get("/environments")).status_code == 401
