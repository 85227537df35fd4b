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
import shutil
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.davinci.runtime.signon import DEPLOY, SIGN_ON_GRAPH
from tests.signon.support import pkce_pair
from tests.support.server import Server
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS

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


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def page_port() -> Iterator[int]:
    """A static server for the single-page application, on loopback."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def admin_client(server: Server) -> httpx.Client:
    token = ok(
        httpx.post(
            server.token_endpoint,
            data={"grant_type": "client_credentials"},
            auth=(server.client_id, server.client_secret),
        )
    )["access_token"]
    return httpx.Client(
        base_url=server.api_path, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def single_page_app(api: httpx.Client, origin: str, redirect_uri: str) -> str:
    """A public application allowing `origin`, granted openid and profile, assigned to a DaVinci
    flow policy running the username/password flow."""
    app = ok(
        api.post(
            "/applications",
            json={
                "enabled": True,
                "name": f"spa-{secrets.token_hex(4)}",
                "type": "SINGLE_PAGE_APP",
                "protocol": "OPENID_CONNECT",
                "grantTypes": ["AUTHORIZATION_CODE"],
                "responseTypes": ["CODE"],
                "redirectUris": [redirect_uri],
                "tokenEndpointAuthMethod": "NONE",
                "corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": [origin]},
            },
        ),
        201,
    )
    grant_openid(api, app["id"])
    davinci = ok(api.post("/davinciApplications", json={"name": "DaVinci"}), 201)
    flow = ok(api.post("/flows", json={"name": "Sign on", "graphData": SIGN_ON_GRAPH}), 201)
    deployed = api.post(f"/flows/{flow['id']}", content=b"", headers={"Content-Type": DEPLOY})
    assert deployed.status_code == 201, deployed.text
    policy = ok(
        api.post(
            f"/davinciApplications/{davinci['id']}/flowPolicies",
            json={
                "name": "Sign on policy",
                "flowDistributions": [{"id": flow["id"], "version": 1, "weight": 100}],
            },
        ),
        201,
    )
    ok(
        api.post(
            f"/applications/{app['id']}/flowPolicyAssignments",
            json={"flowPolicy": {"id": policy["id"]}, "priority": 1},
        ),
        201,
    )
    return str(app["id"])


def grant_openid(api: httpx.Client, application_id: str) -> None:
    resources = ok(api.get("/resources"))["_embedded"]["resources"]
    openid = next(r for r in resources if r["name"] == "openid")
    scopes = ok(api.get(f"/resources/{openid['id']}/scopes"))["_embedded"]["scopes"]
    wanted = [{"id": s["id"]} for s in scopes if s["name"] in ("openid", "profile")]
    ok(
        api.post(
            f"/applications/{application_id}/grants",
            json={"resource": {"id": openid["id"]}, "scopes": wanted},
        ),
        201,
    )


def tenant(
    server: Server, make_application: Callable[[httpx.Client], str]
) -> tuple[str, str, dict[str, Any]]:
    """A new environment with the application `make_application` creates, and a user: (environment
    id, client id, user)."""
    with admin_client(server) as org:
        body = {"name": f"cors-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"}
        env = ok(org.post("/environments", json=body), 201)["id"]
        api = httpx.Client(
            base_url=f"{server.api_path}/environments/{env}", headers=org.headers, timeout=30
        )
        with api:
            return env, make_application(api), person(api)


def person(api: httpx.Client) -> dict[str, Any]:
    name = f"ada_{secrets.token_hex(4)}"
    user = ok(api.post("/users", json={"username": name, "email": f"{name}@example.com"}), 201)
    ok(
        api.put(
            f"/users/{user['id']}/password",
            json={"value": PASSWORD, "forceChange": False},
            headers={"Content-Type": "application/vnd.pingidentity.password.set+json"},
        )
    )
    return user


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
    app = ok(
        api.post(
            "/applications",
            json={
                "enabled": True,
                "name": f"spa-{secrets.token_hex(4)}",
                "type": "SINGLE_PAGE_APP",
                "protocol": "OPENID_CONNECT",
                "grantTypes": ["AUTHORIZATION_CODE"],
                "responseTypes": ["CODE"],
                "redirectUris": [redirect_uri],
                "tokenEndpointAuthMethod": "NONE",
                "corsSettings": {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": [origin]},
            },
        ),
        201,
    )
    grant_openid(api, app["id"])
    policy = ok(api.post("/signOnPolicies", json={"name": f"login_{secrets.token_hex(4)}"}), 201)
    ok(
        api.post(
            f"/signOnPolicies/{policy['id']}/actions",
            json={"priority": 1, "type": "LOGIN", "recovery": {"enabled": False}},
        ),
        201,
    )
    ok(
        api.post(
            f"/applications/{app['id']}/signOnPolicyAssignments",
            json={"priority": 1, "signOnPolicy": {"id": policy["id"]}},
        ),
        201,
    )
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
