"""Seed 003, "Configure a single-page application with an implicit grant" and "Configure a PKCE
authorization workflow"; the authorization response in each response mode."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def spa(admin: Api, env: str) -> support.Client:
    return await support.application(
        admin,
        env,
        type="SINGLE_PAGE_APP",
        grantTypes=["IMPLICIT"],
        responseTypes=["TOKEN", "ID_TOKEN"],
        tokenEndpointAuthMethod="NONE",
    )


async def test_the_implicit_grant_returns_tokens_in_the_fragment(
    app: Any, admin: Api, env: str
) -> None:
    # Steps 1-7: a single-page application, its grant, a population and a user
    client = await spa(admin, env)
    population = await admin.create(f"/environments/{env}/populations", {"name": "SPA users"})
    person = await support.user(admin, env, population={"id": population["id"]})
    async with Browser(app, env) as browser:
        # Step 8: authorize; Step 9: the flow; Step 10: the credentials; Step 11: resume
        flow_id = await browser.start(
            client, response_type="token id_token", scope="openid profile", nonce="n-42"
        )
        assert (await browser.flow(flow_id)).json()["status"] == "USERNAME_PASSWORD_REQUIRED"
        assert (await browser.sign_on(flow_id, person["username"]))["status"] == "COMPLETED"
        resumed = await browser.resume(flow_id)
    assert resumed.status_code == 302
    location = resumed.headers["location"]
    assert location.startswith(support.REDIRECT_URI + "#")
    params = support.fragment_of(location)
    assert params["token_type"] == "Bearer" and params["access_token"] and params["id_token"]
    assert params["state"] == "xyz" and params["expires_in"] == "3600"
    assert "code" not in params


async def test_the_nonce_is_required_with_an_id_token(app: Any, admin: Api, env: str) -> None:
    client = await spa(admin, env)
    async with Browser(app, env) as browser:
        response = await browser.authorize(client, response_type="id_token", scope="openid")
    params = support.fragment_of(response.headers["location"])
    assert params["error"] == "invalid_request" and "nonce" in params["error_description"]


async def test_the_pkce_workflow_binds_the_code_to_the_verifier(
    app: Any, admin: Api, env: str
) -> None:
    # Step 1: a native application that requires S256
    client = await support.application(
        admin,
        env,
        type="NATIVE_APP",
        tokenEndpointAuthMethod="NONE",
        pkceEnforcement="S256_REQUIRED",
    )
    person = await support.user(admin, env)
    verifier, challenge = support.pkce_pair()
    async with Browser(app, env) as browser:
        # Steps 2-5: authorize with the challenge, the flow, the credentials, resume
        params = await browser.code_for(
            client, person["username"], code_challenge=challenge, code_challenge_method="S256"
        )
    # Step 6: the token request needs the verifier
    missing = await support.exchange(admin.client, env, client, params["code"])
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    async with Browser(app, env) as browser:
        params = await browser.code_for(
            client, person["username"], code_challenge=challenge, code_challenge_method="S256"
        )
    tokens = await support.exchange(
        admin.client, env, client, params["code"], code_verifier=verifier
    )
    assert tokens.status_code == 200, tokens.text


async def test_form_post_answers_with_an_escaped_auto_submitting_form(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    state = '"><script>alert(1)</script>'
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client, response_mode="form_post", state=state)
        await browser.sign_on(flow_id, person["username"])
        resumed = await browser.resume(flow_id)
    assert resumed.status_code == 200
    assert resumed.headers["content-type"].startswith("text/html")
    assert resumed.headers["cache-control"] == "no-store"
    page = resumed.text
    assert f'action="{support.REDIRECT_URI}"' in page and 'method="post"' in page
    assert "<script>alert(1)</script>" not in page
    values = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
    assert html.unescape(values["state"]) == state and values["code"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", resumed.headers["content-security-policy"])
    assert nonce and f'nonce="{nonce.group(1)}"' in page


async def test_form_post_carries_errors_too(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env, scopes=("openid",))
    async with Browser(app, env) as browser:
        response = await browser.authorize(client, response_mode="form_post", scope="openid email")
    assert response.status_code == 200
    values = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', response.text))
    assert values["error"] == "invalid_scope" and values["state"] == "xyz"


async def test_the_hybrid_flow_returns_a_code_and_an_id_token(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(
        admin,
        env,
        grantTypes=["AUTHORIZATION_CODE", "IMPLICIT"],
        responseTypes=["CODE", "ID_TOKEN", "TOKEN"],
    )
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client, response_type="code id_token token", nonce="n")
        await browser.sign_on(flow_id, person["username"])
        resumed = await browser.resume(flow_id)
    params = support.fragment_of(resumed.headers["location"])
    assert {"code", "id_token", "access_token", "state"} <= set(params)
