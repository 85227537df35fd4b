"""Populations: CRUD, validation, the one default population, user counts, filters, isolation."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from gatehouse.directory.models import User
from tests.support.actors import worker
from tests.support.api import Api, assert_error
from tests.support.databases import executed_statements

pytestmark = pytest.mark.anyio


def _name() -> str:
    return f"pop-{secrets.token_hex(4)}"


async def _new_env(admin: Api) -> str:
    body = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"},
    )
    return body["id"]


async def _add_users(app: Any, env: str, population_id: str, count: int) -> None:
    async with app.state.runtime.sessions() as session, session.begin():
        for _ in range(count):
            username = f"user-{secrets.token_hex(5)}"
            session.add(
                User(
                    environment_id=uuid.UUID(env),
                    population_id=uuid.UUID(population_id),
                    username=username,
                    username_key=username.casefold(),
                )
            )


async def _populations(admin: Api, env: str, **params: str) -> list[dict[str, Any]]:
    response = await admin.get(f"/environments/{env}/populations", params=params)
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["populations"]


async def _default_population(admin: Api, env: str) -> dict[str, Any]:
    return next(p for p in await _populations(admin, env) if p["default"])


async def _policy_id(admin: Api, env: str, name: str) -> str:
    response = await admin.get(f"/environments/{env}/passwordPolicies")
    return next(
        p["id"] for p in response.json()["_embedded"]["passwordPolicies"] if p["name"] == name
    )


async def test_create_read_update_and_delete_a_population(admin: Api, env: str) -> None:
    policy = await _policy_id(admin, env, "Basic")
    theme = str(uuid.uuid4())
    created = await admin.create(
        f"/environments/{env}/populations",
        {
            "name": (name := _name()),
            "description": "Contractors",
            "passwordPolicy": {"id": policy},
            "preferredLanguage": "fr",
            "alternativeIdentifiers": ["contractors", "temps"],
            "theme": {"id": theme},
        },
    )
    assert created["name"] == name and created["description"] == "Contractors"
    assert created["default"] is False and created["userCount"] == 0
    assert created["passwordPolicy"] == {"id": policy} and created["theme"] == {"id": theme}
    assert created["preferredLanguage"] == "fr"
    assert created["alternativeIdentifiers"] == ["contractors", "temps"]
    assert created["environment"] == {"id": env}
    assert created["createdAt"].endswith("Z") and created["updatedAt"].endswith("Z")
    href = f"/environments/{env}/populations/{created['id']}"
    assert created["_links"]["self"]["href"].endswith(f"/v1{href}")

    read = await admin.get(href)
    assert read.status_code == 200 and read.json()["name"] == name

    updated = await admin.put(href, json={"name": f"{name}-2", "description": None})
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["name"] == f"{name}-2" and "description" not in body
    assert "passwordPolicy" not in body and "theme" not in body

    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")


async def test_population_bodies_are_validated_with_targets(admin: Api, env: str) -> None:
    url = f"/environments/{env}/populations"
    assert_error(
        await admin.post(url, json={"description": "x"}),
        400,
        "INVALID_DATA",
        detail="REQUIRED_VALUE",
        target="name",
    )
    assert_error(
        await admin.post(url, json={"name": "x" * 257}),
        400,
        "INVALID_DATA",
        detail="SIZE_LIMIT_EXCEEDED",
        target="name",
    )
    assert_error(
        await admin.post(url, json={"name": "   "}),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="name",
    )
    assert_error(
        await admin.post(url, json={"name": _name(), "passwordPolicy": {"id": "nope"}}),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="passwordPolicy.id",
    )
    assert_error(
        await admin.post(url, json={"name": _name(), "alternativeIdentifiers": "one"}),
        400,
        "INVALID_DATA",
        target="alternativeIdentifiers",
    )
    assert_error(
        await admin.post(url, json={"name": _name(), "default": "maybe"}),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="default",
    )
    assert_error(await admin.post(url, json=["not", "an", "object"]), 400, "INVALID_DATA")
    assert_error(
        await admin.post(url, content=b"{", media_type="application/json"), 400, "INVALID_REQUEST"
    )
    assert_error(
        await admin.post(url, content=b"name=x", media_type="text/plain"), 415, "INVALID_REQUEST"
    )


async def test_population_names_are_unique_case_insensitively(admin: Api, env: str) -> None:
    url = f"/environments/{env}/populations"
    first = await admin.create(url, {"name": (name := _name())})
    clash = await admin.post(url, json={"name": name.upper()})
    body = assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    other = await admin.create(url, {"name": _name()})
    renamed = await admin.put(f"{url}/{other['id']}", json={"name": name.title()})
    assert_error(renamed, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    recased = await admin.put(f"{url}/{first['id']}", json={"name": name.upper()})
    assert recased.status_code == 200 and recased.json()["name"] == name.upper()


async def test_password_policy_must_belong_to_the_environment(admin: Api, env: str) -> None:
    foreign = await _policy_id(admin, await _new_env(admin), "Basic")
    url = f"/environments/{env}/populations"
    for policy in (foreign, str(uuid.uuid4())):
        refused = await admin.post(url, json={"name": _name(), "passwordPolicy": {"id": policy}})
        assert_error(
            refused, 400, "INVALID_DATA", detail="INVALID_VALUE", target="passwordPolicy.id"
        )
    mine = await _policy_id(admin, env, "Passphrase")
    created = await admin.create(url, {"name": _name(), "passwordPolicy": {"id": mine}})
    assert created["passwordPolicy"] == {"id": mine}


async def test_making_a_population_default_unsets_the_previous_default(
    admin: Api, env: str
) -> None:
    url = f"/environments/{env}/populations"
    original = await _default_population(admin, env)
    created = await admin.create(url, {"name": _name(), "default": True})
    assert created["default"] is True
    assert [p["id"] for p in await _populations(admin, env) if p["default"]] == [created["id"]]
    assert (await admin.get(f"{url}/{original['id']}")).json()["default"] is False

    back = await admin.put(
        f"{url}/{original['id']}", json={"name": original["name"], "default": True}
    )
    assert back.status_code == 200 and back.json()["default"] is True
    assert [p["id"] for p in await _populations(admin, env) if p["default"]] == [original["id"]]


async def test_the_default_population_can_be_neither_unset_nor_deleted(
    admin: Api, env: str
) -> None:
    default = await _default_population(admin, env)
    href = f"/environments/{env}/populations/{default['id']}"
    unset = await admin.put(href, json={"name": default["name"], "default": False})
    assert_error(unset, 400, "INVALID_DATA", detail="INVALID_VALUE", target="default")
    kept = await admin.put(href, json={"name": default["name"], "description": "kept"})
    assert kept.status_code == 200 and kept.json()["default"] is True
    assert_error(await admin.delete(href), 400, "REQUEST_FAILED")
    assert (await admin.get(href)).json()["default"] is True


async def test_user_count_is_reported_and_a_population_with_users_is_kept(
    app: Any, admin: Api, env: str
) -> None:
    url = f"/environments/{env}/populations"
    busy = await admin.create(url, {"name": _name()})
    empty = await admin.create(url, {"name": _name()})
    await _add_users(app, env, busy["id"], 3)

    assert (await admin.get(f"{url}/{busy['id']}")).json()["userCount"] == 3
    counts = {p["id"]: p["userCount"] for p in await _populations(admin, env)}
    assert counts[busy["id"]] == 3 and counts[empty["id"]] == 0

    refused = await admin.delete(f"{url}/{busy['id']}")
    body = assert_error(refused, 400, "REQUEST_FAILED")
    assert "3 user" in body["message"]
    assert (await admin.get(f"{url}/{busy['id']}")).status_code == 200
    assert (await admin.delete(f"{url}/{empty['id']}")).status_code == 204


async def test_listing_populations_costs_the_same_queries_however_many(
    app: Any, admin: Api, env: str
) -> None:
    url = f"/environments/{env}/populations"
    # each count after one listing, so what configuration the listing caches is cached already
    await _populations(admin, env)
    with executed_statements(app) as few:
        await _populations(admin, env)
    for _ in range(4):
        created = await admin.create(url, {"name": _name()})
        await _add_users(app, env, created["id"], 1)
    await _populations(admin, env)
    with executed_statements(app) as many:
        listed = await _populations(admin, env)
    assert len(listed) == 5
    assert len(many) == len(few)


async def test_populations_are_filtered_and_paged(admin: Api, env: str) -> None:
    url = f"/environments/{env}/populations"
    prefix = f"flt{secrets.token_hex(3)}"
    made = [await admin.create(url, {"name": f"{prefix}-{i}"}) for i in range(3)]
    by_prefix = await _populations(admin, env, filter=f'name sw "{prefix}"')
    assert sorted(p["name"] for p in by_prefix) == [f"{prefix}-{i}" for i in range(3)]
    by_id = await _populations(admin, env, filter=f'id eq "{made[1]["id"]}"')
    assert [p["id"] for p in by_id] == [made[1]["id"]]
    by_name = await _populations(admin, env, filter=f'name eq "{prefix.upper()}-2"')
    assert [p["id"] for p in by_name] == [made[2]["id"]]

    page = (await admin.get(url, params={"limit": 2, "order": "name"})).json()
    assert page["size"] == 2 and page["count"] == 4 and "next" in page["_links"]
    rest = (await admin.get(page["_links"]["next"]["href"])).json()
    names = [p["name"] for p in page["_embedded"]["populations"] + rest["_embedded"]["populations"]]
    assert names == sorted(names) and len(set(names)) == 4

    bad = await admin.get(url, params={"filter": "userCount gt 1"})
    assert_error(bad, 400, "INVALID_DATA", detail="INVALID_FILTER", target="filter")
    assert_error(await admin.get(url, params={"filter": 'id eq "not-a-uuid"'}), 400, "INVALID_DATA")


async def test_populations_of_another_environment_are_not_found(admin: Api, env: str) -> None:
    other = await _new_env(admin)
    theirs = await _default_population(admin, other)
    href = f"/environments/{env}/populations/{theirs['id']}"
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.put(href, json={"name": "stolen"}), 404, "NOT_FOUND")
    assert_error(await admin.delete(href), 404, "NOT_FOUND")
    assert_error(await admin.get(f"/environments/{env}/populations/not-a-uuid"), 404, "NOT_FOUND")
    assert (await admin.get(f"/environments/{other}/populations/{theirs['id']}")).json()[
        "name"
    ] == "Default"
    listed = await _populations(admin, env, filter=f'id eq "{theirs["id"]}"')
    assert listed == []


async def test_environment_admin_of_another_environment_is_refused(
    app: Any, admin: Api, env: str
) -> None:
    other = await _new_env(admin)
    outsider = await worker(app, admin, other, [("Environment Admin", "ENVIRONMENT", other)])
    mine = await _default_population(admin, env)
    url = f"/environments/{env}/populations"
    for response in (
        await outsider.get(url),
        await outsider.post(url, json={"name": _name()}),
        await outsider.get(f"{url}/{mine['id']}"),
        await outsider.put(f"{url}/{mine['id']}", json={"name": "x"}),
        await outsider.delete(f"{url}/{mine['id']}"),
    ):
        assert_error(response, 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")
    assert (await outsider.get(f"/environments/{other}/populations")).status_code == 200


async def test_identity_data_admin_reads_but_does_not_manage_populations(
    app: Any, admin: Api, env: str
) -> None:
    data_admin = await worker(app, admin, env, [("Identity Data Admin", "ENVIRONMENT", env)])
    url = f"/environments/{env}/populations"
    assert (await data_admin.get(url)).status_code == 200
    assert_error(await data_admin.post(url, json={"name": _name()}), 403, "ACCESS_FAILED")


async def test_a_failed_request_changes_nothing(admin: Api, env: str) -> None:
    url = f"/environments/{env}/populations"
    taken = await admin.create(url, {"name": _name()})
    target = await admin.create(url, {"name": _name(), "description": "before"})
    before = (await admin.get(f"{url}/{target['id']}")).json()
    refused = await admin.put(
        f"{url}/{target['id']}",
        json={"name": taken["name"], "description": "after", "default": True},
    )
    assert_error(refused, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION")
    assert (await admin.get(f"{url}/{target['id']}")).json() == before
    assert (await _default_population(admin, env))["name"] == "Default"
    bad_policy = await admin.post(
        url,
        json={
            "name": (name := _name()),
            "default": True,
            "passwordPolicy": {"id": str(uuid.uuid4())},
        },
    )
    assert_error(bad_policy, 400, "INVALID_DATA", target="passwordPolicy.id")
    assert await _populations(admin, env, filter=f'name eq "{name}"') == []
