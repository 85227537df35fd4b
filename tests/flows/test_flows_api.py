"""GET/POST /{envId}/flows/{flowId}: a flow is found only by the browser that started it, while it
lives; actions are chosen by media type and must be offered by the flow's status."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.common import clock
from gatehouse.flows.models import Flow
from gatehouse.oauth.models import AuthorizationCode
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def codes_issued(app: Any, env: str) -> int:
    async with app.state.runtime.sessions() as session:
        return await session.scalar(
            sa.select(sa.func.count())
            .select_from(AuthorizationCode)
            .where(AuthorizationCode.environment_id == uuid.UUID(env))
        )


async def idle_until(app: Any, flow_id: str) -> Any:
    async with app.state.runtime.sessions() as session:
        return await session.scalar(sa.select(Flow.expires_at).where(Flow.id == uuid.UUID(flow_id)))


async def test_an_unknown_flow_is_not_found(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        await browser.start(client)  # the browser has an interaction cookie
        assert_error(await browser.flow(str(uuid.uuid4())), 404, "NOT_FOUND")
        assert_error(await browser.flow("not-a-uuid"), 404, "NOT_FOUND")
        assert_error(
            await browser.act(str(uuid.uuid4()), "usernamePassword.check", {}), 404, "NOT_FOUND"
        )


async def test_a_flow_from_another_browser_is_not_found(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser, Browser(app, env) as other:
        flow_id = await browser.start(client)
        await other.start(client)  # a cookie of its own
        expires = await idle_until(app, flow_id)
        clock.advance(60)
        assert_error(await other.flow(flow_id), 404, "NOT_FOUND")
        refused = await other.act(
            flow_id,
            "usernamePassword.check",
            {"username": person["username"], "password": support.PASSWORD},
        )
        assert_error(refused, 404, "NOT_FOUND")
        assert_error(await other.resume(flow_id), 404, "NOT_FOUND")
        # without any cookie
        other.http.cookies.clear()
        assert_error(await other.flow(flow_id), 404, "NOT_FOUND")
        assert await idle_until(app, flow_id) == expires  # refusals restart no idle time
        assert (await browser.flow(flow_id)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
        assert await idle_until(app, flow_id) > expires
    assert await codes_issued(app, env) == 0


async def test_a_flow_expires_after_its_idle_time(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    idle = app.state.runtime.settings.flow_idle_seconds
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        clock.advance(idle - 60)
        assert (await browser.flow(flow_id)).status_code == 200  # activity restarts the idle time
        clock.advance(idle - 60)
        assert (await browser.flow(flow_id)).status_code == 200
        clock.advance(idle + 1)
        assert_error(await browser.flow(flow_id), 404, "NOT_FOUND")
        refused = await browser.act(
            flow_id,
            "usernamePassword.check",
            {"username": person["username"], "password": support.PASSWORD},
        )
        assert_error(refused, 404, "NOT_FOUND")
    assert await codes_issued(app, env) == 0


async def test_an_action_the_status_does_not_offer_is_an_invalid_request(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        refused = await browser.act(flow_id, "user.verify", {"verificationCode": "ABCDEFGH"})
        assert_error(refused, 400, "INVALID_REQUEST")
        # registration is not enabled by this policy's LOGIN action
        refused = await browser.act(
            flow_id,
            "user.register",
            {"username": "someone", "email": "someone@example.com", "password": "x"},
        )
        assert_error(refused, 400, "INVALID_REQUEST")
        # a PingOne action Gatehouse does not offer yet
        assert_error(
            await browser.act(flow_id, "otp.check", {"otp": "123456"}), 400, "INVALID_REQUEST"
        )
        assert (await browser.flow(flow_id)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"


async def test_an_unknown_media_type_is_unsupported(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        for media_type in (
            "application/json",
            "application/vnd.pingidentity.nothing.here+json",
            "text/plain",
        ):
            response = await browser.http.post(
                f"/{env}/flows/{flow_id}", content=b"{}", headers={"Content-Type": media_type}
            )
            assert_error(response, 415, "INVALID_REQUEST")
        response = await browser.http.post(f"/{env}/flows/{flow_id}", content=b"{}")
        assert_error(response, 415, "INVALID_REQUEST")


async def test_media_types_compare_case_insensitively_and_may_drop_json(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        response = await browser.http.post(
            f"/{env}/flows/{flow_id}",
            json={"username": person["username"], "password": support.PASSWORD},
            headers={
                "Content-Type": "Application/VND.pingidentity.usernamePassword.check+json; charset=utf-8"
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "COMPLETED"


async def test_bad_bodies_are_invalid_data_and_change_nothing(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        assert_error(
            await browser.act(flow_id, "usernamePassword.check", {"username": "x"}),
            400,
            "INVALID_DATA",
            detail="REQUIRED_VALUE",
            target="password",
        )
        assert_error(
            await browser.act(flow_id, "usernamePassword.check", {"password": "x"}),
            400,
            "INVALID_DATA",
            detail="REQUIRED_VALUE",
            target="username",
        )
        assert_error(
            await browser.act(flow_id, "usernamePassword.check", ["not", "an", "object"]),
            400,
            "INVALID_DATA",
        )
        response = await browser.http.post(
            f"/{env}/flows/{flow_id}",
            content=b"{not json",
            headers={"Content-Type": support.FLOW_MEDIA.format("usernamePassword.check")},
        )
        assert_error(response, 400, "INVALID_REQUEST")
        assert (await browser.flow(flow_id)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"


async def test_session_reset_starts_the_policy_again(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        forgot = await browser.act(flow_id, "password.forgot", {"username": person["username"]})
        assert forgot.json()["status"] == "RECOVERY_CODE_REQUIRED"
        reset = await browser.act(flow_id, "session.reset", {})
        assert reset.status_code == 200, reset.text
        assert reset.json()["status"] == "USERNAME_PASSWORD_REQUIRED"
        # the bodiless form works too
        response = await browser.http.post(
            f"/{env}/flows/{flow_id}",
            headers={"Content-Type": "application/vnd.pingidentity.session.reset+json"},
        )
        assert (
            response.status_code == 200
            and response.json()["status"] == "USERNAME_PASSWORD_REQUIRED"
        )
        assert (await browser.sign_on(flow_id, person["username"]))["status"] == "COMPLETED"
        # a completed flow offers nothing more, not even a reset
        assert_error(await browser.act(flow_id, "session.reset", {}), 400, "INVALID_REQUEST")


async def test_flows_live_in_the_database_bound_to_a_digest(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        cookie = browser.http.cookies.get("GH-INTERACTION")
    async with app.state.runtime.sessions() as session:
        flow = await session.get(Flow, uuid.UUID(flow_id))
    assert flow is not None and flow.interaction_digest
    assert cookie and cookie not in flow.interaction_digest
    assert flow.interaction_digest == app.state.runtime.sealer.digest(cookie)
    assert flow.request["client_id"] == client.id and flow.request["state"] == "xyz"


async def test_a_browser_keeps_one_interaction_cookie_for_its_flows(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        first = await browser.start(client)
        cookie = browser.http.cookies.get("GH-INTERACTION")
        second = await browser.start(client, state="other")
        assert browser.http.cookies.get("GH-INTERACTION") == cookie
        assert (await browser.flow(first)).status_code == 200
        assert (await browser.flow(second)).status_code == 200
