"""A user's group memberships: joining, reading, leaving, population groups, who may do it."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from gatehouse.directory.models import User
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _name() -> str:
    return f"group-{secrets.token_hex(4)}"


async def _new_env(admin: Api) -> str:
    body = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"},
    )
    return body["id"]


async def _default_population(admin: Api, env: str) -> str:
    listed = (await admin.get(f"/environments/{env}/populations")).json()
    return next(p["id"] for p in listed["_embedded"]["populations"] if p["default"])


async def _user(app: Any, env: str, population_id: str) -> str:
    username = f"user-{secrets.token_hex(5)}"
    async with app.state.runtime.sessions() as session, session.begin():
        user = User(
            environment_id=uuid.UUID(env),
            population_id=uuid.UUID(population_id),
            username=username,
            username_key=username.casefold(),
        )
        session.add(user)
        await session.flush()
        return str(user.id)


async def _default_user(app: Any, admin: Api, env: str) -> str:
    return await _user(app, env, await _default_population(admin, env))


async def _group(admin: Api, env: str, **fields: Any) -> dict[str, Any]:
    return await admin.create(f"/environments/{env}/groups", {"name": _name(), **fields})


def _url(env: str, user: str) -> str:
    return f"/environments/{env}/users/{user}/memberOfGroups"


async def _memberships(api: Api, env: str, user: str, **params: str) -> list[dict[str, Any]]:
    response = await api.get(_url(env, user), params=params)
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["groupMemberships"]


async def test_a_user_joins_reads_and_leaves_a_group(app: Any, admin: Api, env: str) -> None:
    user = await _default_user(app, admin, env)
    group = await _group(admin, env)
    joined = await admin.create(_url(env, user), {"id": group["id"]})
    assert joined["id"] == group["id"] and joined["name"] == group["name"]
    assert joined["type"] == "DIRECT" and joined["environment"] == {"id": env}
    href = f"{_url(env, user)}/{group['id']}"
    assert joined["_links"]["self"]["href"].endswith(f"/v1{href}")
    assert joined["_links"]["group"]["href"].endswith(f"/groups/{group['id']}")
    assert "_embedded" not in joined

    assert [m["id"] for m in await _memberships(admin, env, user)] == [group["id"]]
    read = await admin.get(href)
    assert read.status_code == 200 and read.json()["name"] == group["name"]

    assert (await admin.delete(href)).status_code == 204
    assert await _memberships(admin, env, user) == []
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.delete(href), 404, "NOT_FOUND")


async def test_expand_group_embeds_each_group(app: Any, admin: Api, env: str) -> None:
    user = await _default_user(app, admin, env)
    alpha = await _group(admin, env, name=f"a-{_name()}")
    beta = await _group(admin, env, name=f"b-{_name()}", externalId="B")
    for group in (beta, alpha):
        await admin.create(_url(env, user), {"id": group["id"]})
    expanded = await _memberships(admin, env, user, expand="group")
    assert [m["id"] for m in expanded] == [alpha["id"], beta["id"]]
    embedded = expanded[1]["_embedded"]["group"]
    assert embedded["id"] == beta["id"] and embedded["externalId"] == "B"
    assert embedded["directMemberCounts"] == {"users": 1}
    one = (await admin.get(f"{_url(env, user)}/{alpha['id']}", params={"expand": "group"})).json()
    assert one["_embedded"]["group"]["name"] == alpha["name"]
    refused = await admin.get(_url(env, user), params={"expand": "population"})
    assert_error(refused, 400, "INVALID_DATA", detail="INVALID_VALUE", target="expand")


async def test_a_user_joins_a_group_only_once(app: Any, admin: Api, env: str) -> None:
    user = await _default_user(app, admin, env)
    group = await _group(admin, env)
    await admin.create(_url(env, user), {"id": group["id"]})
    again = await admin.post(_url(env, user), json={"id": group["id"]})
    assert_error(again, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="id")
    assert len(await _memberships(admin, env, user)) == 1


async def test_a_population_group_takes_only_users_of_its_population(
    app: Any, admin: Api, env: str
) -> None:
    population = await admin.create(f"/environments/{env}/populations", {"name": _name()})
    group = await _group(admin, env, population={"id": population["id"]})
    outsider = await _default_user(app, admin, env)
    insider = await _user(app, env, population["id"])

    refused = await admin.post(_url(env, outsider), json={"id": group["id"]})
    assert_error(refused, 400, "INVALID_DATA", detail="INVALID_VALUE", target="id")
    assert await _memberships(admin, env, outsider) == []
    await admin.create(_url(env, insider), {"id": group["id"]})
    assert [m["id"] for m in await _memberships(admin, env, insider)] == [group["id"]]


async def test_membership_bodies_are_validated(app: Any, admin: Api, env: str) -> None:
    user = await _default_user(app, admin, env)
    url = _url(env, user)
    assert_error(
        await admin.post(url, json={}), 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="id"
    )
    assert_error(
        await admin.post(url, json={"id": "group"}),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="id",
    )
    assert_error(
        await admin.post(url, json={"id": str(uuid.uuid4())}),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="id",
    )
    assert_error(
        await admin.post(url, content=b"id", media_type="text/plain"), 415, "INVALID_REQUEST"
    )


async def test_users_and_groups_of_another_environment_are_refused(
    app: Any, admin: Api, env: str
) -> None:
    other = await _new_env(admin)
    their_user = await _default_user(app, admin, other)
    their_group = await _group(admin, other)
    await admin.create(_url(other, their_user), {"id": their_group["id"]})
    my_user = await _default_user(app, admin, env)
    my_group = await _group(admin, env)

    foreign_user = _url(env, their_user)
    assert_error(await admin.get(foreign_user), 404, "NOT_FOUND")
    assert_error(await admin.post(foreign_user, json={"id": my_group["id"]}), 404, "NOT_FOUND")
    assert_error(await admin.get(f"{foreign_user}/{their_group['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.delete(f"{foreign_user}/{their_group['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.get(_url(env, str(uuid.uuid4()))), 404, "NOT_FOUND")
    assert_error(await admin.get(_url(env, "not-a-uuid")), 404, "NOT_FOUND")

    foreign_group = await admin.post(_url(env, my_user), json={"id": their_group["id"]})
    assert_error(foreign_group, 400, "INVALID_DATA", detail="INVALID_VALUE", target="id")
    assert_error(await admin.get(f"{_url(env, my_user)}/{their_group['id']}"), 404, "NOT_FOUND")
    assert [m["id"] for m in await _memberships(admin, other, their_user)] == [their_group["id"]]


async def test_population_admins_manage_memberships_of_their_population_only(
    app: Any, admin: Api, env: str
) -> None:
    population = await admin.create(f"/environments/{env}/populations", {"name": _name()})
    scoped = await worker(
        app, admin, env, [("Identity Data Admin", "POPULATION", population["id"])]
    )
    group = await _group(admin, env)
    insider = await _user(app, env, population["id"])
    outsider = await _default_user(app, admin, env)

    await scoped.create(_url(env, insider), {"id": group["id"]})
    assert [m["id"] for m in await _memberships(scoped, env, insider)] == [group["id"]]
    assert (await scoped.delete(f"{_url(env, insider)}/{group['id']}")).status_code == 204
    assert_error(await scoped.get(_url(env, outsider)), 404, "NOT_FOUND")
    refused = await scoped.post(_url(env, outsider), json={"id": group["id"]})
    assert_error(refused, 404, "NOT_FOUND")
    assert await _memberships(admin, env, outsider) == []


async def test_reading_memberships_needs_groups_read_and_changing_them_groups_update(
    app: Any, admin: Api, env: str
) -> None:
    user = await _default_user(app, admin, env)
    group = await _group(admin, env)
    await admin.create(_url(env, user), {"id": group["id"]})
    help_desk = await worker(app, admin, env, [("Help Desk Admin", "ENVIRONMENT", env)])
    assert len(await _memberships(help_desk, env, user)) == 1
    assert_error(
        await help_desk.delete(f"{_url(env, user)}/{group['id']}"),
        403,
        "ACCESS_FAILED",
        detail="INSUFFICIENT_PERMISSIONS",
    )
    developer = await worker(
        app, admin, env, [("Client Application Developer", "ENVIRONMENT", env)]
    )
    assert_error(await developer.get(_url(env, user)), 403, "ACCESS_FAILED")


async def test_environment_admin_of_another_environment_is_refused(
    app: Any, admin: Api, env: str
) -> None:
    other = await _new_env(admin)
    outsider = await worker(
        app,
        admin,
        other,
        [
            ("Environment Admin", "ENVIRONMENT", other),
            ("Identity Data Admin", "ENVIRONMENT", other),
        ],
    )
    user = await _default_user(app, admin, env)
    group = await _group(admin, env)
    await admin.create(_url(env, user), {"id": group["id"]})
    for response in (
        await outsider.get(_url(env, user)),
        await outsider.post(_url(env, user), json={"id": group["id"]}),
        await outsider.get(f"{_url(env, user)}/{group['id']}"),
        await outsider.delete(f"{_url(env, user)}/{group['id']}"),
    ):
        assert_error(response, 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")
    assert len(await _memberships(admin, env, user)) == 1
