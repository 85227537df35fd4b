"""Password recovery through the management API (password.sendRecoveryCode, password.recover):
the code arrives by e-mail (read from the outbox), works once, and five wrong tries spend it; the
same user-level code serves the sign-on flow's recovery. POST also sets passwords, as PingOne's
how-to guides do."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest

from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

SET = "application/vnd.pingidentity.password.set+json"
CHECK = "application/vnd.pingidentity.password.check+json"
SEND = "application/vnd.pingidentity.password.sendRecoveryCode+json"
RECOVER = "application/vnd.pingidentity.password.recover+json"
FIRST = "2FederateM0re!"
SECOND = "Qu!ck-Brown-F0x"


async def _user(admin: Api, env: str, **fields: Any) -> dict[str, Any]:
    body = {
        "username": f"user-{secrets.token_hex(5)}",
        "email": f"{secrets.token_hex(4)}@example.com",
    }
    return await admin.create(f"/environments/{env}/users", {**body, **fields})


def _path(env: str, user: dict[str, Any]) -> str:
    return f"/environments/{env}/users/{user['id']}/password"


async def _send(admin: Api, env: str, user: dict[str, Any]) -> httpx.Response:
    return await admin.post(_path(env, user), media_type=SEND)


async def _recover(
    admin: Api, env: str, user: dict[str, Any], code: str, new: str
) -> httpx.Response:
    return await admin.post(
        _path(env, user), json={"recoveryCode": code, "newPassword": new}, media_type=RECOVER
    )


async def _last_code(admin: Api, env: str, user: dict[str, Any]) -> str:
    page = await admin.get(f"/environments/{env}/outbox", params={"recipient": user["email"]})
    assert page.status_code == 200, page.text
    messages = [m for m in page.json()["_embedded"]["messages"] if m["template"] == "recovery_code"]
    assert messages, page.text
    body = messages[0]["body"]
    return next(
        word for word in body.split() if len(word) == 8 and word.isalnum() and word.isupper()
    )


async def test_post_sets_a_password_as_put_does(admin: Api, env: str) -> None:
    user = await _user(admin, env)
    response = await admin.post(_path(env, user), json={"value": FIRST}, media_type=SET)
    assert response.status_code == 200 and response.json()["status"] == "OK"
    check = await admin.post(_path(env, user), json={"password": FIRST}, media_type=CHECK)
    assert check.status_code == 200


async def test_a_recovery_code_sets_a_new_password_once(admin: Api, env: str) -> None:
    user = await _user(admin, env)
    await admin.put(_path(env, user), json={"value": FIRST}, media_type=SET)
    assert (await _send(admin, env, user)).status_code == 200
    code = await _last_code(admin, env, user)
    recovered = await _recover(admin, env, user, code.lower(), SECOND)
    assert recovered.status_code == 200, recovered.text
    check = await admin.post(_path(env, user), json={"password": SECOND}, media_type=CHECK)
    assert check.status_code == 200
    again = await _recover(admin, env, user, code, FIRST)
    assert_error(again, 400, "INVALID_DATA", detail="INVALID_VALUE", target="recoveryCode")


async def test_five_wrong_codes_spend_the_code(admin: Api, env: str) -> None:
    user = await _user(admin, env)
    await admin.put(_path(env, user), json={"value": FIRST}, media_type=SET)
    await _send(admin, env, user)
    code = await _last_code(admin, env, user)
    for _ in range(5):
        wrong = await _recover(admin, env, user, "ZZZZZZZZ", SECOND)
        assert_error(wrong, 400, "INVALID_DATA", target="recoveryCode")
    assert "Maximum" in wrong.json()["details"][0]["message"]
    spent = await _recover(admin, env, user, code, SECOND)
    assert_error(spent, 400, "INVALID_DATA", target="recoveryCode")


async def test_a_new_code_replaces_the_old_one(admin: Api, env: str) -> None:
    user = await _user(admin, env)
    await admin.put(_path(env, user), json={"value": FIRST}, media_type=SET)
    await _send(admin, env, user)
    old = await _last_code(admin, env, user)
    await _send(admin, env, user)
    new = await _last_code(admin, env, user)
    assert old != new
    assert_error(await _recover(admin, env, user, old, SECOND), 400, "INVALID_DATA")
    assert (await _recover(admin, env, user, new, SECOND)).status_code == 200


async def test_the_new_password_must_satisfy_the_policy_and_the_code_survives(
    admin: Api, env: str
) -> None:
    user = await _user(admin, env)
    await admin.put(_path(env, user), json={"value": FIRST}, media_type=SET)
    await _send(admin, env, user)
    code = await _last_code(admin, env, user)
    weak = await _recover(admin, env, user, code, "short")
    assert_error(weak, 400, "INVALID_DATA", target="password")
    assert (await _recover(admin, env, user, code, SECOND)).status_code == 200


async def test_users_who_cannot_recover_get_no_code(admin: Api, env: str) -> None:
    without_password = await _user(admin, env)
    assert_error(await _send(admin, env, without_password), 400, "REQUEST_FAILED")
    without_email = await admin.create(
        f"/environments/{env}/users", {"username": f"u-{secrets.token_hex(4)}"}
    )
    await admin.put(_path(env, without_email), json={"value": FIRST}, media_type=SET)
    assert_error(await _send(admin, env, without_email), 400, "REQUEST_FAILED")
    disabled = await _user(admin, env)
    await admin.put(_path(env, disabled), json={"value": FIRST}, media_type=SET)
    await admin.put(f"/environments/{env}/users/{disabled['id']}/enabled", json={"enabled": False})
    assert_error(await _send(admin, env, disabled), 400, "REQUEST_FAILED")
    nothing = await admin.get(f"/environments/{env}/outbox")
    assert nothing.json()["_embedded"]["messages"] == []
