"""Seed 003, "Use LOGIN and MFA Actions to Authenticate Users", steps 14-18, for a user without
MFA devices: noDevicesMode BLOCK fails the flow clearly (NO_USABLE_DEVICES), BYPASS skips the
action; action conditions skip actions; actions Gatehouse cannot run yet fail the flow. (MFA with
devices: test_mfa_flows.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api

pytestmark = pytest.mark.anyio


def mfa(mode: str) -> dict[str, Any]:
    return {
        "type": "MULTI_FACTOR_AUTHENTICATION",
        "noDevicesMode": mode,
        "sms": {"enabled": True},
        "condition": {
            "secondsSince": "${session.lastSignOn.withAuthenticator.mfa.at}",
            "greater": 60,
        },
    }


async def test_login_then_mfa_blocks_with_a_clear_failure(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa("BLOCK")])
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        # Step 14: authorize; Step 15: the flow; Step 16: the login credentials
        flow_id = await browser.start(client)
        assert (await browser.flow(flow_id)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
        failed = await browser.sign_on(flow_id, person["username"])
        assert failed["status"] == "FAILED"
        assert failed["error"]["code"] == "NO_USABLE_DEVICES"
        assert "no usable MFA device" in failed["error"]["message"]
        assert set(failed["_links"]) == {"self"}
        # Step 18: resume answers the client with access_denied, and nothing is issued
        resumed = await browser.resume(flow_id)
        assert resumed.status_code == 302
        params = support.query_of(resumed.headers["location"])
        assert params["error"] == "access_denied" and params["state"] == "xyz"
        assert "code" not in params
        assert (await browser.resume(flow_id)).status_code == 404


async def test_login_then_mfa_bypass_completes(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa("BYPASS")])
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        params = await browser.code_for(client, person["username"])
    assert params["code"] and params["state"] == "xyz"


async def test_an_action_whose_condition_does_not_hold_is_skipped(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            support.LOGIN,
            {
                **mfa("BLOCK"),
                "condition": {
                    "ipRange": ["10.0.0.0/8"],
                    "contains": "${flow.request.http.remoteIp}",
                },
            },
            {
                **mfa("BLOCK"),
                "condition": {
                    "value": "${user.population.id}",
                    "equals": "00000000-0000-0000-0000-000000000000",
                },
            },
        ],
    )
    async with Browser(app, env) as browser:
        params = await browser.code_for(client, person["username"])
    assert params["code"]


async def test_an_action_type_not_served_yet_fails_the_flow(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin,
        env,
        client.id,
        [
            support.LOGIN,
            {"type": "AGREEMENT", "agreement": {"id": "3b6bd2f6-1e8f-4b7e-9c0e-5b0b4b1f3a01"}},
        ],
    )
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        failed = await browser.sign_on(flow_id, person["username"])
    assert failed["status"] == "FAILED" and failed["error"]["code"] == "ACTION_NOT_AVAILABLE"


async def test_a_policy_that_identifies_nobody_fails(app: Any, admin: Api, env: str) -> None:
    # (an MFA action alone asks for the identifier now: passwordless, tests/flows/test_mfa_flows)
    client = await support.application(admin, env)
    profiling = {
        "type": "PROGRESSIVE_PROFILING",
        "attributes": [{"name": "email", "required": True}],
        "preventMultiplePromptsPerFlow": True,
        "promptIntervalSeconds": 60,
        "promptText": "More about you",
    }
    await support.policy_for(admin, env, client.id, [profiling])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
    assert flow["status"] == "FAILED" and flow["error"]["code"] == "USER_NOT_IDENTIFIED"


async def test_a_policy_changed_under_a_flow_fails_it(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    created = await support.policy_for(admin, env, client.id, [support.LOGIN])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        actions = (
            await admin.get(f"/environments/{env}/signOnPolicies/{created['id']}/actions")
        ).json()
        action_id = actions["_embedded"]["actions"][0]["id"]
        deleted = await admin.delete(
            f"/environments/{env}/signOnPolicies/{created['id']}/actions/{action_id}"
        )
        assert deleted.status_code == 204
        flow = (await browser.flow(flow_id)).json()
    assert flow["status"] == "FAILED" and flow["error"]["code"] == "POLICY_CHANGED"
