"""Seed 003, "Configure an application with an authorization code grant" and "Configure a PKCE
authorization workflow": /as/authorize, the flow, /as/resume, the token endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def test_authorize_redirects_to_the_sign_on_page_with_a_flow(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        response = await browser.authorize(client)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        assert location.startswith(f"http://testserver/{env}/signon/?flowId=")
        flow_id = support.query_of(location)["flowId"]
        cookie = response.headers["set-cookie"]
        assert "GH-INTERACTION=" in cookie and "HttpOnly" in cookie
        assert "SameSite=lax" in cookie and f"Path=/{env}" in cookie
        flow = (await browser.flow(flow_id)).json()
    assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
    assert flow["id"] == flow_id and flow["environment"] == {"id": env}
    assert flow["application"]["id"] == client.id
    href = f"http://testserver/{env}/flows/{flow_id}"
    assert flow["_links"] == {
        "self": {"href": href},
        "usernamePassword.check": {"href": href},
        "password.forgot": {"href": href},
        "session.reset": {"href": href},
    }
    assert flow["resumeUrl"] == f"http://testserver/{env}/as/resume?flowId={flow_id}"
    assert flow["createdAt"].endswith("Z") and flow["expiresAt"].endswith("Z")


async def test_the_code_grant_signs_the_user_on_and_the_code_buys_tokens(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client, scope="openid profile email", nonce="n-1")
        completed = await browser.sign_on(flow_id, person["username"])
        assert completed["status"] == "COMPLETED"
        assert completed["_embedded"]["user"] == {
            "id": person["id"],
            "username": person["username"],
        }
        assert set(completed["_links"]) == {"self"}
        resumed = await browser.resume(flow_id)
        assert resumed.status_code == 302, resumed.text
        assert resumed.headers["location"].startswith(support.REDIRECT_URI + "?")
        params = support.query_of(resumed.headers["location"])
        assert params["state"] == "xyz" and params["code"]
        session_cookie = [c for c in resumed.headers.get_list("set-cookie") if c.startswith("ST=")]
        assert session_cookie and "HttpOnly" in session_cookie[0]
        assert f"Path=/{env}" in session_cookie[0] and "Max-Age=2592000" in session_cookie[0]
    tokens = await support.exchange(admin.client, env, client, params["code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["id_token"] and body["access_token"]
