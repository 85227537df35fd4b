"""A user's access token with PingOne API self-service scopes (seed use case "Configure an
application with an authorization code grant", step 10): p1:read:user reads, p1:update:user
updates the user's own resource, and nothing else without roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.oauth import support
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def user_api(app: Any, admin: Api, env: str, person: dict[str, Any], scope: str) -> Api:
    client = await support.oidc_client(admin, env, scopes=("openid",))
    await support.grant(admin, env, client.id, "PingOne API", "p1:read:user", "p1:update:user")
    tokens = await support.tokens_for(app, admin.client, env, client, person["id"], scope=scope)
    return admin.with_token(tokens["access_token"])


async def test_a_user_reads_their_own_user_and_no_one_else(app: Any, admin: Api, env: str) -> None:
    person = await support.user(admin, env, email="self@example.com")
    someone = await support.user(admin, env)
    api = await user_api(app, admin, env, person, "openid p1:read:user")

    own = await api.get(f"/environments/{env}/users/{person['id']}")
    assert own.status_code == 200, own.text
    assert own.json()["id"] == person["id"] and own.json()["email"] == "self@example.com"

    assert_error(await api.get(f"/environments/{env}/users/{someone['id']}"), 403, "ACCESS_FAILED")
    assert_error(await api.get(f"/environments/{env}/users"), 403, "ACCESS_FAILED")
    assert_error(
        await api.get(f"/environments/{env}/users/{person['id']}/password"), 403, "ACCESS_FAILED"
    )
    # reading is not updating
    assert_error(
        await api.patch(f"/environments/{env}/users/{person['id']}", json={"nickname": "x"}),
        403,
        "ACCESS_FAILED",
    )


async def test_a_user_updates_their_own_user_with_p1_update_user(
    app: Any, admin: Api, env: str
) -> None:
    person = await support.user(admin, env)
    someone = await support.user(admin, env)
    api = await user_api(app, admin, env, person, "p1:read:user p1:update:user")

    patched = await api.patch(f"/environments/{env}/users/{person['id']}", json={"nickname": "Ada"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["nickname"] == "Ada"
    assert_error(
        await api.patch(f"/environments/{env}/users/{someone['id']}", json={"nickname": "x"}),
        403,
        "ACCESS_FAILED",
    )
    # the user resource itself only: not enabling, unlocking or moving the account
    assert_error(
        await api.put(f"/environments/{env}/users/{person['id']}/enabled", json={"enabled": True}),
        403,
        "ACCESS_FAILED",
    )
    assert_error(
        await api.delete(f"/environments/{env}/users/{person['id']}"), 403, "ACCESS_FAILED"
    )


async def test_without_self_service_scopes_a_user_token_needs_roles(
    app: Any, admin: Api, env: str
) -> None:
    person = await support.user(admin, env)
    client = await support.oidc_client(admin, env, scopes=("openid",))
    await support.grant(admin, env, client.id, "PingOne API", "p1:read:device")
    tokens = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="p1:read:device"
    )
    api = admin.with_token(tokens["access_token"])
    assert_error(await api.get(f"/environments/{env}/users/{person['id']}"), 403, "ACCESS_FAILED")


async def test_a_revoked_user_token_is_refused(app: Any, admin: Api, env: str) -> None:
    person = await support.user(admin, env)
    client = await support.oidc_client(admin, env, scopes=("openid",))
    await support.grant(admin, env, client.id, "PingOne API", "p1:read:user")
    tokens = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="p1:read:user"
    )
    api = admin.with_token(tokens["access_token"])
    assert (await api.get(f"/environments/{env}/users/{person['id']}")).status_code == 200
    await admin.client.post(
        f"/{env}/as/revoke", data={"token": tokens["access_token"]}, auth=client.auth
    )
    assert_error(await api.get(f"/environments/{env}/users/{person['id']}"), 401, "ACCESS_FAILED")
