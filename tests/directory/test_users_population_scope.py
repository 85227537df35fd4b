"""Administrators scoped to a population see and act on that population's users only; read-only
roles read; a user outside the caller's populations does not exist for it."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

SET = "application/vnd.pingidentity.password.set+json"


def _username() -> str:
    return f"user-{secrets.token_hex(5)}"


async def _setup(
    app: Any, admin: Api, env: str
) -> tuple[Api, dict[str, Any], dict[str, Any], str, str]:
    """A population-scoped Identity Data Admin, one user inside its population, one outside."""
    ours = await admin.create(f"/environments/{env}/populations", {"name": "Contractors"})
    listed = (await admin.get(f"/environments/{env}/populations")).json()
    default = next(p["id"] for p in listed["_embedded"]["populations"] if p["default"])
    inside = await admin.create(
        f"/environments/{env}/users", {"username": _username(), "population": {"id": ours["id"]}}
    )
    outside = await admin.create(f"/environments/{env}/users", {"username": _username()})
    scoped = await worker(app, admin, env, [("Identity Data Admin", "POPULATION", ours["id"])])
    return scoped, inside, outside, ours["id"], default


async def test_a_population_admin_lists_only_its_population(app: Any, admin: Api, env: str) -> None:
    scoped, inside, outside, _, _ = await _setup(app, admin, env)
    body = (await scoped.get(f"/environments/{env}/users")).json()
    assert [u["id"] for u in body["_embedded"]["users"]] == [inside["id"]]
    assert body["count"] == 1
    filtered = await scoped.get(
        f"/environments/{env}/users", params={"filter": f'username eq "{outside["username"]}"'}
    )
    assert filtered.json()["count"] == 0
    everyone = (await admin.get(f"/environments/{env}/users")).json()
    assert everyone["count"] == 2


async def test_a_user_outside_the_population_is_not_found_for_it(
    app: Any, admin: Api, env: str
) -> None:
    scoped, inside, outside, _, _ = await _setup(app, admin, env)
    base = f"/environments/{env}/users/{outside['id']}"
    for response in (
        await scoped.get(base),
        await scoped.put(base, json={"username": outside["username"]}),
        await scoped.patch(base, json={"title": "x"}),
        await scoped.delete(base),
        await scoped.put(f"{base}/enabled", json={"enabled": False}),
        await scoped.get(f"{base}/password"),
        await scoped.put(f"{base}/password", json={"value": "Unguessable-Pa55!"}, media_type=SET),
    ):
        assert_error(response, 404, "NOT_FOUND")
    mine = f"/environments/{env}/users/{inside['id']}"
    assert (await scoped.patch(mine, json={"title": "Contractor"})).status_code == 200
    assert (
        await scoped.put(f"{mine}/password", json={"value": "Unguessable-Pa55!"}, media_type=SET)
    ).status_code == 200
    assert (await admin.get(base)).json()["enabled"] is True


async def test_a_population_admin_cannot_create_or_move_users_into_other_populations(
    app: Any, admin: Api, env: str
) -> None:
    scoped, inside, _, ours, default = await _setup(app, admin, env)
    users = f"/environments/{env}/users"
    into_default = await scoped.post(
        users, json={"username": _username(), "population": {"id": default}}
    )
    assert_error(into_default, 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")
    # without a population a user goes to the default one, which is not the admin's
    assert_error(await scoped.post(users, json={"username": _username()}), 403, "ACCESS_FAILED")
    created = await scoped.create(users, {"username": _username(), "population": {"id": ours}})
    assert created["population"]["id"] == ours
    moved = await scoped.put(f"{users}/{inside['id']}/population", json={"id": default})
    assert_error(moved, 403, "ACCESS_FAILED")
    assert (await admin.get(f"{users}/{inside['id']}")).json()["population"]["id"] == ours


async def test_read_only_roles_read_users_but_do_not_write_them(
    app: Any, admin: Api, env: str
) -> None:
    await admin.create(f"/environments/{env}/users", {"username": _username()})
    reader = await worker(app, admin, env, [("Identity Data Read Only", "ENVIRONMENT", env)])
    assert (await reader.get(f"/environments/{env}/users")).json()["count"] == 1
    response = await reader.post(f"/environments/{env}/users", json={"username": _username()})
    assert_error(response, 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")
    nobody = await worker(app, admin, env, [("Client Application Developer", "ENVIRONMENT", env)])
    assert_error(await nobody.get(f"/environments/{env}/users"), 403, "ACCESS_FAILED")
