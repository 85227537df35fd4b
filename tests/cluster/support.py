"""What the cluster tests share: more nodes on a running node's database, and the requests every
test repeats (tokens, key ids, a browserless login through the flows API)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx

from tests.e2e.support import PASSWORD, REDIRECT_URI, created, grant, ok, scopes_of, suffix
from tests.support.server import Server, free_port, wait_until_serving

FLOW_MEDIA = "application/vnd.pingidentity.{}+json"


@dataclass
class Cluster:
    first: Server
    second: Server


@contextmanager
def extra_node(node: Server, *options: str) -> Iterator[Server]:
    """Another `gatehouse serve [options]` on `node`'s database and secret key, on a port of its
    own."""
    port = free_port()
    env = {**node.env, "GATEHOUSE_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "-m", "gatehouse", "serve", *options], env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process)
        yield replace(node, base_url=base_url, process=process, env=env)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def admin(node: Server) -> httpx.Client:
    """The bootstrap worker on `node`, for {{apiPath}}/environments/{{envID}}."""
    token = client_credentials(node, node.client_id, node.client_secret)
    assert token.status_code == 200, token.text
    return httpx.Client(
        base_url=f"{node.api_path}/environments/{node.environment_id}",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=30,
    )


def client_credentials(node: Server, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        node.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        timeout=30,
    )


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def published_kids(node: Server) -> list[str]:
    jwks = ok(httpx.get(f"{node.base_url}/{node.environment_id}/as/jwks", timeout=30))
    return [key["kid"] for key in jwks["keys"]]


@dataclass
class WebApp:
    id: str
    secret: str


def web_app(api: httpx.Client) -> WebApp:
    """An OIDC web application (code and refresh grants) granted the openid scopes."""
    application = created(
        api.post(
            "/applications",
            json={
                "name": f"cluster-{suffix()}",
                "enabled": True,
                "type": "WEB_APP",
                "protocol": "OPENID_CONNECT",
                "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
                "responseTypes": ["CODE"],
                "redirectUris": [REDIRECT_URI],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
            },
        )
    )
    resource, scopes = scopes_of(api, "openid", "openid", "profile", "email")
    grant(api, application["id"], resource, scopes)
    secret = ok(api.get(f"/applications/{application['id']}/secret"))["secret"]
    return WebApp(application["id"], secret)


WORKER = {
    "enabled": True,
    "type": "WORKER",
    "protocol": "OPENID_CONNECT",
    "grantTypes": ["CLIENT_CREDENTIALS"],
    "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
}


def worker(api: httpx.Client) -> WebApp:
    application = created(
        api.post(
            "/applications",
            json={"name": f"cluster-worker-{suffix()}", **WORKER},
        )
    )
    secret = ok(api.get(f"/applications/{application['id']}/secret"))["secret"]
    return WebApp(application["id"], secret)


def browser() -> httpx.Client:
    """A user agent: keeps its cookies (hosts, not ports, scope them: every node gets them, as
    behind a load balancer), does not follow redirects."""
    return httpx.Client(follow_redirects=False, timeout=30)


def auth_url(node: Server, path: str) -> str:
    return f"{node.base_url}/{node.environment_id}{path}"


def start_login(agent: httpx.Client, node: Server, app: WebApp) -> str:
    """authorize with response_mode=pi.flow on `node`: the flow's id."""
    response = agent.get(
        auth_url(node, "/as/authorize"),
        params={
            "response_mode": "pi.flow",
            "response_type": "code",
            "client_id": app.id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile",
        },
    )
    body = ok(response)
    assert body["status"] == "USERNAME_PASSWORD_REQUIRED", body
    return str(body["id"])


def check_password(agent: httpx.Client, node: Server, flow_id: str, username: str) -> None:
    response = agent.post(
        auth_url(node, f"/flows/{flow_id}"),
        content=json.dumps({"username": username, "password": PASSWORD}),
        headers={"Content-Type": FLOW_MEDIA.format("usernamePassword.check")},
    )
    assert ok(response)["status"] == "COMPLETED", response.text


def finish_login(agent: httpx.Client, node: Server, app: WebApp, flow_id: str) -> dict[str, Any]:
    """resume (pi.flow: the authorization response in JSON) and the code grant, on `node`."""
    resumed = ok(agent.get(auth_url(node, "/as/resume"), params={"flowId": flow_id}))
    code = resumed["authorizeResponse"]["code"]
    tokens = httpx.post(
        node.token_endpoint,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=(app.id, app.secret),
        timeout=30,
    )
    return ok(tokens)
