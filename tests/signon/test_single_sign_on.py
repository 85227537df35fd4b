"""Sessions and single sign-on: /as/resume sets the ST cookie; a later authorization request whose
policy the session satisfies completes at once; prompt and max_age; the session's limits."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gatehouse.common import clock
from gatehouse.sessions.models import Session
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api

pytestmark = pytest.mark.anyio

RECENT_PASSWORD = {
    "type": "LOGIN",
    "condition": {
        "secondsSince": "${session.lastSignOn.withAuthenticator.pwd.at}",
        "greater": 3600,
    },
}


async def sso_app(admin: Api, env: str) -> support.Client:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [RECENT_PASSWORD])
    return client


async def claims(admin: Api, env: str, client: support.Client, code: str) -> dict[str, Any]:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    tokens = (await support.exchange(admin.client, env, client, code)).json()
    keys = KeySet.import_key_set((await admin.client.get(f"/{env}/as/jwks")).json())
    return dict(jwt.decode(tokens["id_token"], keys).claims)


async def test_the_session_signs_on_again_without_a_page(app: Any, admin: Api, env: str) -> None:
    client = await sso_app(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        first = await browser.code_for(client, person["username"])
        cookie = browser.http.cookies.get("ST", path=f"/{env}")
        again = await browser.authorize(client, state="second")
        assert again.status_code == 302
        params = support.query_of(again.headers["location"])
        assert again.headers["location"].startswith(support.REDIRECT_URI)
        assert params["code"] and params["state"] == "second"
        assert browser.http.cookies.get("ST", path=f"/{env}") == cookie
    one = await claims(admin, env, client, first["code"])
    two = await claims(admin, env, client, params["code"])
    assert one["sid"] == two["sid"] and one["auth_time"] == two["auth_time"]
    assert two["sub"] == person["id"] and two["amr"] == ["pwd"] and two["acr"].startswith("policy_")
    async with app.state.runtime.sessions() as session:
        row = await session.get(Session, uuid.UUID(one["sid"]))
    assert row is not None and row.authenticators.keys() == {"pwd"}
    assert row.token_digest == app.state.runtime.sealer.digest(cookie)


async def test_the_session_is_bound_to_its_environment_path(app: Any, admin: Api, env: str) -> None:
    client = await sso_app(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        await browser.code_for(client, person["username"])
        cookies = [c for c in browser.http.cookies.jar if c.name == "ST"]
    assert len(cookies) == 1 and cookies[0].path == f"/{env}"
    assert cookies[0].has_nonstandard_attr("HttpOnly")


async def test_an_old_password_sign_on_asks_again(app: Any, admin: Api, env: str) -> None:
    client = await sso_app(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        await browser.code_for(client, person["username"])
        clock.advance(3601)
        again = await browser.authorize(client)
        assert "/signon/" in again.headers["location"]
        flow_id = support.query_of(again.headers["location"])["flowId"]
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "PASSWORD_REQUIRED"
        assert flow["_embedded"]["user"]["id"] == person["id"]


async def test_prompt_login_and_max_age_force_a_new_sign_on(app: Any, admin: Api, env: str) -> None:
    client = await sso_app(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        first = await browser.code_for(client, person["username"])
        one = await claims(admin, env, client, first["code"])  # before the code expires
        forced = await browser.authorize(client, prompt="login")
        assert "/signon/" in forced.headers["location"]
        flow = (await browser.flow(support.query_of(forced.headers["location"])["flowId"])).json()
        assert flow["status"] == "USERNAME_PASSWORD_REQUIRED" and "session" not in flow
        clock.advance(120)
        aged = await browser.authorize(client, max_age="60")
        assert "/signon/" in aged.headers["location"]
        fresh = await browser.authorize(client, max_age="600")
        assert fresh.headers["location"].startswith(support.REDIRECT_URI)
        # signing on again keeps the session, with a newer auth_time and a new cookie value
        cookie = browser.http.cookies.get("ST", path=f"/{env}")
        second = await browser.code_for(client, person["username"], prompt="login")
        assert browser.http.cookies.get("ST", path=f"/{env}") != cookie
    two = await claims(admin, env, client, second["code"])
    assert one["sid"] == two["sid"] and two["auth_time"] > one["auth_time"]


async def test_prompt_none_answers_without_a_page(app: Any, admin: Api, env: str) -> None:
    client = await sso_app(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        nobody = await browser.authorize(client, prompt="none")
        params = support.query_of(nobody.headers["location"])
        assert params["error"] == "login_required" and params["state"] == "xyz"
        await browser.code_for(client, person["username"])
        silent = await browser.authorize(client, prompt="none")
        assert support.query_of(silent.headers["location"])["code"]
        clock.advance(3601)
        stale = await browser.authorize(client, prompt="none")
        assert support.query_of(stale.headers["location"])["error"] == "login_required"


async def test_prompt_none_with_a_question_left_is_interaction_required(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            RECENT_PASSWORD,
            {
                "type": "PROGRESSIVE_PROFILING",
                "attributes": [{"name": "nickname", "required": True}],
                "preventMultiplePromptsPerFlow": False,
                "promptIntervalSeconds": 60,
                "promptText": "Nickname?",
            },
        ],
    )
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        await browser.sign_on(flow_id, person["username"])
        await browser.act(flow_id, "user.update", {"nickname": "Pat"})
        assert (await browser.resume(flow_id)).status_code == 302
        await admin.patch(f"/environments/{env}/users/{person['id']}", json={"nickname": None})
        silent = await browser.authorize(client, prompt="none")
    assert support.query_of(silent.headers["location"])["error"] == "interaction_required"


async def test_a_session_ends_after_its_idle_time_and_for_a_disabled_user(
    app: Any, admin: Api, env: str
) -> None:
    client = await sso_app(admin, env)
    person = await support.user(admin, env)
    idle = app.state.runtime.settings.session_idle_seconds
    async with Browser(app, env) as browser:
        await browser.code_for(client, person["username"])
        clock.advance(idle + 1)
        assert "/signon/" in (await browser.authorize(client)).headers["location"]
    clock.reset()
    async with Browser(app, env) as browser:
        await browser.code_for(client, person["username"])
        await admin.put(
            f"/environments/{env}/users/{person['id']}/enabled", json={"enabled": False}
        )
        assert "/signon/" in (await browser.authorize(client)).headers["location"]


async def test_a_session_of_another_user_is_replaced(app: Any, admin: Api, env: str) -> None:
    client = await sso_app(admin, env)
    first = await support.user(admin, env)
    second = await support.user(admin, env)
    async with Browser(app, env) as browser:
        one = await browser.code_for(client, first["username"])
        two = await browser.code_for(client, second["username"], prompt="login")
    a = await claims(admin, env, client, one["code"])
    b = await claims(admin, env, client, two["code"])
    assert a["sid"] != b["sid"] and b["sub"] == second["id"]
    async with app.state.runtime.sessions() as session:
        old = await session.get(Session, uuid.UUID(a["sid"]))
    assert old is not None and old.revoked_at is not None


async def test_acr_values_choose_among_the_assigned_policies(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    first = await support.policy(admin, env, [support.LOGIN], name="Passwords")
    second = await support.policy(
        admin, env, [{"type": "IDENTIFIER_FIRST"}], name="Identifier_First"
    )
    await support.assign(admin, env, client.id, first["id"], priority=1)
    await support.assign(admin, env, client.id, second["id"], priority=2)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        by_priority = await browser.start(client)
        assert (await browser.flow(by_priority)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
        chosen = await browser.start(client, acr_values="Unassigned Identifier_First Passwords")
        assert (await browser.flow(chosen)).json()["status"] == "SIGN_ON_REQUIRED"
        await browser.act(chosen, "user.lookup", {"username": person["username"]})
        await browser.act(chosen, "usernamePassword.check", {"password": support.PASSWORD})
        resumed = await browser.resume(chosen)
        code = support.query_of(resumed.headers["location"])["code"]
    assert (await claims(admin, env, client, code))["acr"] == "Identifier_First"


async def test_the_default_policy_signs_on_once_per_eight_hours(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)  # no assignment: Single_Factor applies
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        await browser.code_for(client, person["username"])
        again = await browser.authorize(client)
        assert again.status_code == 302
        assert again.headers["location"].startswith(support.REDIRECT_URI)
        assert "code" in support.query_of(again.headers["location"])
        clock.advance(28801)
        later = await browser.authorize(client)
        assert "/signon/" in later.headers["location"]
