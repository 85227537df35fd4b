"""Seed 003's "Configure an MFA Only Flow Using a Login Hint Token" (16 steps) and "Create an MFA
Transaction Approval using SMS" (18 steps), each following its numbered steps over HTTP against
a real `gatehouse serve` on loopback, with the worker token from `bootstrap`. The application
signs the login_hint_token and the request object with its secret (HS256); the passcode is read
from the outbox, as a developer reads it."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from tests.e2e.support import (
    PASSCODE,
    REDIRECT_URI,
    act,
    browser,
    code_tokens,
    created,
    flow_id_of,
    grant,
    issuer_of,
    newest_message,
    oidc_application,
    ok,
    policy_for,
    query_of,
    resume,
    scopes_of,
    suffix,
    user_with_password,
    verified_claims,
)
from tests.support.server import Server

pytestmark = pytest.mark.e2e


def signed(secret: str, claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(secret))


def application_with_sms_policy(api: httpx.Client) -> tuple[dict[str, Any], str]:
    """Steps 1-8 of both use cases: the application, its secret, the openid grant, a sign-on
    policy whose only action is SMS MFA, assigned to the application."""
    # Step 1: create a web application
    app = oidc_application(api, f"MfaOnly-{suffix()}")
    # Step 2: get the application secret
    secret = ok(api.get(f"/applications/{app['id']}/secret"))["secret"]
    # Steps 3-5: resources, the OIDC scopes, the grant
    resource_id, scope_ids = scopes_of(api, "openid", "openid", "profile")
    grant(api, app["id"], resource_id, scope_ids)
    # Steps 6-8: the sign-on policy, its SMS MFA action (no LOGIN action: the login_hint_token
    # identifies the user), its assignment to the application
    policy_for(
        api,
        app["id"],
        "MFA_only",
        {"type": "MULTI_FACTOR_AUTHENTICATION", "noDevicesMode": "BLOCK", "sms": {"enabled": True}},
    )
    return app, secret


def user_with_sms_device(api: httpx.Client, phone: str) -> dict[str, Any]:
    """The population, the user, their password, MFA enabled, their SMS device."""
    population = created(api.post("/populations", json={"name": f"MFA users {suffix()}"}))
    user = user_with_password(api, population["id"])
    # PingOne's API sets mfaEnabled with PUT (the seed's text says POST)
    ok(api.put(f"/users/{user['id']}/mfaEnabled", json={"mfaEnabled": True}))
    device = created(
        api.post(
            f"/users/{user['id']}/devices",
            json={"type": "SMS", "phone": phone, "status": "ACTIVE"},
        )
    )
    assert device["status"] == "ACTIVE"
    return user


def login_hint_token(server: Server, app_id: str, secret: str, user_id: str) -> str:
    now = int(time.time())
    return signed(
        secret,
        {"iss": app_id, "aud": issuer_of(server), "iat": now, "exp": now + 300, "sub": user_id},
    )


def test_mfa_only_flow_using_a_login_hint_token(api: httpx.Client, server: Server) -> None:
    phone = "+14155552681"
    app, secret = application_with_sms_policy(api)  # steps 1-8
    user = user_with_sms_device(api, phone)  # steps 9-13
    with browser(server) as agent:
        # Step 14: the authorize request names the user with a login_hint_token
        flow_id = flow_id_of(
            agent.post(
                "/as/authorize",
                data={
                    "client_id": app["id"],
                    "response_type": "code",
                    "redirect_uri": REDIRECT_URI,
                    "scope": "openid profile",
                    "state": "hinted",
                    "login_hint_token": login_hint_token(server, app["id"], secret, user["id"]),
                },
            )
        )
        flow = ok(agent.get(f"/flows/{flow_id}"))
        assert flow["status"] == "OTP_REQUIRED"  # no identification, no password
        assert flow["_embedded"]["selectedDevice"]["type"] == "SMS"
        # Step 15: check the OTP
        _, otp = newest_message(api, phone, "strong_authentication", PASSCODE)
        assert ok(act(agent, flow_id, "otp.check", {"otp": otp}))["status"] == "COMPLETED"
        # Step 16: the resume endpoint returns the code
        params = query_of(resume(agent, flow_id))
    assert params["state"] == "hinted"
    issued = code_tokens(issuer_of(server), (app["id"], secret), params["code"])
    claims = verified_claims(issuer_of(server), issued["id_token"])
    assert claims["sub"] == user["id"] and set(claims["amr"]) == {"mfa", "sms"}


def test_a_forged_login_hint_token_completes_nothing(api: httpx.Client, server: Server) -> None:
    phone = "+14155552682"
    app, _ = application_with_sms_policy(api)
    user = user_with_sms_device(api, phone)
    forged = login_hint_token(server, app["id"], "not-the-secret-" * 4, user["id"])
    with browser(server) as agent:
        refused = agent.get(
            "/as/authorize",
            params={
                "client_id": app["id"],
                "response_type": "code",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid",
                "state": "forged",
                "login_hint_token": forged,
            },
        )
    assert refused.status_code == 302
    assert query_of(refused.headers["location"])["error"] == "invalid_request"
    page = ok(api.get("/outbox", params={"recipient": phone}))
    assert page["_embedded"]["messages"] == []


def test_mfa_transaction_approval_using_sms(api: httpx.Client, server: Server) -> None:
    phone = "+14155552683"
    app, secret = application_with_sms_policy(api)  # steps 1-8
    # Step 9: a transaction SMS template content (a variant of the transaction template)
    content = created(
        api.post(
            "/templates/transaction/contents",
            json={
                "locale": "en",
                "deliveryMethod": "SMS",
                "variant": "trx_sms",
                "content": "Approve a payment of ${sum} ${currency} to ${recipient} with ${otp}",
            },
        )
    )
    assert content["variant"] == "trx_sms"
    user = user_with_sms_device(api, phone)  # steps 10-14
    now = int(time.time())
    request_object = signed(
        secret,
        {
            "iss": app["id"],
            "aud": issuer_of(server),
            "iat": now,
            "exp": now + 300,
            "client_id": app["id"],
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile",
            "state": "approve",
            "login_hint_token": login_hint_token(server, app["id"], secret, user["id"]),
            "pi.template": {
                "name": "transaction",
                "variant": "trx_sms",
                "variables": {"sum": "1,000,000", "currency": "USD", "recipient": "Charlie"},
            },
        },
    )
    with browser(server) as agent:
        # Step 15: the authorize request for transaction approval carries a request object
        flow_id = flow_id_of(
            agent.get(
                "/as/authorize",
                params={"client_id": app["id"], "response_type": "code", "request": request_object},
            )
        )
        assert ok(agent.get(f"/flows/{flow_id}"))["status"] == "OTP_REQUIRED"
        body, otp = newest_message(api, phone, "transaction", PASSCODE)
        assert body == f"Approve a payment of 1,000,000 USD to Charlie with {otp}"
        # Step 16: check the OTP
        assert ok(act(agent, flow_id, "otp.check", {"otp": otp}))["status"] == "COMPLETED"
        # Step 17: the resume endpoint
        params = query_of(resume(agent, flow_id))
    assert params["state"] == "approve"
    # Step 18: the access token
    issued = code_tokens(issuer_of(server), (app["id"], secret), params["code"])
    assert issued["token_type"] == "Bearer" and issued["access_token"]
    assert verified_claims(issuer_of(server), issued["id_token"])["sub"] == user["id"]
