"""Password recovery in the LOGIN action: password.forgot e-mails a recovery code, password.recover
sets the new password and signs on; nothing tells whether a username exists."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def test_a_forgotten_password_is_recovered_with_the_emailed_code(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        forgot = await browser.act(flow_id, "password.forgot", {"username": person["username"]})
        assert forgot.status_code == 200, forgot.text
        flow = forgot.json()
        assert flow["status"] == "RECOVERY_CODE_REQUIRED"
        assert set(flow["_links"]) == {
            "self",
            "password.recover",
            "password.sendRecoveryCode",
            "session.reset",
        }
        assert "user" not in flow.get("_embedded", {}) and "passwordPolicy" in flow["_embedded"]
        code = await support.last_code(app, env, person["email"], "recovery_code")
        wrong = await browser.act(
            flow_id,
            "password.recover",
            {"recoveryCode": "WRONG000", "newPassword": support.NEW_PASSWORD},
        )
        assert_error(wrong, 400, "INVALID_DATA", target="recoveryCode")
        weak = await browser.act(
            flow_id, "password.recover", {"recoveryCode": code, "newPassword": "short"}
        )
        body = assert_error(weak, 400, "INVALID_DATA", target="password")
        assert body["details"][0]["innerError"]["unsatisfiedRequirements"]
        recovered = await browser.act(
            flow_id, "password.recover", {"recoveryCode": code, "newPassword": support.NEW_PASSWORD}
        )
        assert recovered.status_code == 200, recovered.text
        assert recovered.json()["status"] == "COMPLETED"
        assert recovered.json()["_embedded"]["user"]["id"] == person["id"]
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        refused = await browser.act(
            flow_id,
            "usernamePassword.check",
            {"username": person["username"], "password": support.PASSWORD},
        )
        assert_error(refused, 400, "INVALID_DATA", detail="INVALID_CREDENTIALS")
        assert (await browser.sign_on(flow_id, person["username"], support.NEW_PASSWORD))[
            "status"
        ] == "COMPLETED"


async def test_an_unknown_username_answers_the_same_and_sends_nothing(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        known_flow = await browser.start(client)
        known = (
            await browser.act(known_flow, "password.forgot", {"username": person["username"]})
        ).json()
        unknown_flow = await browser.start(client)
        unknown = await browser.act(unknown_flow, "password.forgot", {"username": "nobody-here"})
        assert unknown.status_code == 200
        unknown_body = unknown.json()

        def shape(flow: dict[str, Any]) -> tuple[Any, ...]:
            return (flow["status"], sorted(flow["_links"]), flow.get("_embedded"))

        assert shape(unknown_body) == shape(known)
        resent = await browser.act(unknown_flow, "password.sendRecoveryCode")
        assert resent.status_code == 200 and resent.json()["status"] == "RECOVERY_CODE_REQUIRED"
        guess = await browser.act(
            unknown_flow,
            "password.recover",
            {"recoveryCode": "ABCDEFGH", "newPassword": support.NEW_PASSWORD},
        )
        assert_error(guess, 400, "INVALID_DATA", target="recoveryCode")
    # only the known user got a message
    assert len(await support.outbox(app, env, person["email"])) == 1


async def test_a_recovery_code_can_be_sent_again_and_only_the_last_counts(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        await browser.act(flow_id, "password.forgot", {"username": person["username"]})
        first = await support.last_code(app, env, person["email"], "recovery_code")
        resent = await browser.http.post(
            f"/{env}/flows/{flow_id}",
            headers={"Content-Type": "application/vnd.pingidentity.password.sendRecoveryCode"},
        )
        assert resent.status_code == 200, resent.text
        second = await support.last_code(app, env, person["email"], "recovery_code")
        assert len(await support.outbox(app, env, person["email"])) == 2
        if first != second:
            stale = await browser.act(
                flow_id,
                "password.recover",
                {"recoveryCode": first, "newPassword": support.NEW_PASSWORD},
            )
            assert_error(stale, 400, "INVALID_DATA", target="recoveryCode")
        done = await browser.act(
            flow_id,
            "password.recover",
            {"recoveryCode": second, "newPassword": support.NEW_PASSWORD},
        )
        assert done.json()["status"] == "COMPLETED", done.text


async def test_recovery_is_offered_only_when_the_action_enables_it(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin, env, client.id, [{"type": "LOGIN", "recovery": {"enabled": False}}]
    )
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
        assert "password.forgot" not in flow["_links"]
        refused = await browser.act(flow_id, "password.forgot", {"username": "anyone"})
        assert_error(refused, 400, "INVALID_REQUEST")


async def test_a_disabled_user_cannot_recover(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    await admin.put(f"/environments/{env}/users/{person['id']}/enabled", json={"enabled": False})
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        forgot = await browser.act(flow_id, "password.forgot", {"username": person["username"]})
        assert forgot.json()["status"] == "RECOVERY_CODE_REQUIRED"
    assert await support.outbox(app, env, person["email"]) == []
