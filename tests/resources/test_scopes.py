"""Resource scopes: CRUD, the naming rules per resource type, schemaAttributes (PingOne API access
control scopes) and mappedClaims (openid), and what deleting a scope does to application grants."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.applications.models import Application, ApplicationGrant, grant_scopes
from gatehouse.directory.models import SchemaAttribute
from tests.resources.conftest import database, names
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

Builtins = dict[str, dict[str, Any]]


def _scopes(env: str, resource: dict[str, Any]) -> str:
    return f"/environments/{env}/resources/{resource['id']}/scopes"


async def test_scope_crud_on_a_custom_resource(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = _scopes(env, custom)
    scope = await admin.create(path, {"name": "read:photos", "description": "Read"})
    assert scope["name"] == "read:photos" and scope["description"] == "Read"
    assert scope["resource"] == {"id": custom["id"]} and scope["environment"] == {"id": env}
    assert scope["createdAt"].endswith("Z")
    assert scope["_links"]["self"]["href"].endswith(f"{path}/{scope['id']}")
    assert scope["_links"]["resource"]["href"].endswith(f"/resources/{custom['id']}")
    assert "schemaAttributes" not in scope and "mappedClaims" not in scope
    assert (await admin.get(f"{path}/{scope['id']}")).json() == scope
    assert await names(admin, path, "scopes") == ["read:photos"]
    updated = await admin.put(f"{path}/{scope['id']}", json={"name": "view:photos"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "view:photos" and "description" not in updated.json()
    assert (await admin.delete(f"{path}/{scope['id']}")).status_code == 204
    assert_error(await admin.get(f"{path}/{scope['id']}"), 404, "NOT_FOUND")
    assert await names(admin, path, "scopes") == []


async def test_scope_names_are_unique_per_resource(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = _scopes(env, custom)
    first = await admin.create(path, {"name": "write"})
    clash = await admin.post(path, json={"name": "write"})
    body = assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    second = await admin.create(path, {"name": "read"})
    renamed = await admin.put(f"{path}/{second['id']}", json={"name": "write"})
    assert_error(renamed, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    other = await admin.create(
        f"/environments/{env}/resources", {"name": f"o-{secrets.token_hex(3)}"}
    )
    await admin.create(_scopes(env, other), {"name": "write"})


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({}, "REQUIRED_VALUE", "name"),
        ({"name": "read photos"}, "INVALID_VALUE", "name"),
        ({"name": 'say"hi'}, "INVALID_VALUE", "name"),
        ({"name": "x" * 257}, "SIZE_LIMIT_EXCEEDED", "name"),
        ({"name": "p1:read:things"}, "INVALID_VALUE", "name"),
        ({"name": "ok", "description": "d" * 1025}, "SIZE_LIMIT_EXCEEDED", "description"),
        ({"name": "ok", "schemaAttributes": ["email"]}, "INVALID_VALUE", "schemaAttributes"),
        ({"name": "ok", "mappedClaims": [str(uuid.uuid4())]}, "INVALID_VALUE", "mappedClaims"),
        ({"name": "ok", "mappedClaims": ["nope"]}, "INVALID_VALUE", "mappedClaims"),
    ],
)
async def test_invalid_custom_scopes_are_rejected_with_their_target(
    admin: Api, env: str, custom: dict[str, Any], body: dict[str, Any], detail: str, target: str
) -> None:
    path = _scopes(env, custom)
    assert_error(
        await admin.post(path, json=body), 400, "INVALID_DATA", detail=detail, target=target
    )
    assert await names(admin, path, "scopes") == []


async def test_custom_scopes_may_be_added_to_openid_with_mapped_claims(
    admin: Api, env: str, builtins: Builtins
) -> None:
    openid = builtins["OPENID_CONNECT"]
    attributes = f"/environments/{env}/resources/{openid['id']}/attributes"
    claim = await admin.create(attributes, {"name": "tier", "value": "gold"})
    path = _scopes(env, openid)
    scope = await admin.create(path, {"name": "membership", "mappedClaims": [claim["id"]]})
    assert scope["mappedClaims"] == [claim["id"]]
    profile = next(
        s for s in (await admin.get(path)).json()["_embedded"]["scopes"] if s["name"] == "profile"
    )
    mapped = await admin.put(
        f"{path}/{profile['id']}", json={"name": "profile", "mappedClaims": [claim["id"]]}
    )
    assert mapped.status_code == 200 and mapped.json()["mappedClaims"] == [claim["id"]]
    assert (await admin.delete(f"{attributes}/{claim['id']}")).status_code == 204
    assert (await admin.get(f"{path}/{scope['id']}")).json()["mappedClaims"] == []
    p1 = await admin.post(path, json={"name": "p1:read:user:mine"})
    assert_error(p1, 400, "INVALID_DATA", detail="INVALID_VALUE", target="name")


async def test_mapped_claims_must_be_attributes_of_openid(
    admin: Api, env: str, builtins: Builtins, custom: dict[str, Any]
) -> None:
    custom_sub = (
        await admin.get(f"/environments/{env}/resources/{custom['id']}/attributes")
    ).json()["_embedded"]["attributes"][0]
    response = await admin.post(
        _scopes(env, builtins["OPENID_CONNECT"]),
        json={"name": "borrowed", "mappedClaims": [custom_sub["id"]]},
    )
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="mappedClaims")


async def test_pingone_api_access_control_scopes(
    app: Any, admin: Api, env: str, builtins: Builtins
) -> None:
    async with database(app) as session:
        session.add(SchemaAttribute(environment_id=uuid.UUID(env), name="shirtSize", type="STRING"))
    path = _scopes(env, builtins["PINGONE_API"])
    scope = await admin.create(
        path,
        {
            "name": "p1:read:user:basics",
            "schemaAttributes": ["username", "name.given", "shirtSize"],
        },
    )
    assert scope["schemaAttributes"] == ["username", "name.given", "shirtSize"]
    wildcard = await admin.create(path, {"name": "p1:update:user:all", "schemaAttributes": ["*"]})
    assert wildcard["schemaAttributes"] == ["*"]
    read_user = next(
        s
        for s in (await admin.get(path)).json()["_embedded"]["scopes"]
        if s["name"] == "p1:read:user"
    )
    limited = await admin.put(
        f"{path}/{read_user['id']}", json={"name": "p1:read:user", "schemaAttributes": ["email"]}
    )
    assert limited.status_code == 200 and limited.json()["schemaAttributes"] == ["email"]
    assert (await admin.delete(f"{path}/{scope['id']}")).status_code == 204


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"name": "read:things"}, "name"),
        ({"name": "p1:delete:user:mine"}, "name"),
        ({"name": "p1:read:user:"}, "name"),
        ({"name": "p1:read:user:x", "schemaAttributes": ["shoeSize"]}, "schemaAttributes"),
        ({"name": "p1:read:user:x", "schemaAttributes": ["*", "email"]}, "schemaAttributes"),
        ({"name": "p1:read:user:x", "mappedClaims": []}, "mappedClaims"),
    ],
)
async def test_invalid_pingone_api_scopes_are_rejected(
    admin: Api, env: str, builtins: Builtins, body: dict[str, Any], target: str
) -> None:
    path = _scopes(env, builtins["PINGONE_API"])
    response = await admin.post(path, json=body)
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target=target)
    device = next(
        s
        for s in (await admin.get(path)).json()["_embedded"]["scopes"]
        if s["name"] == "p1:read:device"
    )
    attributes = await admin.put(
        f"{path}/{device['id']}", json={"name": "p1:read:device", "schemaAttributes": ["email"]}
    )
    assert_error(attributes, 400, "INVALID_DATA", target="schemaAttributes")


async def test_scope_of_another_resource_is_not_found(
    admin: Api, env: str, custom: dict[str, Any], builtins: Builtins
) -> None:
    scope = await admin.create(_scopes(env, custom), {"name": "mine"})
    elsewhere = f"{_scopes(env, builtins['OPENID_CONNECT'])}/{scope['id']}"
    assert_error(await admin.get(elsewhere), 404, "NOT_FOUND")
    assert_error(await admin.put(elsewhere, json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(await admin.delete(elsewhere), 404, "NOT_FOUND")
    assert (await admin.get(f"{_scopes(env, custom)}/{scope['id']}")).status_code == 200


async def test_deleting_a_scope_removes_it_from_application_grants(
    app: Any, admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = _scopes(env, custom)
    doomed = await admin.create(path, {"name": "doomed"})
    kept = await admin.create(path, {"name": "kept"})
    async with database(app) as session:
        application = Application(
            environment_id=uuid.UUID(env),
            name="grantee",
            protocol="OPENID_CONNECT",
            type="SERVICE",
            config={"grantTypes": ["CLIENT_CREDENTIALS"]},
        )
        session.add(application)
        await session.flush()
        grant = ApplicationGrant(
            environment_id=application.environment_id,
            application_id=application.id,
            resource_id=uuid.UUID(custom["id"]),
        )
        session.add(grant)
        await session.flush()
        await session.execute(
            sa.insert(grant_scopes),
            [
                {"grant_id": grant.id, "scope_id": uuid.UUID(doomed["id"])},
                {"grant_id": grant.id, "scope_id": uuid.UUID(kept["id"])},
            ],
        )
        grant_id = grant.id
    assert (await admin.delete(f"{path}/{doomed['id']}")).status_code == 204
    async with database(app) as session:
        remaining = await session.scalars(
            sa.select(grant_scopes.c.scope_id).where(grant_scopes.c.grant_id == grant_id)
        )
        assert list(remaining) == [uuid.UUID(kept["id"])]
        assert await session.get(ApplicationGrant, grant_id) is not None
