"""Users' passwords: the state, an administrator's set, a change, checks with lockout, unlock,
forced change, expiry, history, legacy hashes, and requests that leave nothing half done."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import uuid
from typing import Any

import bcrypt
import httpx
import pytest

from gatehouse.common import clock
from gatehouse.directory.models import UserPassword
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio

SET = "application/vnd.pingidentity.password.set+json"
RESET = "application/vnd.pingidentity.password.reset+json"
CHECK = "application/vnd.pingidentity.password.check+json"
UNLOCK = "application/vnd.pingidentity.password.unlock+json"
IMPORT = "application/vnd.pingidentity.user.import+json"

# Each satisfies the environment's default "Standard" policy, and none is like another.
FIRST = "2FederateM0re!"
SECOND = "Qu!ck-Brown-F0x"
THIRD = "Zebra#Lunch42x"
DAY = 86_400


async def _user(admin: Api, env: str, **fields: Any) -> str:
    body = {"username": f"user-{secrets.token_hex(5)}", **fields}
    return (await admin.create(f"/environments/{env}/users", body))["id"]


def _path(env: str, user: str) -> str:
    return f"/environments/{env}/users/{user}/password"


async def _set(admin: Api, env: str, user: str, value: str, **extra: Any) -> httpx.Response:
    return await admin.put(_path(env, user), json={"value": value, **extra}, media_type=SET)


async def _check(admin: Api, env: str, user: str, password: str) -> httpx.Response:
    return await admin.post(_path(env, user), json={"password": password}, media_type=CHECK)


async def _change(
    admin: Api, env: str, user: str, new: str, current: str | None = None
) -> httpx.Response:
    body = {"newPassword": new, **({"currentPassword": current} if current else {})}
    return await admin.put(_path(env, user), json=body, media_type=RESET)


async def _state(admin: Api, env: str, user: str) -> dict[str, Any]:
    response = await admin.get(_path(env, user))
    assert response.status_code == 200, response.text
    return response.json()


async def _later(admin: Api, credentials: Credentials, seconds: float) -> Api:
    """Move the clock on, and an admin with a token issued then (the old one has expired)."""
    clock.advance(seconds)
    token = await admin.token_for(
        credentials.environment_id, credentials.client_id, credentials.client_secret
    )
    return admin.with_token(token)


def _requirements(response: httpx.Response) -> list[str]:
    body = assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="password")
    detail = body["details"][0]
    assert detail["message"] == "User password did not satisfy password policy requirements"
    return detail["innerError"]["unsatisfiedRequirements"]


async def test_a_user_without_password_has_status_no_password(admin: Api, env: str) -> None:
    user = await _user(admin, env)
    state = await _state(admin, env, user)
    assert state["status"] == "NO_PASSWORD" and "lastChangedAt" not in state
    assert state["environment"] == {"id": env} and state["user"] == {"id": user}
    assert_error(await _check(admin, env, user, FIRST), 400, "INVALID_DATA", detail="NO_PASSWORD")


async def test_set_then_check_reports_the_state_under_the_default_policy(
    admin: Api, env: str
) -> None:
    user = await _user(admin, env)
    response = await _set(admin, env, user, FIRST)
    assert response.status_code == 200, response.text
    state = response.json()
    policies = (await admin.get(f"/environments/{env}/passwordPolicies")).json()
    standard = next(p for p in policies["_embedded"]["passwordPolicies"] if p["default"])
    assert state["status"] == "OK" and state["passwordPolicy"] == {"id": standard["id"]}
    assert state["lastChangedAt"].endswith("Z") and state["failuresRemaining"] == 5
    assert state["_links"]["self"]["href"].endswith(_path(env, user))
    checked = await _check(admin, env, user, FIRST)
    assert checked.status_code == 200 and checked.json()["status"] == "OK"


async def test_wrong_passwords_count_down_then_lock_out_until_the_duration_passes(
    admin: Api, env: str
) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    remaining = []
    for _ in range(4):
        body = assert_error(
            await _check(admin, env, user, "not-it"),
            400,
            "INVALID_DATA",
            detail="INVALID_VALUE",
            target="password",
        )
        assert body["details"][0]["message"] == "The provided password did not match"
        remaining.append(body["details"][0]["innerError"]["failuresRemaining"])
    assert remaining == [4, 3, 2, 1]
    fifth = assert_error(
        await _check(admin, env, user, "not-it"), 400, "INVALID_DATA", detail="PASSWORD_LOCKED_OUT"
    )
    assert fifth["details"][0]["innerError"]["secondsUntilUnlock"] == 900
    # locked: even the right password is refused, and the account shows the lockout
    assert_error(
        await _check(admin, env, user, FIRST), 400, "INVALID_DATA", detail="PASSWORD_LOCKED_OUT"
    )
    state = await _state(admin, env, user)
    assert state["status"] == "PASSWORD_LOCKED_OUT" and 0 < state["secondsUntilUnlock"] <= 900
    account = (await admin.get(f"/environments/{env}/users/{user}")).json()["account"]
    assert account["status"] == "LOCKED" and account["canAuthenticate"] is False
    assert "lockedAt" not in account and account["secondsUntilUnlock"] <= 900
    clock.advance(901)
    assert (await _check(admin, env, user, FIRST)).status_code == 200
    assert (await _state(admin, env, user))["failuresRemaining"] == 5


async def test_a_match_resets_the_failure_count(admin: Api, env: str) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    for _ in range(3):
        await _check(admin, env, user, "not-it")
    assert (await _state(admin, env, user))["failuresRemaining"] == 2
    assert (await _check(admin, env, user, FIRST)).status_code == 200
    assert (await _state(admin, env, user))["failuresRemaining"] == 5


async def test_an_administrator_unlocks_a_locked_password(admin: Api, env: str) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    for _ in range(5):
        await _check(admin, env, user, "not-it")
    assert (await _state(admin, env, user))["status"] == "PASSWORD_LOCKED_OUT"
    unlocked = await admin.post(_path(env, user), content=b"", media_type=UNLOCK)
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["status"] == "OK" and unlocked.json()["failuresRemaining"] == 5
    assert (await _check(admin, env, user, FIRST)).status_code == 200


async def test_unlocking_the_account_also_ends_a_password_lockout(admin: Api, env: str) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    for _ in range(5):
        await _check(admin, env, user, "not-it")
    response = await admin.post(
        f"/environments/{env}/users/{user}",
        content=b"",
        media_type="application/vnd.pingidentity.account.unlock+json",
    )
    assert response.json()["account"]["status"] == "OK"
    assert (await _check(admin, env, user, FIRST)).status_code == 200


async def test_force_change_requires_a_change_which_min_age_does_not_block(
    admin: Api, env: str
) -> None:
    user = await _user(admin, env)
    forced = await _set(admin, env, user, FIRST, forceChange=True)
    assert forced.json()["status"] == "MUST_CHANGE_PASSWORD"
    checked = await _check(admin, env, user, FIRST)
    assert checked.status_code == 200 and checked.json()["status"] == "MUST_CHANGE_PASSWORD"
    changed = await _change(admin, env, user, SECOND, current=FIRST)
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "OK"


async def test_force_change_on_create_and_import(admin: Api, env: str) -> None:
    created = await _user(admin, env, password={"value": FIRST, "forceChange": True})
    assert (await _state(admin, env, created))["status"] == "MUST_CHANGE_PASSWORD"
    imported = (
        await admin.create(
            f"/environments/{env}/users",
            {"username": "imported", "password": {"value": FIRST, "forceChange": True}},
            media_type=IMPORT,
        )
    )["id"]
    assert (await _state(admin, env, imported))["status"] == "MUST_CHANGE_PASSWORD"


async def test_a_password_older_than_max_age_days_is_expired(
    admin: Api, env: str, credentials: Credentials
) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    admin = await _later(admin, credentials, 181 * DAY)
    assert (await _state(admin, env, user))["status"] == "OK"
    admin = await _later(admin, credentials, 2 * DAY)
    assert (await _state(admin, env, user))["status"] == "PASSWORD_EXPIRED"
    checked = await _check(admin, env, user, FIRST)
    assert checked.status_code == 200 and checked.json()["status"] == "PASSWORD_EXPIRED"
    changed = await _change(admin, env, user, SECOND, current=FIRST)
    assert changed.status_code == 200 and changed.json()["status"] == "OK"


async def test_a_change_before_min_age_days_is_refused_but_an_admin_set_is_not(
    admin: Api, env: str, credentials: Credentials
) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    assert _requirements(await _change(admin, env, user, SECOND, current=FIRST)) == ["minAgeDays"]
    assert (await _set(admin, env, user, SECOND)).status_code == 200
    admin = await _later(admin, credentials, DAY + 1)
    assert (await _change(admin, env, user, THIRD, current=SECOND)).status_code == 200


async def test_reusing_a_recent_password_is_refused(
    admin: Api, env: str, credentials: Credentials
) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    admin = await _later(admin, credentials, 2 * DAY)
    assert (await _change(admin, env, user, SECOND, current=FIRST)).status_code == 200
    admin = await _later(admin, credentials, 2 * DAY)
    assert _requirements(await _change(admin, env, user, FIRST, current=SECOND)) == ["history"]
    assert _requirements(await _set(admin, env, user, FIRST)) == ["history"]
    assert _requirements(await _set(admin, env, user, SECOND)) == ["history"]
    # past retentionDays (365) the old password may come back
    admin = await _later(admin, credentials, 366 * DAY)
    assert (await _change(admin, env, user, FIRST, current=SECOND)).status_code == 200


async def test_a_change_close_to_the_current_password_is_refused(
    admin: Api, env: str, credentials: Credentials
) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    admin = await _later(admin, credentials, 2 * DAY)
    similar = await _change(admin, env, user, "2FederateM0re!9", current=FIRST)
    assert _requirements(similar) == ["notSimilarToCurrent"]


async def test_a_change_with_a_wrong_current_password_counts_as_a_failure(
    admin: Api, env: str, credentials: Credentials
) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    admin = await _later(admin, credentials, 2 * DAY)
    refused = await _change(admin, env, user, SECOND, current="not-it")
    body = assert_error(refused, 400, "INVALID_DATA", target="currentPassword")
    assert body["details"][0]["innerError"]["failuresRemaining"] == 4
    assert (await _state(admin, env, user))["failuresRemaining"] == 4
    assert (await _check(admin, env, user, FIRST)).status_code == 200


async def test_an_administrator_may_change_without_the_current_password(
    admin: Api, env: str, credentials: Credentials
) -> None:
    user = await _user(admin, env, password={"value": FIRST})
    admin = await _later(admin, credentials, 2 * DAY)
    assert (await _change(admin, env, user, SECOND)).status_code == 200
    assert (await _check(admin, env, user, SECOND)).status_code == 200


def _ssha512(password: str) -> str:
    salt = os.urandom(8)
    digest = hashlib.sha512(password.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode()


def _bcrypt(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


@pytest.mark.parametrize("encode", [_ssha512, _bcrypt], ids=["ssha512", "bcrypt"])
async def test_an_imported_legacy_hash_verifies_and_becomes_argon2id(
    app: Any, admin: Api, env: str, encode: Any
) -> None:
    legacy = encode("legacy-secret")  # pre-encoded: no policy applies to it
    user = (
        await admin.create(
            f"/environments/{env}/users",
            {"username": f"legacy-{secrets.token_hex(4)}", "password": {"value": legacy}},
            media_type=IMPORT,
        )
    )["id"]
    assert (await _state(admin, env, user))["status"] == "OK"
    assert_error(await _check(admin, env, user, "wrong-secret"), 400, "INVALID_DATA")
    assert (await _check(admin, env, user, "legacy-secret")).status_code == 200
    async with app.state.runtime.sessions() as session:
        record = await session.get(UserPassword, uuid.UUID(user))
        assert record is not None and record.password_hash.startswith("$argon2id$")
    assert (await _check(admin, env, user, "legacy-secret")).status_code == 200


async def test_an_administrator_may_set_a_pre_encoded_hash(admin: Api, env: str) -> None:
    user = await _user(admin, env)
    assert (await _set(admin, env, user, _ssha512("from-ldap"))).status_code == 200
    assert (await _check(admin, env, user, "from-ldap")).status_code == 200


async def test_a_user_created_with_a_refused_password_is_not_created(admin: Api, env: str) -> None:
    response = await admin.post(
        f"/environments/{env}/users", json={"username": "doomed", "password": {"value": "short"}}
    )
    assert "length" in _requirements(response)
    listed = await admin.get(
        f"/environments/{env}/users", params={"filter": 'username eq "doomed"'}
    )
    assert listed.json()["count"] == 0
    created = await admin.create(f"/environments/{env}/users", {"username": "doomed"})
    assert (await _state(admin, env, created["id"]))["status"] == "NO_PASSWORD"


async def test_users_of_an_external_identity_provider_cannot_have_passwords(
    admin: Api, env: str
) -> None:
    user = await _user(admin, env, identityProvider={"type": "GOOGLE"})
    assert_error(await _set(admin, env, user, FIRST), 400, "REQUEST_FAILED")
    assert_error(await _change(admin, env, user, FIRST), 400, "REQUEST_FAILED")
    response = await admin.post(
        f"/environments/{env}/users",
        json={
            "username": "federated",
            "identityProvider": {"type": "GITHUB"},
            "password": {"value": FIRST},
        },
    )
    assert_error(response, 400, "REQUEST_FAILED")
    listed = await admin.get(
        f"/environments/{env}/users", params={"filter": 'username eq "federated"'}
    )
    assert listed.json()["count"] == 0


async def test_password_bodies_are_validated_and_media_types_enforced(admin: Api, env: str) -> None:
    user = await _user(admin, env)
    path = _path(env, user)
    assert_error(await admin.put(path, json={"value": FIRST}), 415, "INVALID_REQUEST")
    assert_error(await admin.post(path, json={"password": FIRST}), 415, "INVALID_REQUEST")
    assert_error(
        await admin.put(path, json={}, media_type=SET),
        400,
        "INVALID_DATA",
        detail="REQUIRED_VALUE",
        target="value",
    )
    assert_error(
        await admin.put(path, json={"currentPassword": FIRST}, media_type=RESET),
        400,
        "INVALID_DATA",
        detail="REQUIRED_VALUE",
        target="newPassword",
    )
    assert_error(
        await admin.post(path, json={"password": 7}, media_type=CHECK),
        400,
        "INVALID_DATA",
        target="password",
    )


async def test_a_password_of_another_environment_is_not_found(admin: Api, env: str) -> None:
    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(5)}", "type": "SANDBOX", "region": "NA"},
    )
    theirs = await _user(admin, other["id"], password={"value": FIRST})
    assert_error(await admin.get(_path(env, theirs)), 404, "NOT_FOUND")
    assert_error(await _check(admin, env, theirs, FIRST), 404, "NOT_FOUND")
    assert_error(await _set(admin, env, theirs, SECOND), 404, "NOT_FOUND")
