"""Resource attributes (custom claims): CRUD, reserved names, `${user.*}` values checked against
the environment's users, and idToken/userInfo, which only openid's attributes take."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gatehouse.directory.models import SchemaAttribute
from tests.resources.conftest import database, names
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

Builtins = dict[str, dict[str, Any]]


def _attributes(env: str, resource: dict[str, Any]) -> str:
    return f"/environments/{env}/resources/{resource['id']}/attributes"


async def test_attribute_crud_on_a_custom_resource(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = _attributes(env, custom)
    created = await admin.create(path, {"name": "email", "value": "${user.email}", "type": "CORE"})
    assert created["name"] == "email" and created["value"] == "${user.email}"
    assert created["type"] == "CUSTOM" and created["resource"] == {"id": custom["id"]}
    assert created["environment"] == {"id": env} and created["createdAt"].endswith("Z")
    assert "idToken" not in created and "userInfo" not in created
    assert created["_links"]["self"]["href"].endswith(f"{path}/{created['id']}")
    assert (await admin.get(f"{path}/{created['id']}")).json() == created
    assert await names(admin, path, "attributes") == ["sub", "email"]
    updated = await admin.put(
        f"{path}/{created['id']}", json={"name": "mail", "value": "fixed@example.com"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "mail" and updated.json()["value"] == "fixed@example.com"
    assert (await admin.delete(f"{path}/{created['id']}")).status_code == 204
    assert_error(await admin.get(f"{path}/{created['id']}"), 404, "NOT_FOUND")
    assert await names(admin, path, "attributes") == ["sub"]


async def test_custom_resource_sub_can_be_remapped_but_not_deleted(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = _attributes(env, custom)
    sub = (await admin.get(path)).json()["_embedded"]["attributes"][0]
    remapped = await admin.put(
        f"{path}/{sub['id']}", json={"name": "sub", "value": "${user.email}"}
    )
    assert remapped.status_code == 200 and remapped.json()["value"] == "${user.email}"
    assert_error(await admin.delete(f"{path}/{sub['id']}"), 400, "REQUEST_FAILED")


@pytest.mark.parametrize(
    "name",
    [
        "acr",
        "amr",
        "aud",
        "auth_time",
        "client_id",
        "env",
        "exp",
        "iat",
        "iss",
        "jti",
        "org",
        "scope",
        "sid",
        "sub",
        "p1.permissions",
        "p1.anything",
    ],
)
async def test_reserved_claim_names_are_refused(
    admin: Api, env: str, builtins: Builtins, name: str
) -> None:
    response = await admin.post(
        _attributes(env, builtins["OPENID_CONNECT"]), json={"name": name, "value": "v"}
    )
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="name")


async def test_custom_attribute_cannot_be_renamed_to_a_reserved_or_taken_name(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = _attributes(env, custom)
    first = await admin.create(path, {"name": "first", "value": "1"})
    second = await admin.create(path, {"name": "second", "value": "2"})
    reserved = await admin.put(f"{path}/{second['id']}", json={"name": "iss", "value": "2"})
    assert_error(reserved, 400, "INVALID_DATA", detail="INVALID_VALUE", target="name")
    taken = await admin.put(f"{path}/{second['id']}", json={"name": "first", "value": "2"})
    body = assert_error(taken, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    duplicate = await admin.post(path, json={"name": "first", "value": "x"})
    assert_error(duplicate, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert (await admin.get(f"{path}/{second['id']}")).json() == second


@pytest.mark.parametrize(
    "value",
    [
        "${user.id}",
        "${user.name.given}",
        "${user.address.countryCode}",
        "${user.population.id}",
        "${user.lifecycle.status}",
        "${user.photo.href}",
        "${user.shirtSize}",
        "${user.profile}",
        "${user.profile.team.name}",
        "a literal",
        "$ not a placeholder {",
    ],
)
async def test_values_are_literals_or_placeholders_of_user_attributes(
    app: Any, admin: Api, env: str, custom: dict[str, Any], value: str
) -> None:
    await _declare_custom_user_attributes(app, env)
    created = await admin.create(_attributes(env, custom), {"name": "claim", "value": value})
    assert created["value"] == value


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({"name": "claim"}, "REQUIRED_VALUE", "value"),
        ({"value": "x"}, "REQUIRED_VALUE", "name"),
        ({"name": "claim", "value": ""}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "v" * 1025}, "SIZE_LIMIT_EXCEEDED", "value"),
        ({"name": "n" * 257, "value": "v"}, "SIZE_LIMIT_EXCEEDED", "name"),
        ({"name": "claim", "value": "${user.shoeSize}"}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "${user.name}"}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "${user.password}"}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "${user.retired}"}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "${user.shirtSize.color}"}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "${user.email"}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "${app.id}"}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "Dear ${user.name.given}"}, "INVALID_VALUE", "value"),
        ({"name": "claim", "value": "v", "idToken": True}, "INVALID_VALUE", "idToken"),
        ({"name": "claim", "value": "v", "userInfo": False}, "INVALID_VALUE", "userInfo"),
        ({"name": "claim", "value": "v", "idToken": "yes please"}, "INVALID_VALUE", "idToken"),
    ],
)
async def test_invalid_attributes_are_rejected_with_their_target(
    app: Any,
    admin: Api,
    env: str,
    custom: dict[str, Any],
    body: dict[str, Any],
    detail: str,
    target: str,
) -> None:
    await _declare_custom_user_attributes(app, env)
    path = _attributes(env, custom)
    response = await admin.post(path, json=body)
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
    assert await names(admin, path, "attributes") == ["sub"]


async def test_openid_attributes_choose_id_token_and_userinfo_delivery(
    admin: Api, env: str, builtins: Builtins
) -> None:
    path = _attributes(env, builtins["OPENID_CONNECT"])
    default = await admin.create(path, {"name": "tier", "value": "gold"})
    assert default["idToken"] is True and default["userInfo"] is True
    chosen = await admin.create(path, {"name": "team", "value": "blue", "idToken": False})
    assert chosen["idToken"] is False and chosen["userInfo"] is True
    neither = await admin.post(
        path, json={"name": "ghost", "value": "boo", "idToken": False, "userInfo": False}
    )
    assert_error(neither, 400, "INVALID_DATA", detail="INVALID_VALUE", target="idToken")


async def test_attribute_of_another_resource_or_environment_is_not_found(
    admin: Api, env: str, custom: dict[str, Any], builtins: Builtins
) -> None:
    attribute = await admin.create(_attributes(env, custom), {"name": "mine", "value": "v"})
    elsewhere = f"{_attributes(env, builtins['OPENID_CONNECT'])}/{attribute['id']}"
    assert_error(await admin.get(elsewhere), 404, "NOT_FOUND")
    assert_error(await admin.put(elsewhere, json={"name": "x", "value": "v"}), 404, "NOT_FOUND")
    assert_error(await admin.delete(elsewhere), 404, "NOT_FOUND")
    other = await admin.create(
        "/environments", {"name": f"other-{env[:8]}", "type": "SANDBOX", "region": "NA"}
    )
    through_other = f"/environments/{other['id']}/resources/{custom['id']}/attributes"
    assert_error(await admin.get(f"{through_other}/{attribute['id']}"), 404, "NOT_FOUND")
    assert_error(
        await admin.post(through_other, json={"name": "x", "value": "v"}), 404, "NOT_FOUND"
    )


async def _declare_custom_user_attributes(app: Any, env: str) -> None:
    """shirtSize (STRING), profile (JSON) and retired (disabled) in the environment's schema."""
    async with database(app) as session:
        for name, kind, enabled in (
            ("shirtSize", "STRING", True),
            ("profile", "JSON", True),
            ("retired", "STRING", False),
        ):
            session.add(
                SchemaAttribute(
                    environment_id=uuid.UUID(env), name=name, type=kind, enabled=enabled
                )
            )
