"""The hosted sign-on page against a real `gatehouse serve`: an environment, applications and
sign-on policies made through the management API, a loopback "client" that receives the
authorization response, and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.support.server import Server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PASSWORD = "Gatehouse-Tests-42!"
SET_PASSWORD = "application/vnd.pingidentity.password.set+json"


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


# --- the client application's redirect URI ------------------------------------------------------


class _Callback(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>Client</title><h1>Signed in</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def redirect_uri() -> Iterator[str]:
    """A loopback HTTP server standing for the client: its /callback answers 200."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Callback)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/callback"
    finally:
        httpd.shutdown()
        httpd.server_close()


def callback_query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# --- the tenant ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin_api(server: Server) -> Iterator[httpx.Client]:
    token = httpx.post(
        server.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(server.client_id, server.client_secret),
    ).json()["access_token"]
    with httpx.Client(
        base_url=server.api_path, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture(scope="module")
def environment_id(admin_api: httpx.Client) -> str:
    body = {"name": f"ui-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"}
    return created(admin_api.post("/environments", json=body))["id"]


@dataclass
class Tenant:
    """One environment of the server, managed through its API."""

    server: Server
    api: httpx.Client  # relative to /v1/environments/{envId}
    environment_id: str
    redirect_uri: str

    def population(self, password_policy: str | None = None) -> str:
        body: dict[str, Any] = {"name": f"people-{secrets.token_hex(4)}"}
        if password_policy:
            policies = self.api.get("/passwordPolicies").json()["_embedded"]["passwordPolicies"]
            policy = next(item for item in policies if item["name"] == password_policy)
            body["passwordPolicy"] = {"id": policy["id"]}
        return created(self.api.post("/populations", json=body))["id"]

    def user(self, population_id: str, *, password: str = PASSWORD, **attributes: Any) -> dict:
        username = attributes.pop("username", f"user-{secrets.token_hex(4)}")
        body = {
            "username": username,
            "email": f"{username}@example.com",
            "population": {"id": population_id},
            **attributes,
        }
        user = created(self.api.post("/users", json=body))
        response = self.api.put(
            f"/users/{user['id']}/password",
            json={"value": password, "forceChange": False},
            headers={"Content-Type": SET_PASSWORD},
        )
        assert response.status_code == 200, response.text
        return user

    def client(self, *actions: dict[str, Any], name: str | None = None) -> dict[str, Any]:
        """A web application whose sign-on policy runs `actions` (in order)."""
        application = created(
            self.api.post(
                "/applications",
                json={
                    "enabled": True,
                    "name": name or f"Web app {secrets.token_hex(4)}",
                    "type": "WEB_APP",
                    "protocol": "OPENID_CONNECT",
                    "grantTypes": ["AUTHORIZATION_CODE"],
                    "responseTypes": ["CODE"],
                    "redirectUris": [self.redirect_uri],
                    "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
                },
            )
        )
        self._grant_openid(application["id"])
        policy = created(
            self.api.post("/signOnPolicies", json={"name": f"policy_{secrets.token_hex(4)}"})
        )
        for priority, action in enumerate(actions, start=1):
            created(
                self.api.post(
                    f"/signOnPolicies/{policy['id']}/actions",
                    json={"priority": priority, **action},
                )
            )
        created(
            self.api.post(
                f"/applications/{application['id']}/signOnPolicyAssignments",
                json={"priority": 1, "signOnPolicy": {"id": policy["id"]}},
            )
        )
        secret = self.api.get(f"/applications/{application['id']}/secret").json()["secret"]
        return {**application, "secret": secret}

    def _grant_openid(self, application_id: str) -> None:
        resources = self.api.get("/resources").json()["_embedded"]["resources"]
        openid = next(resource for resource in resources if resource["name"] == "openid")
        scopes = self.api.get(f"/resources/{openid['id']}/scopes").json()["_embedded"]["scopes"]
        wanted = [scope for scope in scopes if scope["name"] in ("openid", "profile", "email")]
        created(
            self.api.post(
                f"/applications/{application_id}/grants",
                json={
                    "resource": {"id": openid["id"]},
                    "scopes": [{"id": scope["id"]} for scope in wanted],
                },
            )
        )

    def authorize_url(self, application: dict[str, Any], state: str = "opaque-state") -> str:
        query = urlencode(
            {
                "client_id": application["id"],
                "response_type": "code",
                "scope": "openid profile email",
                "redirect_uri": self.redirect_uri,
                "state": state,
            }
        )
        return f"{self.server.base_url}/{self.environment_id}/as/authorize?{query}"

    def exchange(self, application: dict[str, Any], code: str) -> httpx.Response:
        return httpx.post(
            f"{self.server.base_url}/{self.environment_id}/as/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
            },
            auth=(application["id"], application["secret"]),
        )

    def latest_code(self, recipient: str, template: str) -> str:
        """The code of the newest message of `template` to `recipient`, from the outbox API."""
        response = self.api.get("/outbox", params={"recipient": recipient, "limit": 10})
        assert response.status_code == 200, response.text
        messages = [
            message
            for message in response.json()["_embedded"]["messages"]
            if message["template"] == template
        ]
        assert messages, f"no {template} message to {recipient}"
        match = re.search(r"^ {4}(\S+) *$", messages[0]["body"], re.MULTILINE)
        assert match, messages[0]["body"]
        return match.group(1)


@pytest.fixture(scope="module")
def tenant(
    server: Server, admin_api: httpx.Client, environment_id: str, redirect_uri: str
) -> Iterator[Tenant]:
    with httpx.Client(
        base_url=f"{server.api_path}/environments/{environment_id}",
        headers=dict(admin_api.headers),
        timeout=30,
    ) as api:
        yield Tenant(server, api, environment_id, redirect_uri)


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: apt-get update && apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context (its own cookies)."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
