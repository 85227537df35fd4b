"""response_mode=pi.flow: no redirects; /as/authorize answers with the flow JSON, /as/resume with
`authorizeResponse`; redirect_uri is optional."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def test_pi_flow_signs_on_without_redirects(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        started = await browser.authorize(client, response_mode="pi.flow", redirect_uri=None)
        assert started.status_code == 200, started.text
        assert "GH-INTERACTION=" in started.headers["set-cookie"]
        flow = started.json()
        assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
        assert "usernamePassword.check" in flow["_links"]
        done = await browser.sign_on(flow["id"], person["username"])
        assert done["status"] == "COMPLETED"
        resumed = await browser.resume(flow["id"])
        assert resumed.status_code == 200, resumed.text
        body = resumed.json()
        assert body["status"] == "COMPLETED" and body["id"] == flow["id"]
        assert body["authorizeResponse"]["code"] and body["authorizeResponse"]["state"] == "xyz"
        assert body["session"]["id"]
        assert any(c.startswith("ST=") for c in resumed.headers.get_list("set-cookie"))
        assert_error(await browser.resume(flow["id"]), 404, "NOT_FOUND")
    # a code issued without a redirect_uri is redeemed without one
    tokens = await admin.client.post(
        f"/{env}/as/token",
        data={"grant_type": "authorization_code", "code": body["authorizeResponse"]["code"]},
        auth=(client.id, client.secret or ""),
    )
    assert tokens.status_code == 200, tokens.text


async def test_pi_flow_errors_are_json(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env, scopes=("openid",))
    async with Browser(app, env) as browser:
        response = await browser.authorize(
            client, response_mode="pi.flow", redirect_uri=None, scope="openid email"
        )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": response.json()["error_description"],
        "state": "xyz",
    }


async def test_pi_flow_with_a_session_is_completed_at_once(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            {
                "type": "LOGIN",
                "condition": {
                    "secondsSince": "${session.lastSignOn.withAuthenticator.pwd.at}",
                    "greater": 3600,
                },
            }
        ],
    )
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        await browser.code_for(client, person["username"])
        started = await browser.authorize(client, response_mode="pi.flow")
        flow = started.json()
        assert flow["status"] == "COMPLETED" and flow["session"]["id"]
        resumed = (await browser.resume(flow["id"])).json()
    assert resumed["authorizeResponse"]["code"]
    assert resumed["session"]["id"] == flow["session"]["id"]
