"""Listing users: cursor pages followed through `_links.next`, every SCIM filter operator compiled to
SQL (case-insensitive), memberOfGroups, custom attributes, ordering, and invalid parameters."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.common import clock
from gatehouse.directory.models import Group, GroupMembership, Population, SchemaAttribute, User
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


@dataclass
class Directory:
    env: str
    group_id: str
    population_id: str


async def _new_env(admin: Api) -> str:
    body = await admin.create(
        "/environments", {"name": f"list-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"}
    )
    return body["id"]


@pytest.fixture(scope="module")
async def directory(app: Any, admin: Api) -> Directory:
    """One environment with four users, a group holding two of them, and custom attributes."""
    env = await _new_env(admin)
    async with app.state.runtime.sessions() as session, session.begin():
        session.add_all(
            [
                SchemaAttribute(environment_id=uuid.UUID(env), name="department", type="STRING"),
                SchemaAttribute(environment_id=uuid.UUID(env), name="isContractor", type="BOOLEAN"),
                SchemaAttribute(
                    environment_id=uuid.UUID(env), name="skills", type="STRING", multi_valued=True
                ),
            ]
        )
    users = {
        "alice": {
            "email": "alice@example.com",
            "name": {"given": "Alice", "family": "Liddell"},
            "title": "Engineer",
            "address": {"countryCode": "GB", "locality": "Oxford"},
            "mfaEnabled": True,
            "department": "Sales",
            "isContractor": True,
        },
        "bob": {
            "email": "bob@example.org",
            "name": {"given": "Bob", "family": "Builder"},
            "title": "Manager",
            "address": {"countryCode": "US"},
            "department": "Engineering",
            "isContractor": False,
        },
        "Carol.Smith": {
            "email": "carol@example.com",
            "name": {"given": "Carol", "family": "Smith"},
            "primaryPhone": "+15551234567",
            "skills": ["python"],
        },
        "dave": {"name": {"given": "Dave", "family": "Smith"}, "title": "engineer"},
    }
    ids = {}
    for username, fields in users.items():
        created = await admin.create(f"/environments/{env}/users", {"username": username, **fields})
        ids[username] = created["id"]
        population_id = created["population"]["id"]
    disabled = await admin.put(
        f"/environments/{env}/users/{ids['bob']}/enabled", json={"enabled": False}
    )
    assert disabled.status_code == 200
    async with app.state.runtime.sessions() as session, session.begin():
        group = Group(environment_id=uuid.UUID(env), name="Admins")
        session.add(group)
        await session.flush()
        for username in ("alice", "Carol.Smith"):
            session.add(
                GroupMembership(
                    user_id=uuid.UUID(ids[username]), group_id=group.id, created_at=clock.now()
                )
            )
        group_id = str(group.id)
    return Directory(env, group_id, population_id)


async def _usernames(admin: Api, env: str, filter_text: str) -> set[str]:
    response = await admin.get(f"/environments/{env}/users", params={"filter": filter_text})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["_embedded"]["users"])
    return {user["username"] for user in body["_embedded"]["users"]}


EVERYONE = {"alice", "bob", "Carol.Smith", "dave"}


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ('username eq "ALICE"', {"alice"}),
        ('USERNAME EQ "carol.smith"', {"Carol.Smith"}),
        ('username ne "alice"', {"bob", "Carol.Smith", "dave"}),
        ('email co "EXAMPLE.COM"', {"alice", "Carol.Smith"}),
        ('name.given sw "ca"', {"Carol.Smith"}),
        ('email ew ".org"', {"bob"}),
        ('username gt "c"', {"Carol.Smith", "dave"}),
        ('username lt "bob"', {"alice"}),
        ('username ge "bob"', {"bob", "Carol.Smith", "dave"}),
        ('username le "bob"', {"alice", "bob"}),
        ("title pr", {"alice", "bob", "dave"}),
        ("not (title pr)", {"Carol.Smith"}),
        ('name.family eq "smith" and title eq "ENGINEER"', {"dave"}),
        ('title eq "engineer" or title eq "manager"', {"alice", "bob", "dave"}),
        (
            '(name.family eq "Smith" or name.family eq "Liddell") and not (username eq "dave")',
            {"alice", "Carol.Smith"},
        ),
        (
            'name.family eq "Smith" or (title eq "Manager" and enabled eq false)',
            {"bob", "Carol.Smith", "dave"},
        ),
        ("mfaEnabled eq true", {"alice"}),
        ("enabled eq false", {"bob"}),
        ('address.countryCode eq "gb"', {"alice"}),
        ('address.locality sw "ox"', {"alice"}),
        ('primaryPhone co "555"', {"Carol.Smith"}),
        ('createdAt gt "2000-01-01T00:00:00Z"', EVERYONE),
        ('createdAt lt "2000-01-01T00:00:00Z"', set()),
        ('lifecycle.status eq "ACCOUNT_OK" and account.status eq "OK"', EVERYONE),
        ('identityProvider.type eq "PING_ONE"', EVERYONE),
        ('department eq "SALES"', {"alice"}),
        ('department sw "eng"', {"bob"}),
        ("department pr", {"alice", "bob"}),
        ("isContractor eq true", {"alice"}),
        ("isContractor eq false", {"bob"}),
    ],
)
async def test_filters_select_users_in_sql(
    admin: Api, directory: Directory, filter_text: str, expected: set[str]
) -> None:
    assert await _usernames(admin, directory.env, filter_text) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('memberOfGroups[id eq "{group}"]', {"alice", "Carol.Smith"}),
        ('memberOfGroups.id eq "{group}"', {"alice", "Carol.Smith"}),
        ('memberOfGroups[id eq "{group}"] and name.family eq "smith"', {"Carol.Smith"}),
        ('memberOfGroups[name eq "admins"]', {"alice", "Carol.Smith"}),
        ('not (memberOfGroups[id eq "{group}"])', {"bob", "dave"}),
        ('population.id eq "{population}"', EVERYONE),
        ('id eq "{random}"', set()),
    ],
)
async def test_filters_on_groups_and_ids(
    admin: Api, directory: Directory, template: str, expected: set[str]
) -> None:
    filter_text = template.format(
        group=directory.group_id, population=directory.population_id, random=uuid.uuid4()
    )
    assert await _usernames(admin, directory.env, filter_text) == expected


@pytest.mark.parametrize(
    "filter_text",
    [
        "username eq",
        'username xx "a"',
        'unknown eq "x"',
        '(username eq "a"',
        "username eq alice",
        'enabled co "t"',
        'enabled eq "yes"',
        'id eq "not-a-uuid"',
        'createdAt gt "yesterday"',
        'skills eq "python"',
        'memberOfGroups[colour eq "red"]',
    ],
)
async def test_invalid_filters_are_invalid_filter_errors(
    admin: Api, directory: Directory, filter_text: str
) -> None:
    response = await admin.get(
        f"/environments/{directory.env}/users", params={"filter": filter_text}
    )
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_FILTER", target="filter")


async def test_order_by_username_ignores_case_both_ways(admin: Api, directory: Directory) -> None:
    base = f"/environments/{directory.env}/users"
    ascending = (await admin.get(base, params={"order": "username"})).json()["_embedded"]["users"]
    assert [u["username"] for u in ascending] == ["alice", "bob", "Carol.Smith", "dave"]
    descending = (await admin.get(base, params={"order": "-username"})).json()["_embedded"]["users"]
    assert [u["username"] for u in descending] == ["dave", "Carol.Smith", "bob", "alice"]
    assert_error(
        await admin.get(base, params={"order": "nickname"}),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="order",
    )


@pytest.mark.parametrize("limit", ["0", "1001", "many"])
async def test_limits_outside_1_to_1000_are_refused(
    admin: Api, directory: Directory, limit: str
) -> None:
    response = await admin.get(f"/environments/{directory.env}/users", params={"limit": limit})
    assert_error(response, 400, "INVALID_DATA", target="limit")


async def test_a_forged_cursor_is_refused(admin: Api, directory: Directory) -> None:
    response = await admin.get(f"/environments/{directory.env}/users", params={"cursor": "!!!"})
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="cursor")


async def _add_users(app: Any, env: str, count: int) -> None:
    """Many users at once, straight into the table (the API path is covered elsewhere)."""
    async with app.state.runtime.sessions() as session, session.begin():
        population = await session.scalar(
            sa.select(Population.id).where(
                Population.environment_id == uuid.UUID(env), Population.default.is_(True)
            )
        )
        session.add_all(
            [
                User(
                    environment_id=uuid.UUID(env),
                    population_id=population,
                    username=f"Bulk-{index:03d}",
                    username_key=f"bulk-{index:03d}",
                )
                for index in range(count)
            ]
        )


@pytest.mark.parametrize("order", [None, "username", "-createdAt"])
async def test_walking_250_users_by_next_links_sees_each_exactly_once(
    app: Any, admin: Api, env: str, order: str | None
) -> None:
    await _add_users(app, env, 250)
    params = {"limit": "100", **({"order": order} if order else {})}
    response = await admin.get(f"/environments/{env}/users", params=params)
    seen: list[str] = []
    names: list[str] = []
    sizes: list[int] = []
    while True:
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["count"] == 250
        users = page["_embedded"]["users"]
        assert page["size"] == len(users)
        sizes.append(page["size"])
        seen.extend(user["id"] for user in users)
        names.extend(user["username"] for user in users)
        if "next" not in page["_links"]:
            break
        response = await admin.get(page["_links"]["next"]["href"])
    assert sizes == [100, 100, 50]
    assert len(seen) == len(set(seen)) == 250
    if order == "username":
        assert names == [f"Bulk-{index:03d}" for index in range(250)]


async def test_the_next_link_keeps_the_filter(app: Any, admin: Api, env: str) -> None:
    await _add_users(app, env, 30)
    first = (
        await admin.get(
            f"/environments/{env}/users", params={"filter": 'username sw "bulk-01"', "limit": "4"}
        )
    ).json()
    assert first["count"] == 10 and first["size"] == 4
    assert "filter=" in first["_links"]["next"]["href"]
    second = (await admin.get(first["_links"]["next"]["href"])).json()
    third = (await admin.get(second["_links"]["next"]["href"])).json()
    names = [u["username"] for page in (first, second, third) for u in page["_embedded"]["users"]]
    assert sorted(names) == [f"Bulk-{index:03d}" for index in range(10, 20)]
    assert "next" not in third["_links"]


async def test_a_list_shows_only_the_users_of_its_environment(
    admin: Api, directory: Directory, env: str
) -> None:
    await admin.create(f"/environments/{env}/users", {"username": "alice"})
    mine = (await admin.get(f"/environments/{env}/users")).json()
    assert [u["username"] for u in mine["_embedded"]["users"]] == ["alice"]
    assert mine["count"] == 1


async def test_not_matches_users_without_the_attribute(admin: Api, env: str) -> None:
    for username, email in (
        ("with-mail", "a@example.com"),
        ("no-mail", None),
        ("other", "b@test.org"),
    ):
        body: dict[str, Any] = {"username": username}
        if email:
            body["email"] = email
        await admin.create(f"/environments/{env}/users", body)

    async def names(expression: str) -> list[str]:
        response = await admin.get(f"/environments/{env}/users", params={"filter": expression})
        assert response.status_code == 200, response.text
        return sorted(user["username"] for user in response.json()["_embedded"]["users"])

    assert await names('email ew "@example.com"') == ["with-mail"]
    assert await names('not (email ew "@example.com")') == ["no-mail", "other"]
    assert await names("not (email pr)") == ["no-mail"]
