"""Chromium, a page on another origin and site (http://localhost:<port>, the server being
http://127.0.0.1:<port>), and the Ping SDK's requests made with fetch: the DaVinci pi.flow round
trip (`credentials: 'include'`, `x-requested-with: ping-sdk`, the interaction headers), a wrong
password answered readably, the code redeemed at /as/token, userinfo and discovery, all from the
page: the browser accepts Gatehouse's CORS answers. The same page on an origin the application
does not list cannot read the authorize answer.

Cookies do not cross sites there: over plain http they are SameSite=Lax (a browser refuses
SameSite=None without Secure), and that flow needs none of them (the interaction travels in
headers). Over https the ST and interaction cookies are SameSite=None; Secure (test_cors). A page
on another port of the server's host (another origin, the same site) proves the credentialed
part: the flows API needs the interaction cookie and /as/resume the ST cookie."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.davinci.runtime.signon import assign_flow_policy, davinci_flow_over_http
from tests.e2e.support import (
    grant_openid_scopes,
    oidc_application,
    policy_for,
    user_with_password,
)
from tests.signon.support import pkce_pair
from tests.support.browser import html_handler, launched_chromium, loopback_server
from tests.support.server import Server, new_environment, organization_client

pytestmark = pytest.mark.e2e

PASSWORD = "Cross-0rigin-Sign0n!"

PAGE = b"""<!doctype html>
<html><head><title>SPA</title><script>
const SDK = {"x-requested-with": "ping-sdk", "x-requested-platform": "javascript",
             "Accept": "application/json"};

