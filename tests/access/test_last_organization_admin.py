"""The organization always keeps an Organization Admin: its last assignment cannot be deleted.

In a module of its own: the bootstrap worker, which every other test relies on, is the
organization's only Organization Admin here."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gatehouse.access.models import RoleAssignment
from tests.access.rows import create_client, delete_application
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio


def _organization_admin(roles: dict[str, str], credentials: Credentials) -> dict[str, object]:
    return {
        "role": {"id": roles["Organization Admin"]},
        "scope": {"id": credentials.organization_id, "type": "ORGANIZATION"},
    }


async def _bootstrap_organization_admin(
    admin: Api, roles: dict[str, str], credentials: Credentials
) -> str:
    """The href (relative to /v1) of the bootstrap worker's Organization Admin assignment."""
    path = (
        f"/environments/{credentials.environment_id}/applications/{credentials.client_id}"
        "/roleAssignments"
    )
    listed = (await admin.get(path)).json()["_embedded"]["roleAssignments"]
    [assignment] = [a for a in listed if a["role"]["id"] == roles["Organization Admin"]]
    return f"{path}/{assignment['id']}"


async def test_last_organization_admin_assignment_cannot_be_deleted(
    admin: Api, roles: dict[str, str], credentials: Credentials
) -> None:
    last = await _bootstrap_organization_admin(admin, roles, credentials)
    assert_error(await admin.delete(last), 400, "REQUEST_FAILED")
    assert (await admin.get(last)).status_code == 200
    assert (await admin.get("/environments")).status_code == 200


async def test_organization_admin_assignment_can_go_while_another_remains(
    app, admin: Api, env: str, roles: dict[str, str], credentials: Credentials
) -> None:
    second = await create_client(app, env)
    path = f"/environments/{env}/applications/{second.id}/roleAssignments"
    created = await admin.create(path, _organization_admin(roles, credentials))
    second_api = await second.api(admin)
    assert (await second_api.delete(f"{path}/{created['id']}")).status_code == 204
    assert_error(await second_api.get("/environments/" + env), 403, "ACCESS_FAILED")


async def test_assignment_of_a_deleted_actor_does_not_count_as_another_admin(
    app, admin: Api, env: str, roles: dict[str, str], credentials: Credentials
) -> None:
    gone = await create_client(app, env)
    await admin.create(
        f"/environments/{env}/applications/{gone.id}/roleAssignments",
        _organization_admin(roles, credentials),
    )
    await delete_application(app, gone.id)
    last = await _bootstrap_organization_admin(admin, roles, credentials)
    assert_error(await admin.delete(last), 400, "REQUEST_FAILED")
    assert (await admin.get(last)).status_code == 200


async def test_deleting_a_user_revokes_its_role_assignments(app, admin, env: str, roles) -> None:
    user = (
        await admin.post(f"/environments/{env}/users", json={"username": f"admin-{env[:8]}"})
    ).json()
    created = await admin.post(
        f"/environments/{env}/users/{user['id']}/roleAssignments",
        json={
            "role": {"id": roles["Identity Data Admin"]},
            "scope": {"id": env, "type": "ENVIRONMENT"},
        },
    )
    assert created.status_code == 201, created.text
    assert (await admin.delete(f"/environments/{env}/users/{user['id']}")).status_code == 204
    async with app.state.runtime.sessions() as session:
        left = await session.scalar(
            sa.select(sa.func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.actor_id == uuid.UUID(user["id"]))
        )
    assert left == 0


async def test_the_environment_of_the_last_organization_admin_cannot_be_deleted(
    admin: Api, credentials: Credentials
) -> None:
    response = await admin.delete(f"/environments/{credentials.environment_id}")
    assert_error(response, 400, "REQUEST_FAILED")
    assert (await admin.get(f"/environments/{credentials.environment_id}")).status_code == 200
