"""Groups: CRUD, validation, population groups, filters, cursor paging, member counts, isolation."""

from __future__ import annotations

import base64
import secrets
import uuid
from typing import Any

import orjson
import pytest

from gatehouse.directory.models import User
from tests.support.actors import worker
from tests.support.api import Api, assert_error
from tests.support.databases import executed_statements

pytestmark = pytest.mark.anyio


def _name() -> str:
    return f"group-{secrets.token_hex(4)}"


async def _new_env(admin: Api) -> str:
    body = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"},
    )
    return body["id"]


async def _add_users(app: Any, env: str, population_id: str, count: int) -> list[str]:
    async with app.state.runtime.sessions() as session, session.begin():
        users = []
        for _ in range(count):
            username = f"user-{secrets.token_hex(5)}"
            users.append(
                User(
                    environment_id=uuid.UUID(env),
                    population_id=uuid.UUID(population_id),
                    username=username,
                    username_key=username.casefold(),
                )
            )
        session.add_all(users)
        await session.flush()
        return [str(user.id) for user in users]


async def _default_population(admin: Api, env: str) -> str:
    listed = (await admin.get(f"/environments/{env}/populations")).json()
    return next(p["id"] for p in listed["_embedded"]["populations"] if p["default"])


async def _groups(admin: Api, env: str, **params: Any) -> list[dict[str, Any]]:
    response = await admin.get(f"/environments/{env}/groups", params=params)
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["groups"]


def _cursor(value: Any) -> str:
    raw = orjson.dumps([value, str(uuid.uuid4())])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def _join(admin: Api, env: str, user_id: str, group_id: str) -> None:
    await admin.create(f"/environments/{env}/users/{user_id}/memberOfGroups", {"id": group_id})


async def test_create_read_update_and_delete_a_group(admin: Api, env: str) -> None:
    url = f"/environments/{env}/groups"
    created = await admin.create(
        url,
        {
            "name": (name := _name()),
            "description": "Trainers",
            "externalId": "ext-1",
            "customData": {"costCenter": 42, "tags": ["a", "b"]},
        },
    )
    assert created["name"] == name and created["displayName"] == name
    assert created["description"] == "Trainers" and created["externalId"] == "ext-1"
    assert created["customData"] == {"costCenter": 42, "tags": ["a", "b"]}
    assert created["directMemberCounts"] == {"users": 0}
    assert created["totalMemberCounts"] == {"users": 0}
    assert created["environment"] == {"id": env} and "population" not in created
    assert created["createdAt"].endswith("Z")
    href = f"{url}/{created['id']}"
    assert created["_links"]["self"]["href"].endswith(f"/v1{href}")

    assert (await admin.get(href)).json()["name"] == name
    updated = await admin.put(href, json={"name": f"{name}-x", "customData": {"k": "v"}})
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["name"] == f"{name}-x" and body["customData"] == {"k": "v"}
    assert "description" not in body and "externalId" not in body

    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")


async def test_group_bodies_are_validated_with_targets(admin: Api, env: str) -> None:
    url = f"/environments/{env}/groups"
    cases = [
        ({"description": "x"}, "REQUIRED_VALUE", "name"),
        ({"name": "x" * 257}, "SIZE_LIMIT_EXCEEDED", "name"),
        ({"name": _name(), "customData": "text"}, "INVALID_VALUE", "customData"),
        ({"name": _name(), "population": {"id": "x"}}, "INVALID_VALUE", "population.id"),
        ({"name": _name(), "population": {}}, "REQUIRED_VALUE", "population.id"),
        (
            {"name": _name(), "population": {"id": str(uuid.uuid4())}},
            "INVALID_VALUE",
            "population.id",
        ),
        ({"name": _name(), "externalId": "e" * 1025}, "SIZE_LIMIT_EXCEEDED", "externalId"),
        ({"name": _name(), "userFilter": 'title eq "x"'}, "INVALID_VALUE", "userFilter"),
    ]
    for body, code, target in cases:
        assert_error(
            await admin.post(url, json=body), 400, "INVALID_DATA", detail=code, target=target
        )
    assert await _groups(admin, env) == []


async def test_hostile_group_input_is_refused_without_a_server_error(admin: Api, env: str) -> None:
    url = f"/environments/{env}/groups"
    for depth in (40, 1000):
        nested = b'{"a":' * depth + b"1" + b"}" * depth
        body = b'{"name": "deep", "customData": ' + nested + b"}"
        deep = await admin.post(url, content=body, media_type="application/json")
        assert_error(deep, 400, "INVALID_DATA", target="customData")
    nul = await admin.post(url, json={"name": "a\u0000b", "customData": {"k": "\u0000"}})
    assert_error(nul, 400, "INVALID_DATA", detail="INVALID_VALUE")
    nul_filter = await admin.get(url, params={"filter": 'name eq "a\u0000"'})
    assert_error(nul_filter, 400, "INVALID_DATA", detail="INVALID_FILTER")
    assert await _groups(admin, env) == []


