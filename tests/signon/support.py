"""What the sign-on tests build on: applications, grants, users, passwords and sign-on policies made
through the management API; a browser (its own cookie jar, no redirects followed) talking to
/as/authorize, the flows API and /as/resume in process; and the codes the outbox holds."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import sqlalchemy as sa

from gatehouse.notifications.models import OutboxMessage
from tests.support.api import Api

REDIRECT_URI = "https://app.example.com/callback"
PASSWORD = "Gatehouse-Sign0n!"
NEW_PASSWORD = "An0ther-Long-Passw0rd!"
PASSWORD_SET = "application/vnd.pingidentity.password.set+json"
FLOW_MEDIA = "application/vnd.pingidentity.{}+json"


@dataclass
class Client:
    id: str
    secret: str | None


async def resource_scopes(admin: Api, env: str, resource: str) -> tuple[str, dict[str, str]]:
    resources = (await admin.get(f"/environments/{env}/resources")).json()
    found = next(r for r in resources["_embedded"]["resources"] if r["name"] == resource)
    scopes = (await admin.get(f"/environments/{env}/resources/{found['id']}/scopes")).json()
    return found["id"], {scope["name"]: scope["id"] for scope in scopes["_embedded"]["scopes"]}


async def grant(admin: Api, env: str, client_id: str, resource: str, *names: str) -> None:
    resource_id, ids = await resource_scopes(admin, env, resource)
    await admin.create(
        f"/environments/{env}/applications/{client_id}/grants",
        {"resource": {"id": resource_id}, "scopes": [{"id": ids[name]} for name in names]},
    )


async def application(
    admin: Api,
    env: str,
    *,
    scopes: tuple[str, ...] = ("openid", "profile", "email"),
    **config: Any,
) -> Client:
    """A web application with the code grant, granted `scopes` of the openid resource."""
    body: dict[str, Any] = {
        "name": f"app-{secrets.token_hex(4)}",
        "enabled": True,
        "protocol": "OPENID_CONNECT",
        "type": "WEB_APP",
        "grantTypes": ["AUTHORIZATION_CODE"],
        "responseTypes": ["CODE"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
        "redirectUris": [REDIRECT_URI],
        **config,
    }
    created = await admin.create(f"/environments/{env}/applications", body)
    secret = None
    if body["tokenEndpointAuthMethod"] != "NONE":
        secret = (
            await admin.get(f"/environments/{env}/applications/{created['id']}/secret")
        ).json()["secret"]
    if scopes:
        await grant(admin, env, created["id"], "openid", *scopes)
    return Client(created["id"], secret)


async def user(
    admin: Api, env: str, password: str | None = PASSWORD, **fields: Any
) -> dict[str, Any]:
    body = {
        "username": f"user-{secrets.token_hex(4)}",
        "email": f"{secrets.token_hex(4)}@example.com",
        **fields,
    }
    created = await admin.create(f"/environments/{env}/users", body)
    if password is not None:
        response = await admin.put(
            f"/environments/{env}/users/{created['id']}/password",
            json={"value": password, "forceChange": False},
            media_type=PASSWORD_SET,
        )
        assert response.status_code == 200, response.text
    return created


async def policy(
    admin: Api, env: str, actions: list[dict[str, Any]], *, name: str | None = None
) -> dict[str, Any]:
    created = await admin.create(
        f"/environments/{env}/signOnPolicies", {"name": name or f"policy_{secrets.token_hex(4)}"}
    )
    for priority, action in enumerate(actions, start=1):
        await admin.create(
            f"/environments/{env}/signOnPolicies/{created['id']}/actions",
            {"priority": priority, **action},
        )
    return created


async def assign(admin: Api, env: str, client_id: str, policy_id: str, priority: int = 1) -> None:
    await admin.create(
        f"/environments/{env}/applications/{client_id}/signOnPolicyAssignments",
        {"signOnPolicy": {"id": policy_id}, "priority": priority},
    )


async def policy_for(
    admin: Api, env: str, client_id: str, actions: list[dict[str, Any]]
) -> dict[str, Any]:
    created = await policy(admin, env, actions)
    await assign(admin, env, client_id, created["id"])
    return created


LOGIN = {"type": "LOGIN", "recovery": {"enabled": True}}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def fragment_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).fragment).items()}


class Browser:
    """One browser: its own cookies; redirects are returned, not followed."""

    def __init__(self, app: Any, env: str) -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.http = httpx.AsyncClient(
            transport=transport, base_url="http://testserver", follow_redirects=False
        )
        self.env = env

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.http.aclose()

    async def authorize(self, client: Client | str, **params: Any) -> httpx.Response:
        client_id = client.id if isinstance(client, Client) else client
        query = {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile",
            "state": "xyz",
            **params,
        }
        return await self.http.get(
            f"/{self.env}/as/authorize", params={k: v for k, v in query.items() if v is not None}
        )

    async def start(self, client: Client | str, **params: Any) -> str:
        """Authorize and return the flow id of the sign-on page it redirects to."""
        response = await self.authorize(client, **params)
        assert response.status_code == 302, response.text
        return query_of(response.headers["location"])["flowId"]

    async def flow(self, flow_id: str) -> httpx.Response:
        return await self.http.get(f"/{self.env}/flows/{flow_id}")

    async def act(self, flow_id: str, action: str, body: Any = None) -> httpx.Response:
        return await self.http.post(
            f"/{self.env}/flows/{flow_id}",
            json=body,
            headers={"Content-Type": FLOW_MEDIA.format(action)},
        )

    async def sign_on(
        self, flow_id: str, username: str, password: str = PASSWORD
    ) -> dict[str, Any]:
        response = await self.act(
            flow_id, "usernamePassword.check", {"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def resume(self, flow_id: str) -> httpx.Response:
        return await self.http.get(f"/{self.env}/as/resume", params={"flowId": flow_id})

    async def code_for(self, client: Client | str, username: str, **params: Any) -> dict[str, str]:
        """The whole sign-on: authorize, the password, resume; the response's query."""
        flow_id = await self.start(client, **params)
        assert (await self.sign_on(flow_id, username))["status"] == "COMPLETED"
        resumed = await self.resume(flow_id)
        assert resumed.status_code == 302, resumed.text
        return query_of(resumed.headers["location"])


async def exchange(
    http: httpx.AsyncClient, env: str, client: Client, code: str, **form: str
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **form}
    if client.secret is None:
        return await http.post(f"/{env}/as/token", data={**data, "client_id": client.id})
    return await http.post(f"/{env}/as/token", data=data, auth=(client.id, client.secret))


async def outbox(app: Any, env: str, recipient: str) -> list[OutboxMessage]:
    async with app.state.runtime.sessions() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.environment_id == uuid.UUID(env),
                OutboxMessage.recipient == recipient,
            )
            .order_by(OutboxMessage.created_at)
        )
        return list(rows)


async def last_code(app: Any, env: str, recipient: str, template: str) -> str:
    messages = [m for m in await outbox(app, env, recipient) if m.template == template]
    assert messages, f"no {template} message to {recipient}"
    return messages[-1].variables["code"]
