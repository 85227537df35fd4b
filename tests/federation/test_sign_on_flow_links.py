"""The flow side of federated sign-on, in process: an IDENTITY_PROVIDER action asks for external
authentication, a LOGIN action lists its socialProviders, and their authenticate links send the
browser to the provider with state, nonce and PKCE; the callback refuses unknown states."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.federation.conftest import create_provider, provider
from tests.signon.support import Browser, application, policy_for, query_of
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def _oidc(admin: Api, env: str, **overrides: Any) -> dict[str, Any]:
    body = provider("OPENID_CONNECT", f"Upstream {secrets.token_hex(3)}", **overrides)
    return await create_provider(admin, env, body)


async def test_identity_provider_action_asks_for_external_authentication(
    app: Any, admin: Api, env: str
) -> None:
    upstream = await _oidc(admin, env)
    client = await application(admin, env)
    await policy_for(
        admin,
        env,
        client.id,
        [{"type": "IDENTITY_PROVIDER", "identityProvider": {"id": upstream["id"]}}],
    )
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"
        assert {k: flow["_embedded"]["identityProvider"][k] for k in ("id", "type", "name")} == {
            "id": upstream["id"],
            "type": "OPENID_CONNECT",
            "name": upstream["name"],
        }
        href = flow["_links"]["authenticate"]["href"]
        assert href.startswith(f"http://testserver/{env}/rp/authenticate?")
        redirect = await browser.http.get(href)
        assert redirect.status_code == 302
        location = redirect.headers["location"]
        assert location.startswith("https://idp.example.com/authorize?")
        query = query_of(location)
        assert query["client_id"] == "gatehouse-client"
        assert query["redirect_uri"] == f"http://testserver/{env}/rp/callback/openid_connect"
        assert query["scope"] == "openid email"
        assert query["code_challenge_method"] == "S256" and query["code_challenge"]
        assert query["nonce"] and query["state"].startswith(f"{flow_id}.")

        callback = f"/{env}/rp/callback/openid_connect"
        forged = f"{flow_id}.{secrets.token_urlsafe(8)}"
        refused = await browser.http.get(callback, params={"code": "c", "state": forged})
        assert refused.status_code == 400
        assert (await browser.flow(flow_id)).json()["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"

        denied = await browser.http.get(
            callback, params={"error": "access_denied", "state": query["state"]}
        )
        assert denied.status_code == 302 and "/signon/" in denied.headers["location"]
        failed = (await browser.flow(flow_id)).json()
        assert failed["status"] == "FAILED"
        assert failed["error"]["code"] == "EXTERNAL_AUTHENTICATION_FAILED"
        replayed = await browser.http.get(
            callback, params={"error": "access_denied", "state": query["state"]}
        )
        assert replayed.status_code == 400


async def test_login_lists_its_social_providers_and_keeps_the_password(
    app: Any, admin: Api, env: str
) -> None:
    upstream = await _oidc(admin, env, pkceMethod="NONE")
    client = await application(admin, env)
    await policy_for(
        admin, env, client.id, [{"type": "LOGIN", "socialProviders": [{"id": upstream["id"]}]}]
    )
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
        assert "usernamePassword.check" in flow["_links"]
        [social] = flow["_embedded"]["socialProviders"]
        assert social["id"] == upstream["id"] and social["type"] == "OPENID_CONNECT"
        redirect = await browser.http.get(social["_links"]["authenticate"]["href"])
        assert redirect.status_code == 302
        assert "code_challenge" not in query_of(redirect.headers["location"])


async def test_authenticate_refuses_providers_the_flow_does_not_offer(
    app: Any, admin: Api, env: str
) -> None:
    offered = await _oidc(admin, env)
    other = await _oidc(admin, env)
    client = await application(admin, env)
    await policy_for(
        admin,
        env,
        client.id,
        [{"type": "IDENTITY_PROVIDER", "identityProvider": {"id": offered["id"]}}],
    )
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        for provider_id in (other["id"], "not-an-id"):
            response = await browser.http.get(
                f"/{env}/rp/authenticate",
                params={"flowId": flow_id, "identityProviderId": provider_id},
            )
            assert response.status_code == 400, response.text
    async with Browser(app, env) as stranger:
        response = await stranger.http.get(
            f"/{env}/rp/authenticate",
            params={"flowId": flow_id, "identityProviderId": offered["id"]},
        )
        assert response.status_code == 404


async def test_a_disabled_provider_fails_the_flow(app: Any, admin: Api, env: str) -> None:
    upstream = await _oidc(admin, env, enabled=False)
    client = await application(admin, env)
    await policy_for(
        admin,
        env,
        client.id,
        [{"type": "IDENTITY_PROVIDER", "identityProvider": {"id": upstream["id"]}}],
    )
    async with Browser(app, env) as browser:
        flow = (await browser.flow(await browser.start(client))).json()
    assert flow["status"] == "FAILED"
    assert flow["error"]["code"] == "IDENTITY_PROVIDER_NOT_AVAILABLE"


async def test_pass_user_context_and_acr_values_go_upstream(app: Any, admin: Api, env: str) -> None:
    upstream = await _oidc(admin, env)
    client = await application(admin, env)
    action = {
        "type": "IDENTITY_PROVIDER",
        "identityProvider": {"id": upstream["id"]},
        "passUserContext": True,
        "acrValues": "urn:example:mfa",
    }
    await policy_for(admin, env, client.id, [action])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client, login_hint="ada@example.com")
        flow = (await browser.flow(flow_id)).json()
        redirect = await browser.http.get(flow["_links"]["authenticate"]["href"])
        query = query_of(redirect.headers["location"])
        assert query["login_hint"] == "ada@example.com"
        assert query["acr_values"] == "urn:example:mfa"


async def test_a_discovered_identifier_goes_upstream_as_the_login_hint(
    app: Any, admin: Api, env: str
) -> None:
    upstream = await _oidc(admin, env)
    client = await application(admin, env)
    rule = {
        "condition": {"contains": "@corp.example", "value": "${identifier}"},
        "identityProvider": {"id": upstream["id"]},
    }
    await policy_for(
        admin, env, client.id, [{"type": "IDENTIFIER_FIRST", "discoveryRules": [rule]}]
    )
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.act(flow_id, "user.lookup", {"username": "ada@corp.example"})).json()
        assert flow["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"
        assert flow["_embedded"]["identityProvider"]["id"] == upstream["id"]
        redirect = await browser.http.get(flow["_links"]["authenticate"]["href"])
        assert query_of(redirect.headers["location"])["login_hint"] == "ada@corp.example"
        reset = await browser.act(flow_id, "session.reset")
        assert reset.json()["status"] == "SIGN_ON_REQUIRED"
