"""The hosted sign-on page against a real `gatehouse serve`: an environment, applications and
sign-on policies made through the management API, a loopback "client" that receives the
authorization response, and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.e2e.support import grant_openid_scopes, oidc_application, policy_for
from tests.support.browser import SIGNED_IN, launched_chromium, loopback_server
from tests.support.server import Server, organization_client

PASSWORD = "Gatehouse-Tests-42!"
SET_PASSWORD = "application/vnd.pingidentity.password.set+json"


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


# --- the client application's redirect URI ------------------------------------------------------


@pytest.fixture(scope="module")
def redirect_uri() -> Iterator[str]:
    """A loopback HTTP server standing for the client: its /callback answers 200."""
    with loopback_server(SIGNED_IN) as port:
        yield f"http://127.0.0.1:{port}/callback"


def callback_query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


# --- the tenant ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin_api(server: Server) -> Iterator[httpx.Client]:
    with organization_client(server) as client:
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
        application = oidc_application(
            self.api, name or f"Web app {secrets.token_hex(4)}", redirectUris=[self.redirect_uri]
        )
        grant_openid_scopes(self.api, application["id"], "openid", "profile", "email")
        policy_for(self.api, application["id"], "policy", *actions)
        secret = self.api.get(f"/applications/{application['id']}/secret").json()["secret"]
        return {**application, "secret": secret}

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
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context (its own cookies)."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
