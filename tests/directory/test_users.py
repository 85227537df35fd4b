"""Users: create and import, every attribute rendered, replace and patch, validation, uniqueness,
the sub-resources, account lock, and isolation between environments."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.common import clock
from gatehouse.directory.models import Group, GroupMembership, UserPassword
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

IMPORT = "application/vnd.pingidentity.user.import+json"
LOCK = "application/vnd.pingidentity.account.lock+json"
UNLOCK = "application/vnd.pingidentity.account.unlock+json"

FULL_USER: dict[str, Any] = {
    "email": "ada.lovelace@example.com",
    "name": {
        "given": "Ada",
        "family": "Lovelace",
        "middle": "Augusta",
        "formatted": "Ada Augusta Lovelace",
        "honorificPrefix": "Countess",
        "honorificSuffix": "FRS",
    },
    "nickname": "Ada",
    "title": "Analyst",
    "type": "Employee",
    "preferredLanguage": "en",
    "locale": "en-GB",
    "timezone": "Europe/London",
    "externalId": "ext-1815",
    "accountId": "acct-42",
    "primaryPhone": "+44 20 7946 0000",
    "mobilePhone": "+447700900000",
    "address": {
        "streetAddress": "12 St James's Square",
        "locality": "London",
        "region": "Greater London",
        "postalCode": "SW1Y 4JH",
        "countryCode": "GB",
    },
    "photo": {"href": "https://example.com/ada.png"},
}


def _username() -> str:
    return f"user-{secrets.token_hex(5)}"


async def _create(admin: Api, env: str, **fields: Any) -> dict[str, Any]:
    return await admin.create(f"/environments/{env}/users", {"username": _username(), **fields})


async def _default_population(admin: Api, env: str) -> str:
    listed = (await admin.get(f"/environments/{env}/populations")).json()
    return next(p["id"] for p in listed["_embedded"]["populations"] if p["default"])


async def _new_env(admin: Api) -> str:
    body = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"},
    )
    return body["id"]


def _writable(user: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in user.items() if not key.startswith("_")}


async def test_a_created_user_renders_every_attribute_and_reads_back_the_same(
    admin: Api, env: str
) -> None:
    username = _username()
    created = await admin.create(f"/environments/{env}/users", {"username": username, **FULL_USER})
    for key, value in FULL_USER.items():
        assert created[key] == value, key
    assert created["username"] == username
    assert created["environment"] == {"id": env}
    assert created["population"] == {"id": await _default_population(admin, env)}
    assert created["enabled"] is True and created["mfaEnabled"] is False
    assert created["emailVerified"] is False
    assert created["lifecycle"] == {"status": "ACCOUNT_OK"}
    assert created["account"] == {"canAuthenticate": True, "status": "OK"}
    assert created["identityProvider"] == {"type": "PING_ONE"}
    assert created["verifyStatus"] == "NOT_INITIATED"
    assert created["createdAt"].endswith("Z") and created["updatedAt"].endswith("Z")
    assert "password" not in created and "lastSignOn" not in created
    assert created["_links"]["self"]["href"].endswith(f"/environments/{env}/users/{created['id']}")
    assert created["_links"]["password"]["href"].endswith(f"/users/{created['id']}/password")
    read = await admin.get(f"/environments/{env}/users/{created['id']}")
    assert read.status_code == 200 and read.json() == created


async def test_mfa_enabled_and_identity_provider_can_be_given_on_create(
    admin: Api, env: str
) -> None:
    provider = str(uuid.uuid4())
    user = await _create(
        admin, env, mfaEnabled=True, identityProvider={"type": "GOOGLE", "id": provider}
    )
    assert user["mfaEnabled"] is True
    assert user["identityProvider"] == {"type": "GOOGLE", "id": provider}
    read = await admin.get(f"/environments/{env}/users/{user['id']}/identityProvider")
    assert read.json()["type"] == "GOOGLE" and read.json()["id"] == provider


async def test_import_sets_lifecycle_and_email_verified_which_a_plain_create_ignores(
    admin: Api, env: str
) -> None:
    extra = {"lifecycle": {"status": "VERIFICATION_REQUIRED"}, "emailVerified": True}
    imported = await admin.create(
        f"/environments/{env}/users",
        {"username": _username(), "email": "imp@example.com", "mfaEnabled": True, **extra},
        media_type=IMPORT,
    )
    assert imported["lifecycle"] == {"status": "VERIFICATION_REQUIRED"}
    assert imported["emailVerified"] is True and imported["mfaEnabled"] is True
    plain = await _create(admin, env, email="plain@example.com", **extra)
    assert plain["lifecycle"] == {"status": "ACCOUNT_OK"} and plain["emailVerified"] is False


async def test_usernames_are_unique_per_environment_ignoring_case(admin: Api, env: str) -> None:
    first = await admin.create(f"/environments/{env}/users", {"username": "Grace.Hopper"})
    clash = await admin.post(f"/environments/{env}/users", json={"username": "GRACE.hopper"})
    body = assert_error(
        clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="username"
    )
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    other = await _create(admin, env)
    renamed = await admin.patch(
        f"/environments/{env}/users/{other['id']}", json={"username": "grace.HOPPER"}
    )
    assert_error(renamed, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="username")
    # the same username is free in another environment, and a user may change its own case
    await admin.create(f"/environments/{await _new_env(admin)}/users", {"username": "grace.hopper"})
    recased = await admin.patch(
        f"/environments/{env}/users/{first['id']}", json={"username": "grace.hopper"}
    )
    assert recased.status_code == 200 and recased.json()["username"] == "grace.hopper"


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({"email": "a@example.com"}, "REQUIRED_VALUE", "username"),
        ({"username": ""}, "INVALID_VALUE", "username"),
        ({"username": "x" * 129}, "SIZE_LIMIT_EXCEEDED", "username"),
        ({"username": "bad\u0007name"}, "INVALID_VALUE", "username"),
        ({"username": "u", "email": "not-an-email"}, "INVALID_VALUE", "email"),
        ({"username": "u", "email": "a@b@example.com"}, "INVALID_VALUE", "email"),
        ({"username": "u", "timezone": "Mars"}, "INVALID_VALUE", "timezone"),
        (
            {"username": "u", "address": {"countryCode": "usa"}},
            "INVALID_VALUE",
            "address.countryCode",
        ),
        (
            {"username": "u", "address": {"countryCode": "gb"}},
            "INVALID_VALUE",
            "address.countryCode",
        ),
        ({"username": "u", "nickname": "n" * 257}, "SIZE_LIMIT_EXCEEDED", "nickname"),
        ({"username": "u", "name": {"family": "Smith; DROP"}}, "INVALID_VALUE", "name.family"),
        ({"username": "u", "mobilePhone": "1" * 33}, "SIZE_LIMIT_EXCEEDED", "mobilePhone"),
        ({"username": "u", "externalId": "e" * 1025}, "SIZE_LIMIT_EXCEEDED", "externalId"),
        ({"username": "u", "photo": {}}, "REQUIRED_VALUE", "photo.href"),
        ({"username": "u", "mfaEnabled": "yes"}, "INVALID_VALUE", "mfaEnabled"),
        ({"username": "u", "population": {"id": "nope"}}, "INVALID_VALUE", "population.id"),
        ({"username": "u", "favouriteColour": "blue"}, "INVALID_VALUE", "favouriteColour"),
    ],
)
async def test_invalid_users_are_refused_with_the_offending_target(
    admin: Api, env: str, body: dict[str, Any], detail: str, target: str
) -> None:
    response = await admin.post(f"/environments/{env}/users", json=body)
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)


async def test_a_population_of_another_environment_is_an_invalid_population(
    admin: Api, env: str
) -> None:
    elsewhere = await _default_population(admin, await _new_env(admin))
    for population in (elsewhere, str(uuid.uuid4())):
        response = await admin.post(
            f"/environments/{env}/users",
            json={"username": _username(), "population": {"id": population}},
        )
        assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="population.id")


async def test_a_body_of_another_media_type_is_unsupported(admin: Api, env: str) -> None:
    response = await admin.post(
        f"/environments/{env}/users", content=b"username=x", media_type="text/plain"
    )
    assert_error(response, 415, "INVALID_REQUEST")
    malformed = await admin.post(
        f"/environments/{env}/users", content=b"{nope", media_type="application/json"
    )
    assert_error(malformed, 400, "INVALID_REQUEST")


async def test_put_replaces_the_user_clearing_what_is_left_out(admin: Api, env: str) -> None:
    user = await _create(admin, env, **FULL_USER, mfaEnabled=True)
    response = await admin.put(
        f"/environments/{env}/users/{user['id']}",
        json={"username": user["username"], "email": "new@example.com", "mfaEnabled": False},
    )
    assert response.status_code == 200, response.text
    replaced = response.json()
    assert replaced["email"] == "new@example.com"
    for cleared in ("name", "nickname", "address", "photo", "timezone", "externalId"):
        assert cleared not in replaced, cleared
    assert replaced["mfaEnabled"] is True  # only /mfaEnabled changes it
    assert replaced["population"] == user["population"]
    assert replaced["createdAt"] == user["createdAt"]


async def test_put_accepts_back_what_get_returned(admin: Api, env: str) -> None:
    user = await _create(admin, env, **FULL_USER)
    response = await admin.put(f"/environments/{env}/users/{user['id']}", json=_writable(user))
    assert response.status_code == 200, response.text
    assert {k: v for k, v in response.json().items() if k != "updatedAt"} == {
        k: v for k, v in user.items() if k != "updatedAt"
    }


async def test_put_and_patch_cannot_move_a_user_to_another_population(admin: Api, env: str) -> None:
    population = await admin.create(f"/environments/{env}/populations", {"name": "Elsewhere"})
    user = await _create(admin, env)
    moved = {"username": user["username"], "population": {"id": population["id"]}}
    for method in (admin.put, admin.patch):
        response = await method(f"/environments/{env}/users/{user['id']}", json=moved)
        assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="population.id")
    response = await admin.put(
        f"/environments/{env}/users/{user['id']}/population", json={"id": population["id"]}
    )
    assert response.status_code == 200 and response.json()["id"] == population["id"]
    read = await admin.get(f"/environments/{env}/users/{user['id']}/population")
    assert read.json()["id"] == population["id"]


async def test_patch_changes_only_what_it_names_and_null_clears(admin: Api, env: str) -> None:
    user = await _create(admin, env, **FULL_USER)
    response = await admin.patch(
        f"/environments/{env}/users/{user['id']}",
        json={"name": {"given": "Augusta"}, "nickname": None, "address": None, "title": "Countess"},
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["name"] == {**FULL_USER["name"], "given": "Augusta"}
    assert "nickname" not in patched and "address" not in patched
    assert patched["title"] == "Countess"
    assert patched["email"] == FULL_USER["email"] and patched["photo"] == FULL_USER["photo"]
    cleared = await admin.patch(f"/environments/{env}/users/{user['id']}", json={"username": None})
    assert_error(cleared, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="username")


async def test_delete_removes_the_user_and_its_password(app: Any, admin: Api, env: str) -> None:
    user = await _create(admin, env, password={"value": "Tr1cky-Horse-Battery!"})
    assert (await admin.delete(f"/environments/{env}/users/{user['id']}")).status_code == 204
    assert_error(await admin.get(f"/environments/{env}/users/{user['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.delete(f"/environments/{env}/users/{user['id']}"), 404, "NOT_FOUND")
    async with app.state.runtime.sessions() as session:
        assert await session.get(UserPassword, uuid.UUID(user["id"])) is None


async def test_a_user_of_another_environment_is_not_found(admin: Api, env: str) -> None:
    other = await _new_env(admin)
    theirs = await _create(admin, other)
    base = f"/environments/{env}/users/{theirs['id']}"
    for response in (
        await admin.get(base),
        await admin.put(base, json={"username": "x"}),
        await admin.patch(base, json={"title": "x"}),
        await admin.delete(base),
        await admin.get(f"{base}/password"),
        await admin.get(f"{base}/enabled"),
        await admin.put(f"{base}/enabled", json={"enabled": False}),
        await admin.post(base, content=b"", media_type=UNLOCK),
        await admin.get(f"/environments/{env}/users/not-a-uuid"),
    ):
        assert_error(response, 404, "NOT_FOUND")
    assert (await admin.get(f"/environments/{other}/users/{theirs['id']}")).status_code == 200


async def test_enabled_and_mfa_enabled_sub_resources(admin: Api, env: str) -> None:
    user = await _create(admin, env)
    base = f"/environments/{env}/users/{user['id']}"
    assert (await admin.get(f"{base}/enabled")).json()["enabled"] is True
    disabled = await admin.put(f"{base}/enabled", json={"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    read = (await admin.get(base)).json()
    assert read["enabled"] is False and read["account"]["canAuthenticate"] is False
    assert (await admin.get(f"{base}/mfaEnabled")).json()["mfaEnabled"] is False
    enabled = await admin.put(f"{base}/mfaEnabled", json={"mfaEnabled": True})
    assert enabled.json()["mfaEnabled"] is True
    assert (await admin.get(base)).json()["mfaEnabled"] is True
    assert_error(await admin.put(f"{base}/enabled", json={}), 400, "INVALID_DATA", target="enabled")


async def test_moving_to_an_unknown_population_is_refused(admin: Api, env: str) -> None:
    user = await _create(admin, env)
    response = await admin.put(
        f"/environments/{env}/users/{user['id']}/population", json={"id": str(uuid.uuid4())}
    )
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="id")


async def test_lock_and_unlock_the_account(admin: Api, env: str) -> None:
    user = await _create(admin, env)
    base = f"/environments/{env}/users/{user['id']}"
    locked = await admin.post(base, content=b"", media_type=LOCK)
    assert locked.status_code == 200, locked.text
    account = locked.json()["account"]
    assert account["status"] == "LOCKED" and account["canAuthenticate"] is False
    assert account["lockedAt"].endswith("Z") and "secondsUntilUnlock" not in account
    unlocked = await admin.post(base, content=b"", media_type=UNLOCK)
    assert unlocked.json()["account"] == {"canAuthenticate": True, "status": "OK"}
    assert_error(await admin.post(base, json={}), 415, "INVALID_REQUEST")


async def test_a_lock_with_unlock_at_ends_by_itself(admin: Api, env: str) -> None:
    user = await _create(admin, env)
    base = f"/environments/{env}/users/{user['id']}"
    until = clock.isoformat(clock.now().replace(microsecond=0) + timedelta(minutes=10))
    locked = await admin.post(base, json={"unlockAt": until}, media_type=LOCK)
    assert locked.status_code == 200, locked.text
    account = locked.json()["account"]
    assert account["unlockAt"] == until and 0 < account["secondsUntilUnlock"] <= 600
    clock.advance(601)
    assert (await admin.get(base)).json()["account"]["status"] == "OK"
    past = clock.isoformat(clock.now() - timedelta(minutes=1))
    response = await admin.post(base, json={"unlockAt": past}, media_type=LOCK)
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="unlockAt")


async def test_include_lists_the_groups_of_the_user(app: Any, admin: Api, env: str) -> None:
    user = await _create(admin, env)
    async with app.state.runtime.sessions() as session, session.begin():
        groups = [Group(environment_id=uuid.UUID(env), name=name) for name in ("Beta", "Alpha")]
        session.add_all(groups)
        await session.flush()
        for group in groups:
            session.add(
                GroupMembership(
                    user_id=uuid.UUID(user["id"]), group_id=group.id, created_at=clock.now()
                )
            )
        ids = {group.name: str(group.id) for group in groups}
    base = f"/environments/{env}/users/{user['id']}"
    both = (await admin.get(base, params={"include": "memberOfGroupIDs,memberOfGroupNames"})).json()
    assert both["memberOfGroupNames"] == ["Alpha", "Beta"]
    assert both["memberOfGroupIDs"] == [ids["Alpha"], ids["Beta"]]
    names = (await admin.get(base, params={"include": "memberOfGroupNames"})).json()
    assert "memberOfGroupIDs" not in names
    plain = (await admin.get(base)).json()
    assert "memberOfGroupIDs" not in plain and "memberOfGroupNames" not in plain
    bogus = await admin.get(base, params={"include": "everything"})
    assert_error(bogus, 400, "INVALID_DATA", detail="INVALID_VALUE", target="include")


async def test_updated_at_moves_on_a_change(admin: Api, env: str) -> None:
    user = await _create(admin, env)
    clock.advance(5)
    patched = (
        await admin.patch(f"/environments/{env}/users/{user['id']}", json={"title": "Dr"})
    ).json()
    assert patched["updatedAt"] > user["updatedAt"] and patched["createdAt"] == user["createdAt"]


async def test_deleting_a_user_removes_its_group_memberships(
    app: Any, admin: Api, env: str
) -> None:
    user = await _create(admin, env)
    async with app.state.runtime.sessions() as session, session.begin():
        group = Group(environment_id=uuid.UUID(env), name="Team")
        session.add(group)
        await session.flush()
        session.add(
            GroupMembership(
                user_id=uuid.UUID(user["id"]), group_id=group.id, created_at=clock.now()
            )
        )
    assert (await admin.delete(f"/environments/{env}/users/{user['id']}")).status_code == 204
    async with app.state.runtime.sessions() as session:
        left = await session.scalar(
            sa.select(sa.func.count()).where(GroupMembership.user_id == uuid.UUID(user["id"]))
        )
    assert left == 0
