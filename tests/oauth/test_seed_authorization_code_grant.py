"""Seed 003, "Configure an application with an authorization code grant", steps 1-10, in process:
the application and its PingOne API grant, POST /as/authorize, the flow, /as/resume, the token,
and the user's own access token reading and updating the user."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.oauth import support
from tests.support.api import Api

pytestmark = pytest.mark.anyio


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def test_configure_an_application_with_an_authorization_code_grant(
    app: Any, admin: Api, env: str
) -> None:
    base = f"/environments/{env}"
    # Step 1: create the application; step 2: its secret
    application = await admin.create(
        f"{base}/applications",
        {
            "enabled": True,
            "name": f"AuthCodeApp-{secrets.token_hex(4)}",
            "type": "WEB_APP",
            "protocol": "OPENID_CONNECT",
            "grantTypes": ["AUTHORIZATION_CODE"],
            "redirectUris": [support.REDIRECT_URI],
            "responseTypes": ["CODE"],
            "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
        },
    )
    secret = (await admin.get(f"{base}/applications/{application['id']}/secret")).json()["secret"]
    # Steps 3-5: the PingOne API resource, its scopes, the grant
    api = await support.resource_named(admin, env, "PingOne API")
    scopes = await support.scope_ids(admin, env, api["id"])
    await admin.create(
        f"{base}/applications/{application['id']}/grants",
        {
            "resource": {"id": api["id"]},
            "scopes": [{"id": scopes["p1:read:user"]}, {"id": scopes["p1:update:user"]}],
        },
    )
    person = await support.user(admin, env)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", follow_redirects=False
    ) as browser:
        # Step 6: the authorization request
        started = await browser.post(
            f"/{env}/as/authorize",
            data={
                "response_type": "code",
                "client_id": application["id"],
                "redirect_uri": support.REDIRECT_URI,
                "scope": "p1:read:user p1:update:user",
            },
        )
        assert started.status_code == 302, started.text
        flow_id = query_of(started.headers["location"])["flowId"]
        # Steps 7-8: the flow, then the user's credentials
        assert (await browser.get(f"/{env}/flows/{flow_id}")).json()[
            "status"
        ] == "USERNAME_PASSWORD_REQUIRED"
        checked = await browser.post(
            f"/{env}/flows/{flow_id}",
            json={"username": person["username"], "password": support.PASSWORD},
            headers={"Content-Type": "application/vnd.pingidentity.usernamePassword.check+json"},
        )
        assert checked.json()["status"] == "COMPLETED", checked.text
        resumed = await browser.get(checked.json()["resumeUrl"])
        assert resumed.status_code == 302, resumed.text
        code = query_of(resumed.headers["location"])["code"]

    # Step 9: the code for an access token
    token = await admin.client.post(
        f"/{env}/as/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": support.REDIRECT_URI,
        },
        auth=(application["id"], secret),
    )
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "p1:read:user p1:update:user"
    claims = await support.claims_of(admin.client, env, token.json()["access_token"])
    assert claims["sub"] == person["id"] and claims["env"] == env and claims["acr"]

    # Step 10: the user reads (and updates) their own user
    as_user = admin.with_token(token.json()["access_token"])
    own = await as_user.get(f"{base}/users/{person['id']}")
    assert own.status_code == 200, own.text
    assert own.json()["username"] == person["username"]
    updated = await as_user.patch(f"{base}/users/{person['id']}", json={"nickname": "Self"})
    assert updated.status_code == 200 and updated.json()["nickname"] == "Self"
