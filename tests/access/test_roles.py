"""GET /v1/roles and /v1/roles/{roleId}: the built-in roles, readable by any administrator."""

from __future__ import annotations

import pytest

from gatehouse.access.roles import BUILTIN_ROLES
from tests.access.rows import create_population
from tests.support.actors import worker
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio


async def test_roles_lists_every_builtin_role_in_pingone_shape(admin: Api) -> None:
    body = (await admin.get("/roles")).json()
    roles = {role["name"]: role for role in body["_embedded"]["roles"]}
    assert set(roles) == {role.name for role in BUILTIN_ROLES}
    assert body["count"] == body["size"] == len(BUILTIN_ROLES)
    assert body["_links"]["self"]["href"].endswith("/v1/roles")
    organization_admin = roles["Organization Admin"]
    assert organization_admin["applicableTo"] == ["ORGANIZATION"]
    assert organization_admin["description"]
    assert {"id": "roleAssignments:create", "description": "Create role assignments"} in (
        organization_admin["permissions"]
    )
    assert roles["Identity Data Admin"]["applicableTo"] == ["ENVIRONMENT", "POPULATION"]
    assert organization_admin["_links"]["self"]["href"].endswith(
        f"/v1/roles/{organization_admin['id']}"
    )


async def test_role_is_read_by_id(admin: Api, roles: dict[str, str]) -> None:
    response = await admin.get(f"/roles/{roles['Identity Data Admin']}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Identity Data Admin"
    assert {"id": "users:create", "description": "Create users"} in body["permissions"]


@pytest.mark.parametrize(
    "role_id", ["7d4b3b36-9f7e-4f1e-9d57-7a1d2e6b9f00", "not-a-uuid"], ids=["unknown", "malformed"]
)
async def test_unknown_role_is_not_found(admin: Api, role_id: str) -> None:
    assert_error(await admin.get(f"/roles/{role_id}"), 404, "NOT_FOUND")


async def test_environment_scoped_administrator_reads_roles(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    reader = await worker(app, admin, env, [("Identity Data Read Only", "ENVIRONMENT", env)])
    assert (await reader.get("/roles")).status_code == 200
    assert (await reader.get(f"/roles/{roles['Environment Admin']}")).status_code == 200


async def test_organization_scoped_administrator_reads_roles(
    app, admin: Api, env: str, credentials: Credentials
) -> None:
    reader = await worker(
        app, admin, env, [("Configuration Read Only", "ORGANIZATION", credentials.organization_id)]
    )
    assert (await reader.get("/roles")).status_code == 200


async def test_caller_without_roles_read_is_forbidden(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    nobody = await worker(app, admin, env, [])
    assert_error(
        await nobody.get("/roles"), 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS"
    )
    assert_error(await nobody.get(f"/roles/{roles['Environment Admin']}"), 403, "ACCESS_FAILED")


async def test_population_scoped_administrator_cannot_read_roles(app, admin: Api, env: str) -> None:
    """A population scope grants identity data only; roles:read is not identity data."""
    population = await create_population(app, env)
    scoped = await worker(app, admin, env, [("Identity Data Admin", "POPULATION", population)])
    assert_error(await scoped.get("/roles"), 403, "ACCESS_FAILED")


async def test_roles_need_a_token(admin: Api) -> None:
    response = await admin.with_token(None).get("/roles")
    assert_error(response, 401, "ACCESS_FAILED", detail="INVALID_TOKEN")
    assert response.headers["www-authenticate"].startswith("Bearer")
