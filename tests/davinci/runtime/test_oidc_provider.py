"""DaVinci as an OpenID provider: discovery, the authorize endpoint rendering each screen as an HTML
page and redirecting with a code, the token endpoint (client secret), ID tokens verifiable with
the provider's JWKS, userinfo; and the requests it refuses."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from gatehouse.oauth import pkce
from tests.davinci.runtime.signon import DavinciSetup, davinci_flow
from tests.signon import support
from tests.signon.support import PASSWORD
from tests.support.api import Api

pytestmark = pytest.mark.anyio

RP = "https://rp.example.com/callback"


async def _setup(admin: Api, env: str) -> tuple[DavinciSetup, dict[str, Any]]:
    setup = await davinci_flow(
        admin,
        env,
        grantTypes=["authorizationCode"],
        scopes=["openid", "profile"],
        redirectUris=[RP],
    )
    person = await support.user(admin, env, name={"given": "Ada", "family": "Lovelace"})
    return setup, person


def _browser(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _authorize_params(setup: DavinciSetup, **extra: str) -> dict[str, str]:
    return {
        "client_id": setup.application["id"],
        "redirect_uri": RP,
        "response_type": "code",
        "scope": "openid profile",
        "state": "st-1",
        "nonce": "n-1",
        **extra,
    }


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, page
    return found.group(1)


async def _post_form(
    browser: httpx.AsyncClient, action: str, page: str, **fields: str
) -> httpx.Response:
    data = {
        "interactionId": _hidden(page, "interactionId"),
        "nodeId": _hidden(page, "nodeId"),
        "buttonValue": "SIGNON",
        **fields,
    }
    return await browser.post(action, data=data)


async def test_discovery_names_the_davinci_endpoints(admin: Api, env: str) -> None:
    response = await admin.client.get(f"/{env}/davinci/.well-known/openid-configuration")
    assert response.status_code == 200
    body = response.json()
    issuer = f"http://testserver/{env}/davinci"
    assert body["issuer"] == issuer
    assert body["token_endpoint"] == f"{issuer}/token"
    assert body["userinfo_endpoint"] == f"{issuer}/userinfo"
    assert body["jwks_uri"] == f"{issuer}/jwks"
    assert "client_secret_basic" in body["token_endpoint_auth_methods_supported"]
    keys = (await admin.client.get(f"/{env}/davinci/jwks")).json()["keys"]
    assert keys and all("d" not in key for key in keys)


async def test_sign_on_through_pages_ends_in_verifiable_tokens(
    admin: Api, env: str, app: Any
) -> None:
    setup, person = await _setup(admin, env)
    action = f"/{env}/davinci/policy/{setup.policy_id}/authorize"
    secret = setup.application["oauth"]["clientSecret"]
    async with _browser(app) as browser:
        page = await browser.get(action, params=_authorize_params(setup))
        assert page.status_code == 200, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "nonce-" in page.headers["content-security-policy"]
        assert 'data-skbuttonvalue="SIGNON"' in page.text
        assert "DV-INTERACTION=" in page.headers["set-cookie"]

        wrong = await _post_form(
            browser, action, page.text, username=person["username"], password="x"
        )
        assert wrong.status_code == 400
        assert "The username or password is incorrect." in wrong.text

        done = await _post_form(
            browser, action, wrong.text, username=person["username"], password=PASSWORD
        )
        assert done.status_code == 302, done.text
        location = done.headers["location"]
        assert location.startswith(RP + "?")
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert query["state"] == "st-1" and query["code"]

    token_url = f"/{env}/davinci/token"
    form = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": RP}
    refused = await admin.client.post(token_url, data=form, auth=(setup.application["id"], "nope"))
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    issued = await admin.client.post(token_url, data=form, auth=(setup.application["id"], secret))
    assert issued.status_code == 200, issued.text
    tokens = issued.json()
    keys = KeySet.import_key_set((await admin.client.get(f"/{env}/davinci/jwks")).json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["iss"] == f"http://testserver/{env}/davinci"
    assert claims["aud"] == setup.application["id"] and claims["nonce"] == "n-1"
    assert claims["sub"] == person["id"] and claims["preferred_username"] == person["username"]
    assert claims["given_name"] == "Ada" and claims["amr"] == ["pwd"]
    assert claims["acr"] == "Sign on policy"

    replay = await admin.client.post(token_url, data=form, auth=(setup.application["id"], secret))
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    info = await admin.client.get(f"/{env}/davinci/userinfo", headers=bearer)
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == person["id"] and info.json()["family_name"] == "Lovelace"
    # the platform's userinfo does not take a DaVinci provider's token
    assert (await admin.client.get(f"/{env}/as/userinfo", headers=bearer)).status_code == 401


async def test_authorize_refusals(admin: Api, env: str, app: Any) -> None:
    setup, _ = await _setup(admin, env)
    other = await davinci_flow(admin, env, redirectUris=[RP])
    action = f"/{env}/davinci/policy/{setup.policy_id}/authorize"
    async with _browser(app) as browser:
        unknown = await browser.get(action, params=_authorize_params(setup, client_id="0" * 32))
        assert unknown.status_code == 400 and "Unknown client" in unknown.text
        elsewhere = await browser.get(
            action, params=_authorize_params(setup, redirect_uri="https://evil.example/cb")
        )
        assert elsewhere.status_code == 400 and "location" not in elsewhere.headers

        def error_of(response: httpx.Response) -> str:
            assert response.status_code == 302, response.text
            query = parse_qs(urlsplit(response.headers["location"]).query)
            assert query["state"] == ["st-1"]
            return query["error"][0]

        others_policy = f"/{env}/davinci/policy/{other.policy_id}/authorize"
        assert error_of(await browser.get(others_policy, params=_authorize_params(setup))) == (
            "invalid_request"
        )
        bad_scope = _authorize_params(setup, scope="openid offline_access")
        assert error_of(await browser.get(action, params=bad_scope)) == "invalid_scope"
        no_openid = _authorize_params(setup, scope="profile")
        assert error_of(await browser.get(action, params=no_openid)) == "invalid_scope"
        token_type = _authorize_params(setup, response_type="token")
        assert error_of(await browser.get(action, params=token_type)) == "unsupported_response_type"

        page = await browser.get(action, params=_authorize_params(setup))
        stolen = {
            "interactionId": _hidden(page.text, "interactionId"),
            "nodeId": _hidden(page.text, "nodeId"),
        }
    async with _browser(app) as attacker:  # another browser: no interaction cookie
        response = await attacker.post(action, data={**stolen, "username": "x", "password": "y"})
        assert response.status_code == 401


async def test_the_authorize_endpoint_without_policy_runs_the_applications_first(
    admin: Api, env: str, app: Any
) -> None:
    setup, person = await _setup(admin, env)
    action = f"/{env}/davinci/authorize"
    async with _browser(app) as browser:
        page = await browser.get(action, params=_authorize_params(setup))
        assert page.status_code == 200, page.text
        done = await _post_form(
            browser, action, page.text, username=person["username"], password=PASSWORD
        )
    assert done.status_code == 302 and "code=" in done.headers["location"]


async def test_pkce_verifiers_must_be_well_formed(admin: Api, env: str, app: Any) -> None:
    """RFC 7636 4.1: a verifier of fewer than 43 characters is refused even when it matches."""
    setup, person = await _setup(admin, env)
    action = f"/{env}/davinci/policy/{setup.policy_id}/authorize"
    short = "too-short-verifier"
    params = _authorize_params(setup, code_challenge=pkce.s256(short), code_challenge_method="S256")
    async with _browser(app) as browser:
        page = await browser.get(action, params=params)
        done = await _post_form(
            browser, action, page.text, username=person["username"], password=PASSWORD
        )
        assert done.status_code == 302, done.text
        code = parse_qs(urlsplit(done.headers["location"]).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": RP,
        "code_verifier": short,
    }
    secret = setup.application["oauth"]["clientSecret"]
    refused = await admin.client.post(
        f"/{env}/davinci/token", data=form, auth=(setup.application["id"], secret)
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
