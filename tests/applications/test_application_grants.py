"""/applications/{id}/grants: which resources' scopes an application may ask for, and what
client_credentials at /{envId}/as/token then issues."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.applications import support
from tests.applications.bodies import application
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def service_app(admin: Api, env: str) -> str:
    created = await admin.create(
        f"/environments/{env}/applications",
        application("SERVICE", tokenEndpointAuthMethod="CLIENT_SECRET_BASIC"),
    )
    return f"/environments/{env}/applications/{created['id']}"


def grant_body(resource: support.CustomResource, *names: str) -> dict[str, Any]:
    return {"resource": {"id": resource.id}, "scopes": [{"id": resource.scopes[n]} for n in names]}


async def test_grant_is_created_read_replaced_and_deleted(app: Any, admin: Api, env: str) -> None:
    resource = await support.custom_resource(app, env, "orders", ["read", "write", "admin"])
    href = await service_app(admin, env)
    created = await admin.create(f"{href}/grants", grant_body(resource, "read", "write"))
    assert created["application"] == {"id": href.rsplit("/", 1)[1]}
    assert created["resource"] == {"id": resource.id}
    assert sorted(s["id"] for s in created["scopes"]) == sorted(
        [resource.scopes["read"], resource.scopes["write"]]
    )
    assert created["createdAt"] and created["updatedAt"]
    grant_href = f"{href}/grants/{created['id']}"
    assert created["_links"]["self"]["href"].endswith(grant_href)
    assert (await admin.get(grant_href)).json() == created
    listed = (await admin.get(f"{href}/grants")).json()
    assert listed["_embedded"]["grants"] == [created] and listed["count"] == 1

    replaced = await admin.put(grant_href, json=grant_body(resource, "admin"))
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["scopes"] == [{"id": resource.scopes["admin"]}]
    assert replaced.json()["createdAt"] == created["createdAt"]
    assert (await admin.get(grant_href)).json()["scopes"] == [{"id": resource.scopes["admin"]}]

    assert (await admin.delete(grant_href)).status_code == 204
    assert_error(await admin.get(grant_href), 404, "NOT_FOUND")
    assert (await admin.get(f"{href}/grants")).json()["_embedded"]["grants"] == []


async def test_a_grant_lets_client_credentials_ask_for_the_resources_scope(
    app: Any, admin: Api, env: str
) -> None:
    resource = await support.custom_resource(app, env, "inventory", ["inventory:read"])
    href = await service_app(admin, env)
    client_id = href.rsplit("/", 1)[1]
    secret = (await admin.get(f"{href}/secret")).json()["secret"]
    before = await admin.client_credentials_token(env, client_id, secret, scope="inventory:read")
    assert before.status_code == 400 and before.json()["error"] == "invalid_scope"

    await admin.create(f"{href}/grants", grant_body(resource, "inventory:read"))
    response = await admin.client_credentials_token(env, client_id, secret, scope="inventory:read")
    assert response.status_code == 200, response.text
    keys = KeySet.import_key_set((await admin.client.get(f"/{env}/as/jwks")).json())
    claims = jwt.decode(response.json()["access_token"], keys).claims
    assert claims["aud"] == [resource.audience]
    assert claims["scope"] == "inventory:read" and claims["client_id"] == client_id


async def test_a_second_grant_for_the_same_resource_is_a_uniqueness_violation(
    app: Any, admin: Api, env: str
) -> None:
    resource = await support.custom_resource(app, env, "orders", ["read", "write"])
    href = await service_app(admin, env)
    first = await admin.create(f"{href}/grants", grant_body(resource, "read"))
    error = assert_error(
        await admin.post(f"{href}/grants", json=grant_body(resource, "write")),
        400,
        "INVALID_DATA",
        detail="UNIQUENESS_VIOLATION",
        target="resource.id",
    )
    assert error["details"][0]["innerError"]["existingId"] == first["id"]
    other = await service_app(admin, env)
    await admin.create(f"{other}/grants", grant_body(resource, "write"))


async def test_invalid_grants_are_refused_and_write_nothing(app: Any, admin: Api, env: str) -> None:
    resource = await support.custom_resource(app, env, "orders", ["read"])
    elsewhere = await support.custom_resource(app, env, "billing", ["pay"])
    other_env = (
        await admin.create(
            "/environments",
            {"name": f"o-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"},
        )
    )["id"]
    foreign = await support.custom_resource(app, other_env, "orders", ["read"])
    openid_email = await support.openid_scope(app, env, "email")
    href = await service_app(admin, env)
    read = {"id": resource.scopes["read"]}
    cases: list[tuple[Any, str, str]] = [
        ({"scopes": [read]}, "REQUIRED_VALUE", "resource"),
        ({"resource": {"id": resource.id}}, "REQUIRED_VALUE", "scopes"),
        ({"resource": {"id": resource.id}, "scopes": []}, "INVALID_VALUE", "scopes"),
        ({"resource": {"id": "orders"}, "scopes": [read]}, "INVALID_VALUE", "resource.id"),
        ({"resource": {"id": resource.id}, "scopes": [{"id": 7}]}, "INVALID_VALUE", "scopes.id"),
        ({"resource": {"id": str(uuid.uuid4())}, "scopes": [read]}, "INVALID_VALUE", "resource.id"),
        ({"resource": {"id": foreign.id}, "scopes": [read]}, "INVALID_VALUE", "resource.id"),
        (
            {"resource": {"id": resource.id}, "scopes": [read, {"id": str(uuid.uuid4())}]},
            "INVALID_VALUE",
            "scopes",
        ),
        (
            {"resource": {"id": resource.id}, "scopes": [read, {"id": elsewhere.scopes["pay"]}]},
            "INVALID_VALUE",
            "scopes",
        ),
        (
            {"resource": {"id": resource.id}, "scopes": [{"id": foreign.scopes["read"]}]},
            "INVALID_VALUE",
            "scopes",
        ),
        (
            {"resource": {"id": resource.id}, "scopes": [{"id": openid_email}]},
            "INVALID_VALUE",
            "scopes",
        ),
    ]
    for body, detail, target in cases:
        response = await admin.post(f"{href}/grants", json=body)
        assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
    assert (await admin.get(f"{href}/grants")).json()["_embedded"]["grants"] == []


async def test_a_failed_replace_keeps_the_grant_as_it_was(app: Any, admin: Api, env: str) -> None:
    resource = await support.custom_resource(app, env, "orders", ["read"])
    href = await service_app(admin, env)
    created = await admin.create(f"{href}/grants", grant_body(resource, "read"))
    grant_href = f"{href}/grants/{created['id']}"
    bad = {"resource": {"id": resource.id}, "scopes": [{"id": str(uuid.uuid4())}]}
    assert_error(await admin.put(grant_href, json=bad), 400, "INVALID_DATA", target="scopes")
    assert (await admin.get(grant_href)).json() == created


async def test_a_grant_can_move_to_another_resource_not_onto_a_granted_one(
    app: Any, admin: Api, env: str
) -> None:
    orders = await support.custom_resource(app, env, "orders", ["read"])
    billing = await support.custom_resource(app, env, "billing", ["pay"])
    shipping = await support.custom_resource(app, env, "shipping", ["ship"])
    href = await service_app(admin, env)
    first = await admin.create(f"{href}/grants", grant_body(orders, "read"))
    await admin.create(f"{href}/grants", grant_body(billing, "pay"))
    moved = await admin.put(f"{href}/grants/{first['id']}", json=grant_body(shipping, "ship"))
    assert moved.json()["resource"] == {"id": shipping.id}
    assert_error(
        await admin.put(f"{href}/grants/{first['id']}", json=grant_body(billing, "pay")),
        400,
        "INVALID_DATA",
        detail="UNIQUENESS_VIOLATION",
        target="resource.id",
    )


async def test_grant_ids_of_another_application_are_not_found(
    app: Any, admin: Api, env: str
) -> None:
    resource = await support.custom_resource(app, env, "orders", ["read"])
    owner = await service_app(admin, env)
    stranger = await service_app(admin, env)
    created = await admin.create(f"{owner}/grants", grant_body(resource, "read"))
    href = f"{stranger}/grants/{created['id']}"
    for response in (
        await admin.get(href),
        await admin.put(href, json=grant_body(resource, "read")),
        await admin.delete(href),
        await admin.get(f"{stranger}/grants/{uuid.uuid4()}"),
    ):
        assert_error(response, 404, "NOT_FOUND")
    assert (await admin.get(f"{owner}/grants/{created['id']}")).status_code == 200
