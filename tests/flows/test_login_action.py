"""The LOGIN action: usernamePassword.check, errors that never tell whether a user exists, the
lockout, unusable accounts, passwords that must change, and the last sign-on."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.common import clock
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

RESET = "application/vnd.pingidentity.password.reset+json"


async def test_wrong_passwords_and_unknown_users_get_the_same_answer(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    without_password = await support.user(admin, env, password=None)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        answers = []
        for username, password in (
            (person["username"], "Wrong-Passw0rd!"),
            ("nobody-at-all", "Wrong-Passw0rd!"),
            (without_password["username"], "Wrong-Passw0rd!"),
        ):
            response = await browser.act(
                flow_id, "usernamePassword.check", {"username": username, "password": password}
            )
            body = assert_error(response, 400, "INVALID_DATA", detail="INVALID_CREDENTIALS")
            answers.append(
                [(d["code"], d["message"], d.get("innerError")) for d in body["details"]]
            )
        assert answers[0] == answers[1] == answers[2]
        assert answers[0][0][2] is None  # never failuresRemaining
        assert (await browser.flow(flow_id)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
        # usernames compare case-insensitively
        done = await browser.sign_on(flow_id, person["username"].upper())
        assert done["status"] == "COMPLETED"


async def test_failures_lock_the_password_and_say_for_how_long(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    policies = (await admin.get(f"/environments/{env}/passwordPolicies")).json()
    default = next(p for p in policies["_embedded"]["passwordPolicies"] if p["default"])
    failures = default["lockout"]["failureCount"]
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        for attempt in range(1, failures + 1):
            response = await browser.act(
                flow_id,
                "usernamePassword.check",
                {"username": person["username"], "password": "Wrong-Passw0rd!"},
            )
            # the failure that reaches the policy's count locks the password
            expected = "PASSWORD_LOCKED_OUT" if attempt == failures else "INVALID_CREDENTIALS"
            assert_error(response, 400, "INVALID_DATA", detail=expected)
        locked = await browser.act(
            flow_id,
            "usernamePassword.check",
            {"username": person["username"], "password": support.PASSWORD},
        )
        body = assert_error(locked, 400, "INVALID_DATA", detail="PASSWORD_LOCKED_OUT")
        seconds = body["details"][0]["innerError"]["secondsUntilUnlock"]
        assert 0 < seconds <= default["lockout"]["durationSeconds"]
        clock.advance(seconds + 1)
        flow_id = await browser.start(client)  # the lockout outlived the flow
        assert (await browser.sign_on(flow_id, person["username"]))["status"] == "COMPLETED"


async def test_a_disabled_or_locked_account_is_refused_only_after_its_password(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    disabled = await support.user(admin, env)
    locked = await support.user(admin, env)
    response = await admin.put(
        f"/environments/{env}/users/{disabled['id']}/enabled", json={"enabled": False}
    )
    assert response.status_code == 200, response.text
    response = await admin.post(
        f"/environments/{env}/users/{locked['id']}",
        content=b"{}",
        media_type="application/vnd.pingidentity.account.lock+json",
    )
    assert response.status_code == 200, response.text
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        for person in (disabled, locked):
            wrong = await browser.act(
                flow_id,
                "usernamePassword.check",
                {"username": person["username"], "password": "Wrong-Passw0rd!"},
            )
            assert_error(wrong, 400, "INVALID_DATA", detail="INVALID_CREDENTIALS")
            right = await browser.act(
                flow_id,
                "usernamePassword.check",
                {"username": person["username"], "password": support.PASSWORD},
            )
            assert_error(right, 400, "INVALID_DATA", detail="ACCOUNT_NOT_USABLE")
        assert (await browser.flow(flow_id)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"


async def test_a_password_that_must_change_is_changed_in_the_flow(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env, password=None)
    forced = await admin.put(
        f"/environments/{env}/users/{person['id']}/password",
        json={"value": support.PASSWORD, "forceChange": True},
        media_type=support.PASSWORD_SET,
    )
    assert forced.status_code == 200, forced.text
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = await browser.sign_on(flow_id, person["username"])
        assert flow["status"] == "MUST_CHANGE_PASSWORD"
        assert set(flow["_links"]) == {"self", "password.reset", "session.reset"}
        assert flow["_embedded"]["user"]["id"] == person["id"]
        assert "length" in flow["_embedded"]["passwordPolicy"]
        wrong = await browser.act(
            flow_id,
            "password.reset",
            {"currentPassword": "Wrong-Passw0rd!", "newPassword": support.NEW_PASSWORD},
        )
        assert_error(wrong, 400, "INVALID_DATA", target="currentPassword")
        weak = await browser.act(
            flow_id, "password.reset", {"currentPassword": support.PASSWORD, "newPassword": "short"}
        )
        body = assert_error(weak, 400, "INVALID_DATA", target="password")
        assert body["details"][0]["innerError"]["unsatisfiedRequirements"]
        assert (await browser.flow(flow_id)).json()["status"] == "MUST_CHANGE_PASSWORD"
        changed = await browser.act(
            flow_id,
            "password.reset",
            {"currentPassword": support.PASSWORD, "newPassword": support.NEW_PASSWORD},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["status"] == "COMPLETED"
    state = (await admin.get(f"/environments/{env}/users/{person['id']}/password")).json()
    assert state["status"] == "OK"


async def test_an_expired_password_is_changed_in_the_flow(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    policies = (await admin.get(f"/environments/{env}/passwordPolicies")).json()
    default = next(p for p in policies["_embedded"]["passwordPolicies"] if p["default"])
    clock.advance(default["maxAgeDays"] * 86400 + 60)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        assert (await browser.sign_on(flow_id, person["username"]))["status"] == "PASSWORD_EXPIRED"
        changed = await browser.act(
            flow_id,
            "password.reset",
            {"currentPassword": support.PASSWORD, "newPassword": support.NEW_PASSWORD},
        )
        assert changed.json()["status"] == "COMPLETED", changed.text


async def test_the_last_sign_on_is_recorded(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    assert "lastSignOn" not in person
    async with Browser(app, env) as browser:
        await browser.code_for(client, person["username"])
    read = (await admin.get(f"/environments/{env}/users/{person['id']}")).json()
    assert read["lastSignOn"]["at"] and read["lastSignOn"]["remoteIp"] == "127.0.0.1"


async def test_a_known_user_of_the_browser_session_is_asked_for_the_password_only(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN])
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        await browser.code_for(client, person["username"])
        flow_id = await browser.start(client)  # the LOGIN action has no condition: it runs
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "PASSWORD_REQUIRED"
        assert flow["_embedded"]["user"] == {"id": person["id"], "username": person["username"]}
        assert flow["session"]["id"]
        done = await browser.act(flow_id, "usernamePassword.check", {"password": support.PASSWORD})
        assert done.json()["status"] == "COMPLETED", done.text