async def test_group_names_are_unique_in_the_environment(admin: Api, env: str) -> None:
    url = f"/environments/{env}/groups"
    first = await admin.create(url, {"name": (name := _name())})
    clash = await admin.post(url, json={"name": name.upper()})
    body = assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    second = await admin.create(url, {"name": _name()})
    renamed = await admin.put(f"{url}/{second['id']}", json={"name": name})
    assert_error(renamed, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    elsewhere = await _new_env(admin)
    await admin.create(f"/environments/{elsewhere}/groups", {"name": name})


async def test_population_groups_reference_a_population_of_the_environment(
    admin: Api, env: str
) -> None:
    url = f"/environments/{env}/groups"
    population = await admin.create(f"/environments/{env}/populations", {"name": _name()})
    group = await admin.create(url, {"name": _name(), "population": {"id": population["id"]}})
    assert group["population"] == {"id": population["id"]}
    assert group["_links"]["population"]["href"].endswith(f"/populations/{population['id']}")
    foreign = await _default_population(admin, await _new_env(admin))
    refused = await admin.post(url, json={"name": _name(), "population": {"id": foreign}})
    assert_error(refused, 400, "INVALID_DATA", detail="INVALID_VALUE", target="population.id")


async def test_a_group_moves_only_to_a_population_holding_all_its_members(
    app: Any, admin: Api, env: str
) -> None:
    default = await _default_population(admin, env)
    other = (await admin.create(f"/environments/{env}/populations", {"name": _name()}))["id"]
    group = await admin.create(f"/environments/{env}/groups", {"name": (name := _name())})
    [user] = await _add_users(app, env, default, 1)
    await _join(admin, env, user, group["id"])
    href = f"/environments/{env}/groups/{group['id']}"

    refused = await admin.put(href, json={"name": name, "population": {"id": other}})
    assert_error(refused, 400, "INVALID_DATA", detail="INVALID_VALUE", target="population.id")
    assert "population" not in (await admin.get(href)).json()
    moved = await admin.put(href, json={"name": name, "population": {"id": default}})
    assert moved.status_code == 200 and moved.json()["population"] == {"id": default}
    unscoped = await admin.put(href, json={"name": name})
    assert unscoped.status_code == 200 and "population" not in unscoped.json()


async def test_deleting_a_population_deletes_its_groups(admin: Api, env: str) -> None:
    population = await admin.create(f"/environments/{env}/populations", {"name": _name()})
    group = await admin.create(
        f"/environments/{env}/groups", {"name": _name(), "population": {"id": population["id"]}}
    )
    deleted = await admin.delete(f"/environments/{env}/populations/{population['id']}")
    assert deleted.status_code == 204
    assert_error(await admin.get(f"/environments/{env}/groups/{group['id']}"), 404, "NOT_FOUND")


async def test_groups_are_filtered(admin: Api, env: str) -> None:
    url = f"/environments/{env}/groups"
    population = await admin.create(f"/environments/{env}/populations", {"name": _name()})
    training = await admin.create(url, {"name": "Training", "externalId": "T-1"})
    scoped = await admin.create(url, {"name": "Trainers", "population": {"id": population["id"]}})
    await admin.create(url, {"name": "Sales"})

    assert [g["id"] for g in await _groups(admin, env, filter='name eq "training"')] == [
        training["id"]
    ]
    assert sorted(g["name"] for g in await _groups(admin, env, filter='name sw "Train"')) == [
        "Trainers",
        "Training",
    ]
    assert [g["id"] for g in await _groups(admin, env, filter='externalId eq "T-1"')] == [
        training["id"]
    ]
    by_population = await _groups(admin, env, filter=f'population.id eq "{population["id"]}"')
    assert [g["id"] for g in by_population] == [scoped["id"]]
    by_id = await _groups(admin, env, filter=f'id eq "{scoped["id"]}" or displayName eq "Sales"')
    assert sorted(g["name"] for g in by_id) == ["Sales", "Trainers"]
    bad = await admin.get(url, params={"filter": 'members eq "x"'})
    assert_error(bad, 400, "INVALID_DATA", detail="INVALID_FILTER", target="filter")


async def test_groups_are_paged_with_limit_and_cursor(admin: Api, env: str) -> None:
    url = f"/environments/{env}/groups"
    made = {(await admin.create(url, {"name": f"page-{i}"}))["id"] for i in range(5)}
    first = (await admin.get(url, params={"limit": 2})).json()
    assert first["size"] == 2 and first["count"] == 5
    seen = [g["id"] for g in first["_embedded"]["groups"]]
    page = first
    while "next" in page["_links"]:
        assert "limit=2" in page["_links"]["next"]["href"]
        page = (await admin.get(page["_links"]["next"]["href"])).json()
        seen += [g["id"] for g in page["_embedded"]["groups"]]
    assert len(seen) == 5 and set(seen) == made

    by_name = (await admin.get(url, params={"limit": 3, "order": "-name"})).json()
    assert [g["name"] for g in by_name["_embedded"]["groups"]] == ["page-4", "page-3", "page-2"]
    for limit in (0, 1001):
        refused = await admin.get(url, params={"limit": limit})
        assert_error(refused, 400, "INVALID_DATA", detail="OUT_OF_RANGE", target="limit")
    assert_error(await admin.get(url, params={"cursor": "garbage"}), 400, "INVALID_DATA")
    by_date = first["_links"]["next"]["href"].split("cursor=")[1]
    for order, cursor in (
        ("name", by_date),
        ("createdAt", _cursor("page-1")),
        ("name", _cursor([1, 2])),
        ("name", _cursor("a\u0000")),
        ("createdAt", _cursor({"t": "0001-01-01T00:00:00+14:00"})),
    ):
        forged = await admin.get(url, params={"limit": 1, "order": order, "cursor": cursor})
        assert_error(forged, 400, "INVALID_DATA", detail="INVALID_VALUE", target="cursor")


async def test_member_counts_are_computed_without_a_query_per_group(
    app: Any, admin: Api, env: str
) -> None:
    url = f"/environments/{env}/groups"
    users = await _add_users(app, env, await _default_population(admin, env), 3)
    first = await admin.create(url, {"name": _name()})
    with executed_statements(app) as few:
        await _groups(admin, env)
    groups = [first] + [await admin.create(url, {"name": _name()}) for _ in range(4)]
    for index, group in enumerate(groups[:3]):
        for user in users[: index + 1]:
            await _join(admin, env, user, group["id"])
    with executed_statements(app) as many:
        listed = {g["id"]: g for g in await _groups(admin, env)}
    assert len(many) == len(few)
    assert [listed[g["id"]]["directMemberCounts"]["users"] for g in groups] == [1, 2, 3, 0, 0]
    assert [listed[g["id"]]["totalMemberCounts"]["users"] for g in groups] == [1, 2, 3, 0, 0]
    read = (await admin.get(f"{url}/{groups[2]['id']}")).json()
    assert read["directMemberCounts"] == {"users": 3}


async def test_deleting_a_group_ends_its_memberships(app: Any, admin: Api, env: str) -> None:
    [user] = await _add_users(app, env, await _default_population(admin, env), 1)
    group = await admin.create(f"/environments/{env}/groups", {"name": _name()})
    await _join(admin, env, user, group["id"])
    assert (await admin.delete(f"/environments/{env}/groups/{group['id']}")).status_code == 204
    memberships = (await admin.get(f"/environments/{env}/users/{user}/memberOfGroups")).json()
    assert memberships["_embedded"]["groupMemberships"] == []


async def test_groups_of_another_environment_are_not_found(admin: Api, env: str) -> None:
    other = await _new_env(admin)
    theirs = await admin.create(f"/environments/{other}/groups", {"name": _name()})
    href = f"/environments/{env}/groups/{theirs['id']}"
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.put(href, json={"name": "stolen"}), 404, "NOT_FOUND")
    assert_error(await admin.delete(href), 404, "NOT_FOUND")
    assert_error(await admin.get(f"/environments/{env}/groups/12345"), 404, "NOT_FOUND")
    assert await _groups(admin, env, filter=f'id eq "{theirs["id"]}"') == []
    assert (await admin.get(f"/environments/{other}/groups/{theirs['id']}")).status_code == 200


