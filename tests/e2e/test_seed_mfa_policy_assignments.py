"""Seed 003's "Assign an MFA sign-on policy to a web application" and "Configure an MFA
Sign-on-Policy with an Authenticator App" (7 steps each), over HTTP against a real `gatehouse
serve` on loopback; then an authorization request shows the policy at work: the user pairs an
authenticator app (TOTP) and signs on with the codes pyotp computes from its secret."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pyotp
import pytest

from tests.e2e.support import (
    REDIRECT_URI,
    act,
    authorize,
    browser,
    created,
    grant,
    oidc_application,
    ok,
    pkce_pair,
    policy_for,
    query_of,
    resume,
    scopes_of,
    suffix,
)
from tests.support.server import Server

pytestmark = pytest.mark.e2e

ACTIVATE = "application/vnd.pingidentity.device.activate+json"


def mfa_policy_for(api: httpx.Client, app_id: str, action: dict[str, Any]) -> dict[str, Any]:
    """Steps 2-7: the resources and OIDC scopes, the grant, the policy, its MFA action, the
    assignment."""
    resource_id, scope_ids = scopes_of(api, "openid", "openid", "profile")
    grant(api, app_id, resource_id, scope_ids)
    return policy_for(api, app_id, "MFA", {"type": "MULTI_FACTOR_AUTHENTICATION", **action})


def test_assign_an_mfa_sign_on_policy_to_a_web_application(
    api: httpx.Client, server: Server
) -> None:
    # Step 1: a web application
    app = oidc_application(api, f"MfaWeb-{suffix()}")
    # Steps 2-7
    policy = mfa_policy_for(api, app["id"], {"noDevicesMode": "BLOCK", "sms": {"enabled": True}})
    assignments = ok(api.get(f"/applications/{app['id']}/signOnPolicyAssignments"))
    assigned = assignments["_embedded"]["signOnPolicyAssignments"]
    assert [item["signOnPolicy"]["id"] for item in assigned] == [policy["id"]]
    # The application's sign-on now runs the MFA policy: it asks who signs on, not a password.
    with browser(server) as agent:
        flow_id = authorize(agent, app["id"])
        flow = ok(agent.get(f"/flows/{flow_id}"))
    assert flow["status"] == "SIGN_ON_REQUIRED" and "user.lookup" in flow["_links"]


def test_mfa_sign_on_policy_with_an_authenticator_app(api: httpx.Client, server: Server) -> None:
    # Step 1: a native application (a public client: PKCE)
    app = oidc_application(
        api, f"MfaNative-{suffix()}", type="NATIVE_APP", tokenEndpointAuthMethod="NONE"
    )
    # Steps 2-7: the MFA action enables the authenticator app only
    mfa_policy_for(
        api,
        app["id"],
        {"noDevicesMode": "BLOCK", "authenticator": {"enabled": True}, "sms": {"enabled": False}},
    )
    # A user pairs an authenticator app: the secret is shown once, the first code activates it.
    name = f"totp_{suffix()}"
    user = created(api.post("/users", json={"username": name, "email": f"{name}@example.com"}))
    ok(api.put(f"/users/{user['id']}/mfaEnabled", json={"mfaEnabled": True}))
    device = created(api.post(f"/users/{user['id']}/devices", json={"type": "TOTP"}))
    assert device["status"] == "ACTIVATION_REQUIRED"
    totp = pyotp.TOTP(device["_embedded"]["secret"]["secret"])
    activated = api.post(
        f"/users/{user['id']}/devices/{device['id']}",
        json={"otp": totp.now()},
        headers={"Content-Type": ACTIVATE},
    )
    assert ok(activated)["status"] == "ACTIVE"
    verifier, challenge = pkce_pair()
    with browser(server) as agent:
        flow_id = authorize(
            agent,
            app["id"],
            "openid profile",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        flow = ok(act(agent, flow_id, "user.lookup", {"username": name}))
        assert flow["status"] == "OTP_REQUIRED"
        assert flow["_embedded"]["selectedDevice"]["type"] == "TOTP"
        # the code of the activation's time step is spent: the next step's code (within the
        # accepted drift) signs on
        done = act(agent, flow_id, "otp.check", {"otp": totp.at(time.time() + 30)})
        assert ok(done)["status"] == "COMPLETED"
        code = query_of(resume(agent, flow_id))["code"]
    issued = ok(
        httpx.post(
            server.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": app["id"],
                "code_verifier": verifier,
            },
        )
    )
    assert issued["token_type"] == "Bearer" and issued["id_token"]
