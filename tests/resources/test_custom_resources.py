"""Custom resources: create, read, replace, delete; their defaults and the `sub` claim they are born
with; every validation rule; and who may see and touch them."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from gatehouse.resources import service
from tests.resources.conftest import names
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _name() -> str:
    return f"api-{secrets.token_hex(4)}"


async def test_create_custom_resource_with_defaults(admin: Api, env: str) -> None:
    name = _name()
    body = await admin.create(f"/environments/{env}/resources", {"name": name})
    assert body["type"] == "CUSTOM" and body["name"] == name
    assert body["audience"] == name
    assert body["accessTokenValiditySeconds"] == 3600
    assert body["introspectEndpointAuthMethod"] == "CLIENT_SECRET_BASIC"
    assert body["applicationPermissionsSettings"] == {"claimEnabled": False}
    assert body["environment"] == {"id": env}
    assert body["createdAt"].endswith("Z") and body["updatedAt"].endswith("Z")
    href = body["_links"]["self"]["href"]
    assert href.endswith(f"/v1/environments/{env}/resources/{body['id']}")
    assert body["_links"]["secret"]["href"] == f"{href}/secret"
    read = await admin.get(f"/environments/{env}/resources/{body['id']}")
    assert read.status_code == 200 and read.json() == body
    assert name in await names(admin, f"/environments/{env}/resources", "resources")


async def test_create_custom_resource_with_every_field(admin: Api, env: str) -> None:
    body = await admin.create(
        f"/environments/{env}/resources",
        {
            "name": _name(),
            "description": "Photos",
            "type": "CUSTOM",
            "audience": "https://photos.example.com",
            "accessTokenValiditySeconds": 300,
            "introspectEndpointAuthMethod": "CLIENT_SECRET_POST",
            "applicationPermissionsSettings": {"claimEnabled": True},
        },
    )
    assert body["description"] == "Photos" and body["audience"] == "https://photos.example.com"
    assert body["accessTokenValiditySeconds"] == 300
    assert body["introspectEndpointAuthMethod"] == "CLIENT_SECRET_POST"
    assert body["applicationPermissionsSettings"] == {"claimEnabled": True}


async def test_new_custom_resource_has_its_core_sub_attribute(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    listed = await admin.get(f"/environments/{env}/resources/{custom['id']}/attributes")
    attributes = listed.json()["_embedded"]["attributes"]
    assert [(a["name"], a["value"], a["type"]) for a in attributes] == [
        ("sub", "${user.id}", "CORE")
    ]
    assert "idToken" not in attributes[0] and "userInfo" not in attributes[0]


async def test_put_replaces_a_custom_resource(admin: Api, env: str, custom: dict[str, Any]) -> None:
    path = f"/environments/{env}/resources/{custom['id']}"
    name = _name()
    response = await admin.put(
        path,
        json={
            "name": name,
            "description": "d",
            "audience": "https://new.example.com",
            "accessTokenValiditySeconds": 2592000,
            "introspectEndpointAuthMethod": "NONE",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == name and body["audience"] == "https://new.example.com"
    assert body["accessTokenValiditySeconds"] == 2592000
    assert body["introspectEndpointAuthMethod"] == "NONE"
    assert body["createdAt"] == custom["createdAt"]
    replaced = (await admin.put(path, json={"name": name})).json()
    assert replaced["audience"] == name and "description" not in replaced
    assert replaced["accessTokenValiditySeconds"] == 3600
    assert replaced["introspectEndpointAuthMethod"] == "CLIENT_SECRET_BASIC"
    recased = await admin.put(path, json={"name": name.upper()})
    assert recased.status_code == 200 and recased.json()["name"] == name.upper()


async def test_delete_custom_resource_removes_it_and_its_scopes(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = f"/environments/{env}/resources/{custom['id']}"
    scope = await admin.create(f"{path}/scopes", {"name": "read:photos"})
    response = await admin.delete(path)
    assert response.status_code == 204 and response.content == b""
    assert_error(await admin.get(path), 404, "NOT_FOUND")
    assert_error(await admin.get(f"{path}/scopes/{scope['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.delete(path), 404, "NOT_FOUND")


async def test_resource_names_are_unique_in_the_environment_ignoring_case(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    clash = await admin.post(
        f"/environments/{env}/resources", json={"name": custom["name"].upper()}
    )
    body = assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert body["details"][0]["innerError"]["existingId"] == custom["id"]
    builtin = await admin.post(f"/environments/{env}/resources", json={"name": "OpenID"})
    assert_error(builtin, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    other = await admin.create(f"/environments/{env}/resources", {"name": _name()})
    renamed = await admin.put(
        f"/environments/{env}/resources/{other['id']}", json={"name": custom["name"]}
    )
    assert_error(renamed, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")


async def test_same_resource_name_in_another_environment_is_fine(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    other = await admin.create(
        "/environments", {"name": f"other-{_name()}", "type": "SANDBOX", "region": "NA"}
    )
    await admin.create(f"/environments/{other['id']}/resources", {"name": custom["name"]})


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({}, "REQUIRED_VALUE", "name"),
        ({"name": "   "}, "INVALID_VALUE", "name"),
        ({"name": "x" * 257}, "SIZE_LIMIT_EXCEEDED", "name"),
        ({"name": "n", "description": "d" * 1025}, "SIZE_LIMIT_EXCEEDED", "description"),
        ({"name": "n", "type": "OPENID_CONNECT"}, "INVALID_VALUE", "type"),
        ({"name": "n", "type": "GRAPHQL"}, "INVALID_VALUE", "type"),
        (
            {"name": "n", "audience": "https://x.example/" + "a" * 2040},
            "SIZE_LIMIT_EXCEEDED",
            "audience",
        ),
        ({"name": "n", "audience": "https://api.PingOne.eu"}, "INVALID_VALUE", "audience"),
        ({"name": "n", "audience": "urn:pingidentity:api"}, "INVALID_VALUE", "audience"),
        ({"name": "n", "audience": "https://x.example/#part"}, "INVALID_VALUE", "audience"),
        ({"name": "my pingone api"}, "INVALID_VALUE", "audience"),
        (
            {"name": "n", "accessTokenValiditySeconds": 299},
            "OUT_OF_RANGE",
            "accessTokenValiditySeconds",
        ),
        (
            {"name": "n", "accessTokenValiditySeconds": 2592001},
            "OUT_OF_RANGE",
            "accessTokenValiditySeconds",
        ),
        (
            {"name": "n", "accessTokenValiditySeconds": "soon"},
            "INVALID_VALUE",
            "accessTokenValiditySeconds",
        ),
        (
            {"name": "n", "introspectEndpointAuthMethod": "PRIVATE_KEY_JWT"},
            "INVALID_VALUE",
            "introspectEndpointAuthMethod",
        ),
        (
            {"name": "n", "applicationPermissionsSettings": {"claimEnabled": "maybe"}},
            "INVALID_VALUE",
            "applicationPermissionsSettings.claimEnabled",
        ),
    ],
)
async def test_invalid_resource_bodies_are_rejected_with_their_target(
    admin: Api, env: str, body: dict[str, Any], detail: str, target: str
) -> None:
    response = await admin.post(f"/environments/{env}/resources", json=body)
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
    assert len(await names(admin, f"/environments/{env}/resources", "resources")) == 2


async def test_invalid_put_changes_nothing(admin: Api, env: str, custom: dict[str, Any]) -> None:
    path = f"/environments/{env}/resources/{custom['id']}"
    response = await admin.put(path, json={"name": _name(), "audience": "https://pingone.com"})
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="audience")
    assert (await admin.get(path)).json() == custom


async def test_malformed_bodies_are_rejected(admin: Api, env: str) -> None:
    path = f"/environments/{env}/resources"
    assert_error(
        await admin.post(path, content=b"{", media_type="application/json"), 400, "INVALID_REQUEST"
    )
    assert_error(await admin.post(path, json=["a"]), 400, "INVALID_DATA")
    assert_error(
        await admin.post(path, content=b"name=x", media_type="text/plain"), 415, "INVALID_REQUEST"
    )


async def test_failure_after_writing_leaves_no_resource(
    admin: Api, env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_secret(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("sealer unavailable")

    monkeypatch.setattr(service.secrets, "create_secret", broken_secret)
    name = _name()
    response = await admin.post(f"/environments/{env}/resources", json={"name": name})
    assert_error(response, 500, "UNEXPECTED_ERROR")
    monkeypatch.undo()
    assert name not in await names(admin, f"/environments/{env}/resources", "resources")
    await admin.create(f"/environments/{env}/resources", {"name": name})


async def test_resource_of_another_environment_is_not_found(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    other = await admin.create(
        "/environments", {"name": f"other-{_name()}", "type": "SANDBOX", "region": "NA"}
    )
    path = f"/environments/{other['id']}/resources/{custom['id']}"
    assert_error(await admin.get(path), 404, "NOT_FOUND")
    assert_error(await admin.put(path, json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(await admin.delete(path), 404, "NOT_FOUND")
    for sub in ("scopes", "attributes", "secret"):
        assert_error(await admin.get(f"{path}/{sub}"), 404, "NOT_FOUND")
    assert_error(await admin.get(f"/environments/{env}/resources/not-a-uuid"), 404, "NOT_FOUND")
    assert (await admin.get(f"/environments/{env}/resources/{custom['id']}")).status_code == 200


async def test_worker_without_roles_is_forbidden(
    app: object, admin: Api, env: str, custom: dict[str, Any]
) -> None:
    nobody = await worker(app, admin, env, [])
    path = f"/environments/{env}/resources"
    one = f"{path}/{custom['id']}"
    for response in (
        await nobody.get(path),
        await nobody.post(path, json={"name": _name()}),
        await nobody.get(one),
        await nobody.put(one, json={"name": _name()}),
        await nobody.delete(one),
        await nobody.get(f"{one}/scopes"),
        await nobody.get(f"{one}/attributes"),
        await nobody.get(f"{one}/secret"),
    ):
        assert_error(response, 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")
    assert (await admin.get(one)).json() == custom


async def test_read_only_role_reads_but_cannot_write(
    app: object, admin: Api, env: str, custom: dict[str, Any]
) -> None:
    reader = await worker(app, admin, env, [("Configuration Read Only", "ENVIRONMENT", env)])
    path = f"/environments/{env}/resources"
    one = f"{path}/{custom['id']}"
    assert (await reader.get(path)).status_code == 200
    assert (await reader.get(f"{one}/scopes")).status_code == 200
    assert_error(await reader.post(path, json={"name": _name()}), 403, "ACCESS_FAILED")
    assert_error(await reader.post(f"{one}/scopes", json={"name": "a"}), 403, "ACCESS_FAILED")
    assert_error(await reader.post(f"{one}/secret"), 403, "ACCESS_FAILED")
    assert_error(await reader.delete(one), 403, "ACCESS_FAILED")
    developer = await worker(
        app, admin, env, [("Client Application Developer", "ENVIRONMENT", env)]
    )
    assert (await developer.delete(one)).status_code == 204