async def test_environment_admin_of_another_environment_is_refused(
    app: Any, admin: Api, env: str
) -> None:
    other = await _new_env(admin)
    outsider = await worker(app, admin, other, [("Environment Admin", "ENVIRONMENT", other)])
    group = await admin.create(f"/environments/{env}/groups", {"name": _name()})
    url = f"/environments/{env}/groups"
    for response in (
        await outsider.get(url),
        await outsider.post(url, json={"name": _name()}),
        await outsider.get(f"{url}/{group['id']}"),
        await outsider.put(f"{url}/{group['id']}", json={"name": "x"}),
        await outsider.delete(f"{url}/{group['id']}"),
    ):
        assert_error(response, 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")


async def test_read_only_admins_read_groups_but_do_not_change_them(
    app: Any, admin: Api, env: str
) -> None:
    reader = await worker(app, admin, env, [("Identity Data Read Only", "ENVIRONMENT", env)])
    group = await admin.create(f"/environments/{env}/groups", {"name": _name()})
    url = f"/environments/{env}/groups"
    assert (await reader.get(f"{url}/{group['id']}")).status_code == 200
    assert_error(await reader.post(url, json={"name": _name()}), 403, "ACCESS_FAILED")
    assert_error(await reader.delete(f"{url}/{group['id']}"), 403, "ACCESS_FAILED")


async def test_a_failed_request_changes_nothing(admin: Api, env: str) -> None:
    url = f"/environments/{env}/groups"
    taken = await admin.create(url, {"name": _name()})
    target = await admin.create(url, {"name": _name(), "customData": {"v": 1}})
    before = (await admin.get(f"{url}/{target['id']}")).json()
    refused = await admin.put(
        f"{url}/{target['id']}", json={"name": taken["name"], "customData": {"v": 2}}
    )
    assert_error(refused, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION")
    assert (await admin.get(f"{url}/{target['id']}")).json() == before
