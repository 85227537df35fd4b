"""Seed 003's MFA sign-on use cases, each following its numbered steps over HTTP against a real
`gatehouse serve` on loopback, with the worker token from `bootstrap`: "Use LOGIN and MFA Actions
to Authenticate Users" (all 20 steps, an SMS device whose passcode is read from the outbox), "Use
Two MFA Actions to Authenticate Users" and "Configure a passwordless sign-on policy"."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.support import (
    PASSWORD,
    act,
    authorize,
    browser,
    code_tokens,
    created,
    grant,
    issuer_of,
    oidc_application,
    ok,
    passcode,
    policy_for,
    query_of,
    resume,
    scopes_of,
    suffix,
    verified_claims,
)
from tests.support.server import Server

pytestmark = pytest.mark.e2e

MFA_CONDITION = {"secondsSince": "${session.lastSignOn.withAuthenticator.mfa.at}", "greater": 60}


def web_app(api: httpx.Client) -> dict[str, Any]:
    """Steps 1-4: a web application with the openid and profile scopes granted."""
    app = oidc_application(api, f"MfaApp-{suffix()}")
    resource_id, scope_ids = scopes_of(api, "openid", "openid", "profile")
    grant(api, app["id"], resource_id, scope_ids)
    return app


def mfa_user(api: httpx.Client, *, password: bool = True) -> dict[str, Any]:
    name = f"mfauser_{suffix()}"
    population = created(api.post("/populations", json={"name": f"MFA users {suffix()}"}))
    user = created(
        api.post(
            "/users",
            json={
                "username": name,
                "email": f"{name}@example.com",
                "population": {"id": population["id"]},
            },
        )
    )
    if password:
        ok(
            api.post(
                f"/users/{user['id']}/password",
                json={"value": PASSWORD, "forceChange": False},
                headers={"Content-Type": "application/vnd.pingidentity.password.set+json"},
            )
        )
    # PingOne's API sets mfaEnabled with PUT (the seed's text says POST)
    enabled = api.put(f"/users/{user['id']}/mfaEnabled", json={"mfaEnabled": True})
    assert enabled.status_code == 200, enabled.text
    return user


def tokens_for(server: Server, api: httpx.Client, app_id: str, code: str) -> dict[str, Any]:
    secret = ok(api.get(f"/applications/{app_id}/secret"))["secret"]
    return code_tokens(issuer_of(server), (app_id, secret), code)


def amr_of(server: Server, id_token: str) -> set[str]:
    return set(verified_claims(issuer_of(server), id_token)["amr"])


def test_login_and_mfa_actions(api: httpx.Client, server: Server) -> None:
    # Steps 1-4: the application, the resources and scopes, the grant
    app = web_app(api)
    # Steps 5-8: the policy, its LOGIN and MFA actions, the assignment
    policy_for(
        api,
        app["id"],
        "MFA",
        {"type": "LOGIN"},
        {
            "type": "MULTI_FACTOR_AUTHENTICATION",
            "noDevicesMode": "BLOCK",
            "sms": {"enabled": True},
            "condition": MFA_CONDITION,
        },
    )
    # Steps 9-12: a population, the user, their password, MFA enabled
    user = mfa_user(api)
    # Step 13: the user's SMS device
    device = created(
        api.post(
            f"/users/{user['id']}/devices",
            json={"type": "SMS", "phone": "+14155552671", "status": "ACTIVE"},
        )
    )
    assert device["status"] == "ACTIVE"
    with browser(server) as agent:
        # Step 14: the authorization request; Step 15: the flow
        flow_id = authorize(agent, app["id"], "openid profile", state="mfa")
        assert ok(agent.get(f"/flows/{flow_id}"))["status"] == "USERNAME_PASSWORD_REQUIRED"
        # Step 16: the login credentials
        flow = ok(
            act(
                agent,
                flow_id,
                "usernamePassword.check",
                {"username": user["username"], "password": PASSWORD},
            )
        )
        assert flow["status"] == "OTP_REQUIRED"
        assert flow["_embedded"]["selectedDevice"]["id"] == device["id"]
        assert "otp.check" in flow["_links"]
        # Step 17: the passcode
        done = ok(act(agent, flow_id, "otp.check", {"otp": passcode(api, "+14155552671")}))
        assert done["status"] == "COMPLETED"
        # Step 18: resume
        params = query_of(resume(agent, flow_id))
        assert params["state"] == "mfa"
    # Steps 19-20: the secret and the token request
    tokens = tokens_for(server, api, app["id"], params["code"])
    assert tokens["token_type"] == "Bearer" and tokens["access_token"]
    assert amr_of(server, tokens["id_token"]) == {"pwd", "mfa", "sms"}


def test_two_mfa_actions(api: httpx.Client, server: Server) -> None:
    app = web_app(api)
    policy_for(
        api,
        app["id"],
        "MFA",
        {"type": "LOGIN"},
        {"type": "MULTI_FACTOR_AUTHENTICATION", "noDevicesMode": "BLOCK", "sms": {"enabled": True}},
        {
            "type": "MULTI_FACTOR_AUTHENTICATION",
            "noDevicesMode": "BLOCK",
            "email": {"enabled": True},
        },
    )
    user = mfa_user(api)
    created(
        api.post(
            f"/users/{user['id']}/devices",
            json={"type": "SMS", "phone": "+14155552672", "status": "ACTIVE"},
        )
    )
    created(
        api.post(
            f"/users/{user['id']}/devices",
            json={"type": "EMAIL", "email": user["email"], "status": "ACTIVE"},
        )
    )
    with browser(server) as agent:
        flow_id = authorize(agent, app["id"], "openid profile", state="mfa")
        flow = ok(
            act(
                agent,
                flow_id,
                "usernamePassword.check",
                {"username": user["username"], "password": PASSWORD},
            )
        )
        assert flow["_embedded"]["selectedDevice"]["type"] == "SMS"
        flow = ok(act(agent, flow_id, "otp.check", {"otp": passcode(api, "+14155552672")}))
        assert flow["status"] == "OTP_REQUIRED"
        assert flow["_embedded"]["selectedDevice"]["type"] == "EMAIL"
        done = ok(act(agent, flow_id, "otp.check", {"otp": passcode(api, user["email"])}))
        assert done["status"] == "COMPLETED"
        code = query_of(resume(agent, flow_id))["code"]
    tokens = tokens_for(server, api, app["id"], code)
    assert amr_of(server, tokens["id_token"]) == {"pwd", "mfa", "sms", "otp"}


def test_passwordless_policy(api: httpx.Client, server: Server) -> None:
    # Step 1: the application; Steps 2-4: the policy, its MFA action, the assignment
    app = web_app(api)
    policy_for(
        api,
        app["id"],
        "MFA",
        {"type": "MULTI_FACTOR_AUTHENTICATION", "noDevicesMode": "BLOCK"},
    )
    user = mfa_user(api, password=False)
    created(
        api.post(
            f"/users/{user['id']}/devices",
            json={"type": "EMAIL", "email": user["email"], "status": "ACTIVE"},
        )
    )
    with browser(server) as agent:
        # Step 5: test authentication: no password is asked for
        flow_id = authorize(agent, app["id"], "openid profile", state="mfa")
        assert ok(agent.get(f"/flows/{flow_id}"))["status"] == "SIGN_ON_REQUIRED"
        flow = ok(act(agent, flow_id, "user.lookup", {"username": user["username"]}))
        assert flow["status"] == "OTP_REQUIRED"
        done = ok(act(agent, flow_id, "otp.check", {"otp": passcode(api, user["email"])}))
        assert done["status"] == "COMPLETED"
        code = query_of(resume(agent, flow_id))["code"]
    tokens = tokens_for(server, api, app["id"], code)
    assert amr_of(server, tokens["id_token"]) == {"mfa", "otp"}