window.signOn = async (cfg) => {
  const started = await fetch(cfg.authorize, {
    credentials: "include",
    headers: {...SDK, "Content-Type": "application/x-www-form-urlencoded"},
  });
  const screen = await started.json();
  const submit = (password) => fetch(screen._links.next.href, {
    method: "POST",
    credentials: "include",
    headers: {...SDK, "Content-Type": "application/json",
              interactionId: screen.interactionId, interactionToken: screen.interactionToken},
    body: JSON.stringify({
      id: screen.id, eventName: screen.eventName || "continue",
      interactionId: screen.interactionId,
      parameters: {eventType: "submit", data: {actionKey: "SIGNON",
                   formData: {username: cfg.username, password: password}}},
    }),
  });
  const wrong = await submit("not-the-password");
  const wrongBody = await wrong.json();
  const done = await (await submit(cfg.password)).json();
  const exchanged = await fetch(cfg.token, {
    method: "POST",
    headers: {"Accept": "application/json",
              "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
    body: new URLSearchParams({grant_type: "authorization_code",
                               code: done.authorizeResponse.code, client_id: cfg.clientId,
                               redirect_uri: cfg.redirectUri, code_verifier: cfg.verifier}),
  });
  const tokens = await exchanged.json();
  const info = await (await fetch(cfg.userinfo, {
    credentials: "include",
    headers: {"Accept": "application/json", "Authorization": "Bearer " + tokens.access_token},
  })).json();
  const discovery = await (await fetch(cfg.discovery)).json();
  return {
    fields: screen.form.components.fields.map((field) => field.type),
    wrongStatus: wrong.status, wrongCode: wrongBody.details[0].rawResponse.code,
    status: done.status, state: done.authorizeResponse.state,
    tokenStatus: exchanged.status, idToken: tokens.id_token, sub: info.sub,
    issuer: discovery.issuer,
  };
};

window.signOnWithCookies = async (cfg) => {
  const flow = await (await fetch(cfg.authorize, {
    credentials: "include", headers: {"Accept": "application/json"},
  })).json();
  const flowUrl = cfg.flows + "/" + flow.id;
  const checked = await fetch(flowUrl, {
    method: "POST",
    credentials: "include",
    headers: {"Content-Type": "application/vnd.pingidentity.usernamePassword.check+json"},
    body: JSON.stringify({username: cfg.username, password: cfg.password}),
  });
  const completed = await checked.json();
  const resumed = await (await fetch(cfg.resume + "?flowId=" + flow.id, {
    credentials: "include", headers: {"Accept": "application/json"},
  })).json();
  return {first: flow.status, checkStatus: checked.status, status: completed.status,
          code: resumed.authorizeResponse.code, state: resumed.authorizeResponse.state};
};

window.tryAuthorize = async (url) => {
  try {
    await fetch(url, {credentials: "include", headers: SDK});
    return "read";
  } catch (error) {
    return error.name;
  }
};
</script></head><body>SPA</body></html>
"""


@pytest.fixture(scope="module")
def page_port() -> Iterator[int]:
    """A static server for the single-page application, on loopback."""
    with loopback_server(html_handler(PAGE)) as port:
        yield port


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def _public_app(api: httpx.Client, origin: str, redirect_uri: str) -> dict[str, Any]:
    """A SINGLE_PAGE_APP (no client secret) allowing `origin`, granted openid and profile."""
    app = oidc_application(
        api,
        f"spa-{secrets.token_hex(4)}",
        type="SINGLE_PAGE_APP",
        redirectUris=[redirect_uri],
        tokenEndpointAuthMethod="NONE",
        corsSettings={"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": [origin]},
    )
    grant_openid_scopes(api, app["id"], "openid", "profile")
    return app


def single_page_app(api: httpx.Client, origin: str, redirect_uri: str) -> str:
    """A public application allowing `origin`, granted openid and profile, assigned to a DaVinci
    flow policy running the username/password flow."""
    app = _public_app(api, origin, redirect_uri)
    policy = davinci_flow_over_http(api)["policy"]
    assign_flow_policy(api, app["id"], policy["id"])
    return str(app["id"])


def tenant(
    server: Server, make_application: Callable[[httpx.Client], str]
) -> tuple[str, str, dict[str, Any]]:
    """A new environment with the application `make_application` creates, and a user: (environment
    id, client id, user)."""
    with organization_client(server) as org:
        env, api = new_environment(server, org, "cors")
        with api:
            return env, make_application(api), person(api)


def person(api: httpx.Client) -> dict[str, Any]:
    return user_with_password(api, password=PASSWORD)


def test_a_page_on_another_origin_signs_on_through_davinci_with_fetch(
    server: Server, chromium: Any, page_port: int
) -> None:
    spa_origin = f"http://localhost:{page_port}"
    redirect_uri = f"{spa_origin}/callback"
    env, client_id, user = tenant(
        server, lambda api: single_page_app(api, spa_origin, redirect_uri)
    )
    verifier, challenge = pkce_pair()
    auth = f"{server.base_url}/{env}/as"
    authorize = f"{auth}/authorize?" + urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "response_mode": "pi.flow",
            "scope": "openid profile",
            "redirect_uri": redirect_uri,
            "state": "page-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    config = {
        "authorize": authorize,
        "token": f"{auth}/token",
        "userinfo": f"{auth}/userinfo",
        "discovery": f"{auth}/.well-known/openid-configuration",
        "clientId": client_id,
        "redirectUri": redirect_uri,
        "verifier": verifier,
        "username": user["username"],
        "password": PASSWORD,
    }
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{spa_origin}/")
        result = page.evaluate("config => window.signOn(config)", config)
        other = context.new_page()
        other.goto(f"http://127.0.0.1:{page_port}/")  # an origin the application does not list
        refused = other.evaluate("url => window.tryAuthorize(url)", authorize)
        allowed = page.evaluate("url => window.tryAuthorize(url)", authorize)
    finally:
        context.close()
    assert result["fields"] == ["TEXT", "PASSWORD", "SUBMIT_BUTTON"]
    assert result["wrongStatus"] == 400 and result["wrongCode"] == "INVALID_DATA"
    assert result["status"] == "COMPLETED" and result["state"] == "page-state"
    assert result["tokenStatus"] == 200 and result["idToken"]
    assert result["sub"] == user["id"]
    assert result["issuer"] == auth
    assert refused == "TypeError" and allowed == "read"


def sign_on_policy_app(api: httpx.Client, origin: str, redirect_uri: str) -> str:
    """A public application allowing `origin`, whose sign-on policy is one LOGIN action."""
    app = _public_app(api, origin, redirect_uri)
    policy_for(api, app["id"], "login", {"type": "LOGIN", "recovery": {"enabled": False}})
    return str(app["id"])


def test_a_page_on_another_port_drives_the_flows_api_with_its_cookies(
    server: Server, chromium: Any, page_port: int
) -> None:
    spa_origin = f"http://127.0.0.1:{page_port}"
    redirect_uri = f"{spa_origin}/callback"
    env, client_id, user = tenant(
        server, lambda api: sign_on_policy_app(api, spa_origin, redirect_uri)
    )
    verifier, challenge = pkce_pair()
    base = f"{server.base_url}/{env}"
    authorize = f"{base}/as/authorize?" + urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "response_mode": "pi.flow",
            "scope": "openid profile",
            "redirect_uri": redirect_uri,
            "state": "cookie-state",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    config = {
        "authorize": authorize,
        "flows": f"{base}/flows",
        "resume": f"{base}/as/resume",
        "username": user["username"],
        "password": PASSWORD,
    }
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(f"{spa_origin}/")
        result = page.evaluate("config => window.signOnWithCookies(config)", config)
    finally:
        context.close()
    assert result["first"] == "USERNAME_PASSWORD_REQUIRED"
    assert result["checkStatus"] == 200 and result["status"] == "COMPLETED"
    assert result["state"] == "cookie-state"
    tokens = httpx.post(
        f"{base}/as/token",
        data={
            "grant_type": "authorization_code",
            "code": result["code"],
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )
    assert tokens.status_code == 200, tokens.text
