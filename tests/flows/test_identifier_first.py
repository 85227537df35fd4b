"""The IDENTIFIER_FIRST action: SIGN_ON_REQUIRED asks for the identifier (user.lookup), then
PASSWORD_REQUIRED for the password; an unknown identifier looks the same until the password."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def test_the_identifier_then_the_password(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    await support.policy_for(
        admin, env, client.id, [{"type": "IDENTIFIER_FIRST", "recovery": {"enabled": True}}]
    )
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "SIGN_ON_REQUIRED"
        assert set(flow["_links"]) == {"self", "user.lookup", "password.forgot", "session.reset"}
        looked_up = await browser.act(flow_id, "user.lookup", {"username": person["username"]})
        flow = looked_up.json()
        assert flow["status"] == "PASSWORD_REQUIRED"
        assert flow["_embedded"]["user"] == {"username": person["username"]}
        assert set(flow["_links"]) == {
            "self",
            "usernamePassword.check",
            "password.forgot",
            "session.reset",
        }
        done = await browser.act(flow_id, "usernamePassword.check", {"password": support.PASSWORD})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "COMPLETED"
        assert done.json()["_embedded"]["user"]["id"] == person["id"]


async def test_an_unknown_identifier_is_not_revealed_by_the_lookup(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    await support.policy_for(admin, env, client.id, [{"type": "IDENTIFIER_FIRST"}])
    async with Browser(app, env) as browser:
        known_flow = await browser.start(client)
        known = (
            await browser.act(known_flow, "user.lookup", {"username": person["username"]})
        ).json()
        unknown_flow = await browser.start(client)
        unknown = (await browser.act(unknown_flow, "user.lookup", {"username": "ghost"})).json()
        assert unknown["status"] == known["status"] == "PASSWORD_REQUIRED"
        assert sorted(unknown["_links"]) == sorted(known["_links"])
        assert unknown["_embedded"]["user"] == {"username": "ghost"}
        refused = await browser.act(
            unknown_flow, "usernamePassword.check", {"password": "Whatever-1!"}
        )
        assert_error(refused, 400, "INVALID_DATA", detail="INVALID_CREDENTIALS")


async def test_the_login_hint_prefills_the_username(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client, login_hint="hinted.user")
        flow = (await browser.flow(flow_id)).json()
    assert flow["_embedded"]["user"] == {"username": "hinted.user"}
