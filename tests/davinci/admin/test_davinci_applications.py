"""DaVinci applications: create with PingOne's defaults, read, replace, delete, rotate the API key
and the client secret (each by its media type); secrets sealed at rest and readable by the
runtime; roles and environment isolation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.davinci import lookup
from gatehouse.davinci.models import DavinciApplication
from tests.davinci.admin.conftest import create_app
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

ROTATE_KEY = "application/vnd.pingidentity.davinciApplication.rotateKey+json"
ROTATE_SECRET = "application/vnd.pingidentity.davinciApplication.rotateSecret+json"


async def test_create_gives_pingone_defaults_and_secrets(admin: Api, env: str) -> None:
    body = await create_app(admin, env)
    assert len(body["id"]) == 32 and uuid.UUID(body["id"])
    assert body["name"] == "Sign-on app" and body["environment"] == {"id": env}
    assert body["apiKey"]["enabled"] is True and len(body["apiKey"]["value"]) >= 64
    oauth = body["oauth"]
    assert oauth["grantTypes"] == ["authorizationCode"]
    assert oauth["scopes"] == ["openid", "profile"]
    assert oauth["redirectUris"] == [] and oauth["logoutUris"] == []
    assert len(oauth["clientSecret"]) == 64
    href = body["_links"]["self"]["href"]
    assert href.endswith(f"/v1/environments/{env}/davinciApplications/{body['id']}")
    assert body["_links"]["davinciApplication.rotateKey"]["href"] == f"{href}/key"
    assert body["_links"]["davinciApplication.rotateSecret"]["href"] == f"{href}/secret"
    assert body["_links"]["flowPolicies"]["href"] == f"{href}/flowPolicies"
    read = await admin.get(f"/environments/{env}/davinciApplications/{body['id']}")
    assert read.status_code == 200 and read.json() == body
    listed = await admin.get(f"/environments/{env}/davinciApplications")
    assert [item["id"] for item in listed.json()["_embedded"]["davinciApplications"]] == [
        body["id"]
    ]


async def test_secrets_are_sealed_at_rest_and_verified_by_lookup(
    admin: Api, env: str, app: Any
) -> None:
    body = await create_app(admin, env)
    secret, api_key = body["oauth"]["clientSecret"], body["apiKey"]["value"]
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        row = await session.scalar(
            sa.select(DavinciApplication).where(DavinciApplication.id == uuid.UUID(body["id"]))
        )
        assert row is not None
        assert secret not in row.client_secret_sealed and api_key not in row.api_key_sealed
        client = await lookup.oauth_client(session, runtime.sealer, uuid.UUID(env), body["id"])
        assert client is not None and client.id == body["id"]
        assert client.grant_types == ["authorizationCode"] and client.policy_ids == []
        assert client.verify_secret(secret) and not client.verify_secret(secret + "x")
        other = await lookup.oauth_client(session, runtime.sealer, uuid.uuid4(), body["id"])
        assert other is None


async def test_replace_sets_oauth_and_api_key(admin: Api, env: str) -> None:
    body = await create_app(admin, env)
    oauth = {
        "grantTypes": ["authorizationCode", "clientCredentials"],
        "scopes": ["openid", "offline_access"],
        "redirectUris": ["https://app.example.com/cb"],
        "logoutUris": ["https://app.example.com/bye"],
        "enforceSignedRequestOpenid": False,
    }
    response = await admin.put(
        f"/environments/{env}/davinciApplications/{body['id']}",
        json={"name": "Renamed", "apiKey": {"enabled": False}, "oauth": oauth},
    )
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["name"] == "Renamed" and replaced["apiKey"]["enabled"] is False
    assert replaced["apiKey"]["value"] == body["apiKey"]["value"]
    assert replaced["oauth"]["clientSecret"] == body["oauth"]["clientSecret"]
    for key, value in oauth.items():
        assert replaced["oauth"][key] == value


async def test_rotate_key_and_secret_by_media_type(admin: Api, env: str) -> None:
    body = await create_app(admin, env)
    href = f"/environments/{env}/davinciApplications/{body['id']}"
    key = await admin.post(f"{href}/key", content=b"{}", media_type=ROTATE_KEY)
    assert key.status_code == 200, key.text
    assert key.json()["apiKey"]["value"] != body["apiKey"]["value"]
    assert key.json()["oauth"]["clientSecret"] == body["oauth"]["clientSecret"]
    secret = await admin.post(f"{href}/secret", content=b"", media_type=ROTATE_SECRET)
    assert secret.status_code == 200, secret.text
    assert secret.json()["oauth"]["clientSecret"] != body["oauth"]["clientSecret"]
    assert secret.json()["apiKey"]["value"] == key.json()["apiKey"]["value"]
    wrong = await admin.post(f"{href}/key", content=b"{}", media_type=ROTATE_SECRET)
    assert_error(wrong, 415, "INVALID_REQUEST")
    unchanged = await admin.get(href)
    assert unchanged.json()["apiKey"]["value"] == key.json()["apiKey"]["value"]


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": " leading"}, "name"),
        ({"name": "<script>"}, "name"),
        ({"name": "x" * 257}, "name"),
    ],
)
async def test_create_rejects_bad_names(
    admin: Api, env: str, body: dict[str, Any], target: str
) -> None:
    response = await admin.post(f"/environments/{env}/davinciApplications", json=body)
    assert_error(response, 400, "INVALID_DATA", target=target)
    listed = await admin.get(f"/environments/{env}/davinciApplications")
    assert listed.json()["count"] == 0


async def test_replace_rejects_unknown_grant_type(admin: Api, env: str) -> None:
    body = await create_app(admin, env)
    response = await admin.put(
        f"/environments/{env}/davinciApplications/{body['id']}",
        json={"name": "x", "oauth": {"grantTypes": ["password"]}},
    )
    assert_error(response, 400, "INVALID_DATA", target="oauth.grantTypes")


async def test_delete_then_404(admin: Api, env: str) -> None:
    body = await create_app(admin, env)
    href = f"/environments/{env}/davinciApplications/{body['id']}"
    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.delete(href), 404, "NOT_FOUND")
    assert_error(await admin.get(f"/environments/{env}/davinciApplications/nope"), 404, "NOT_FOUND")


async def test_another_environments_application_is_404(
    admin: Api, env: str, other_env: str
) -> None:
    body = await create_app(admin, env)
    href = f"/environments/{other_env}/davinciApplications/{body['id']}"
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.put(href, json={"name": "stolen"}), 404, "NOT_FOUND")
    assert_error(
        await admin.post(f"{href}/key", content=b"", media_type=ROTATE_KEY), 404, "NOT_FOUND"
    )
    assert_error(await admin.delete(href), 404, "NOT_FOUND")


async def test_roles(admin: Api, env: str, app: Any) -> None:
    body = await create_app(admin, env)
    href = f"/environments/{env}/davinciApplications/{body['id']}"
    reader = await worker(app, admin, env, [("DaVinci Admin Read Only", "ENVIRONMENT", env)])
    assert (await reader.get(href)).status_code == 200
    assert_error(await reader.put(href, json={"name": "x"}), 403, "ACCESS_FAILED")
    assert_error(
        await reader.post(f"{href}/secret", content=b"", media_type=ROTATE_SECRET),
        403,
        "ACCESS_FAILED",
    )
    outsider = await worker(app, admin, env, [("Identity Data Admin", "ENVIRONMENT", env)])
    assert_error(await outsider.get(href), 403, "ACCESS_FAILED")
    davinci = await worker(app, admin, env, [("DaVinci Admin", "ENVIRONMENT", env)])
    assert (await davinci.delete(href)).status_code == 204


async def test_api_key_starts_its_policies_only_while_enabled(
    admin: Api, env: str, app: Any
) -> None:
    flow = await admin.create(f"/environments/{env}/flows", {"name": "API flow"})
    body = await create_app(admin, env)
    href = f"/environments/{env}/davinciApplications/{body['id']}"
    policy = await admin.create(
        f"{href}/flowPolicies", {"flowDistributions": [{"id": flow["id"], "version": 1}]}
    )
    runtime = app.state.runtime
    environment_id = uuid.UUID(env)

    async def matches(api_key: str) -> bool:
        async with runtime.sessions() as session:
            return await lookup.api_key_matches(
                session, runtime.sealer, environment_id, policy["id"], api_key
            )

    api_key = body["apiKey"]["value"]
    assert await matches(api_key) and not await matches(api_key[:-1])
    rotated = (await admin.post(f"{href}/key", content=b"", media_type=ROTATE_KEY)).json()
    assert not await matches(api_key) and await matches(rotated["apiKey"]["value"])
    await admin.put(href, json={"name": "x", "apiKey": {"enabled": False}})
    assert not await matches(rotated["apiKey"]["value"])
