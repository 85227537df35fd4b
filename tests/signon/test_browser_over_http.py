"""Seed 003, "Configure an application with an authorization code grant", over HTTP against a real
`gatehouse serve`: a browser-like client with its cookie jar walks /as/authorize, the flows API and
/as/resume; single sign-on and sign-off follow."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.server import Server, organization_client

pytestmark = pytest.mark.e2e

REDIRECT_URI = "https://app.example.com/callback"
PASSWORD = "Gatehouse-Sign0n!"


def created(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with organization_client(server) as client:
        yield client


def test_authorization_code_sign_on_sso_and_signoff(api: httpx.Client, server: Server) -> None:
    env = created(
        api.post(
            "/environments",
            json={"name": f"signon-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
        )
    )["id"]
    base = f"/environments/{env}"
    # Step 1: an OIDC application; Step 2: its secret
    application = created(
        api.post(
            f"{base}/applications",
            json={
                "enabled": True,
                "name": "Code grant app",
                "type": "WEB_APP",
                "protocol": "OPENID_CONNECT",
                "grantTypes": ["AUTHORIZATION_CODE"],
                "responseTypes": ["CODE"],
                "redirectUris": [REDIRECT_URI],
                "postLogoutRedirectUris": ["https://app.example.com/bye"],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
            },
        )
    )
    secret = api.get(f"{base}/applications/{application['id']}/secret").json()["secret"]
    # Steps 3-5: the openid resource's scopes, granted
    resources = api.get(f"{base}/resources").json()["_embedded"]["resources"]
    openid = next(resource for resource in resources if resource["name"] == "openid")
    scopes = api.get(f"{base}/resources/{openid['id']}/scopes").json()["_embedded"]["scopes"]
    created(
        api.post(
            f"{base}/applications/{application['id']}/grants",
            json={
                "resource": {"id": openid["id"]},
                "scopes": [{"id": s["id"]} for s in scopes if s["name"] in ("openid", "profile")],
            },
        )
    )
    # A policy whose password sign-on lasts an hour, so the session signs on again
    policy = created(api.post(f"{base}/signOnPolicies", json={"name": "Hourly_Password"}))
    created(
        api.post(
            f"{base}/signOnPolicies/{policy['id']}/actions",
            json={
                "type": "LOGIN",
                "priority": 1,
                "condition": {
                    "secondsSince": "${session.lastSignOn.withAuthenticator.pwd.at}",
                    "greater": 3600,
                },
            },
        )
    )
    created(
        api.post(
            f"{base}/applications/{application['id']}/signOnPolicyAssignments",
            json={"signOnPolicy": {"id": policy["id"]}, "priority": 1},
        )
    )
    person = created(
        api.post(f"{base}/users", json={"username": "ada", "email": "ada@example.com"})
    )
    assert (
        api.put(
            f"{base}/users/{person['id']}/password",
            json={"value": PASSWORD},
            headers={"Content-Type": "application/vnd.pingidentity.password.set+json"},
        ).status_code
        == 200
    )

    with httpx.Client(base_url=server.base_url, follow_redirects=False, timeout=30) as browser:
        # Step 6: the authorization request
        started = browser.get(
            f"/{env}/as/authorize",
            params={
                "client_id": application["id"],
                "response_type": "code",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid profile",
                "state": "s1",
            },
        )
        assert started.status_code == 302, started.text
        assert started.headers["location"].startswith(f"{server.base_url}/{env}/signon/?flowId=")
        flow_id = query(started.headers["location"])["flowId"]
        # Step 7: the flow
        flow = browser.get(f"/{env}/flows/{flow_id}").json()
        assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
        # another client without the browser's cookies cannot see it
        assert httpx.get(f"{server.base_url}/{env}/flows/{flow_id}").status_code == 404
        # Step 8: the credentials
        done = browser.post(
            flow["_links"]["usernamePassword.check"]["href"],
            json={"username": "ada", "password": PASSWORD},
            headers={"Content-Type": "application/vnd.pingidentity.usernamePassword.check+json"},
        )
        assert done.status_code == 200 and done.json()["status"] == "COMPLETED", done.text
        resumed = browser.get(done.json()["resumeUrl"])
        assert resumed.status_code == 302, resumed.text
        code = query(resumed.headers["location"])["code"]
        assert "ST" in browser.cookies
        # Step 9: the code for tokens
        tokens = httpx.post(
            f"{server.base_url}/{env}/as/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
            auth=(application["id"], secret),
        )
        assert tokens.status_code == 200, tokens.text
        id_token = tokens.json()["id_token"]
        # single sign-on: straight back to the client
        again = browser.get(
            f"/{env}/as/authorize",
            params={
                "client_id": application["id"],
                "response_type": "code",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid",
                "state": "s2",
            },
        )
        assert again.status_code == 302 and again.headers["location"].startswith(REDIRECT_URI)
        assert query(again.headers["location"])["state"] == "s2"
        # sign-off, and the next request needs the password again
        bye = browser.get(
            f"/{env}/as/signoff",
            params={
                "id_token_hint": id_token,
                "post_logout_redirect_uri": "https://app.example.com/bye",
            },
        )
        assert bye.status_code == 302 and bye.headers["location"] == "https://app.example.com/bye"
        assert "ST" not in browser.cookies
        third = browser.get(
            f"/{env}/as/authorize",
            params={
                "client_id": application["id"],
                "response_type": "code",
                "redirect_uri": REDIRECT_URI,
                "scope": "openid",
            },
        )
        assert "/signon/?flowId=" in third.headers["location"]
