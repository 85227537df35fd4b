"""What the end-to-end seed tests share: an administrator and a browser, both plain HTTP clients of
a real `gatehouse serve`, and the steps every sign-on repeats."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.server import Server

PASSWORD = "2FederateM0re!"
REDIRECT_URI = "https://example.com"
FLOW_MEDIA = "application/vnd.pingidentity.{}+json"
CODE = re.compile(r"\b[A-Z2-9]{8}\b")


def admin_client(server: Server) -> httpx.Client:
    """The bootstrap worker, talking to {{apiPath}}/environments/{{envID}}."""
    token = httpx.post(
        server.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(server.client_id, server.client_secret),
    ).json()["access_token"]
    return httpx.Client(
        base_url=f"{server.api_path}/environments/{server.environment_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def browser(server: Server) -> httpx.Client:
    """A user agent: keeps its cookies, does not follow redirects (as Postman is set up)."""
    return httpx.Client(
        base_url=f"{server.base_url}/{server.environment_id}", follow_redirects=False, timeout=30
    )


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def suffix() -> str:
    return secrets.token_hex(4)


def scopes_of(api: httpx.Client, resource_name: str, *names: str) -> tuple[str, list[str]]:
    """The id of a resource and the ids of some of its scopes (seed steps "Get all resources",
    "Get all scopes")."""
    resources = ok(api.get("/resources"))["_embedded"]["resources"]
    resource = next(r for r in resources if r["name"] == resource_name)
    scopes = ok(api.get(f"/resources/{resource['id']}/scopes"))["_embedded"]["scopes"]
    ids = [scope["id"] for scope in scopes if scope["name"] in names]
    assert len(ids) == len(names), scopes
    return resource["id"], ids


def grant(api: httpx.Client, application_id: str, resource_id: str, scope_ids: list[str]) -> None:
    created(
        api.post(
            f"/applications/{application_id}/grants",
            json={"resource": {"id": resource_id}, "scopes": [{"id": i} for i in scope_ids]},
        )
    )


def user_with_password(api: httpx.Client, population_id: str | None = None) -> dict[str, Any]:
    """Create a user (and set its password with POST, as the seeds do)."""
    name = f"user_{suffix()}"
    body: dict[str, Any] = {"username": name, "email": f"{name}@example.com"}
    if population_id:
        body["population"] = {"id": population_id}
    user = created(api.post("/users", json=body))
    ok(
        api.post(
            f"/users/{user['id']}/password",
            json={"value": PASSWORD, "forceChange": False},
            headers={"Content-Type": "application/vnd.pingidentity.password.set+json"},
        )
    )
    return user


def flow_id_of(response: httpx.Response) -> str:
    """The flowId of the hosted sign-on page /as/authorize redirects to."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert "/signon/" in location, location
    return parse_qs(urlsplit(location).query)["flowId"][0]


def act(user_agent: httpx.Client, flow_id: str, action: str, body: Any = None) -> httpx.Response:
    return user_agent.post(
        f"/flows/{flow_id}", json=body, headers={"Content-Type": FLOW_MEDIA.format(action)}
    )


def sign_on(user_agent: httpx.Client, flow_id: str, username: str) -> dict[str, Any]:
    return ok(
        act(
            user_agent,
            flow_id,
            "usernamePassword.check",
            {"username": username, "password": PASSWORD},
        )
    )


def resume(user_agent: httpx.Client, flow_id: str) -> str:
    """The resume endpoint's redirect to the client: its Location."""
    response = user_agent.get("/as/resume", params={"flowId": flow_id})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def fragment_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def pkce_pair() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).decode().rstrip("=")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


def mailed_code(api: httpx.Client, recipient: str, template: str) -> str:
    """The newest code e-mailed to `recipient`, read from the outbox as a developer would."""
    page = ok(api.get("/outbox", params={"recipient": recipient}))
    messages = [m for m in page["_embedded"]["messages"] if m["template"] == template]
    assert messages, page
    match = CODE.search(messages[0]["body"])
    assert match, messages[0]["body"]
    return match.group(0)
