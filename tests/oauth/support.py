"""What the authorization server tests build on: applications, grants and users made through the
management API, and authorization codes issued for a user by issuance.authorization_response (the
function /as/authorize and /as/resume end with)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from gatehouse.applications.models import Application
from gatehouse.environments.models import Environment
from gatehouse.oauth.issuance import authorization_response
from gatehouse.oauth.requests import Authentication, AuthorizeRequest
from gatehouse.sessions.models import Session
from tests.support.api import Api

REDIRECT_URI = "https://rp.example.com/callback"
PASSWORD = "Corr3ct-Horse-Battery!"
PASSWORD_SET = "application/vnd.pingidentity.password.set+json"


@dataclass
class Client:
    id: str
    secret: str | None
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.id, self.secret) if self.secret else None


async def resource_named(admin: Api, env: str, name: str) -> dict[str, Any]:
    listed = (await admin.get(f"/environments/{env}/resources")).json()
    return next(r for r in listed["_embedded"]["resources"] if r["name"] == name)


async def scope_ids(admin: Api, env: str, resource_id: str) -> dict[str, str]:
    listed = (await admin.get(f"/environments/{env}/resources/{resource_id}/scopes")).json()
    return {scope["name"]: scope["id"] for scope in listed["_embedded"]["scopes"]}


async def grant(admin: Api, env: str, client_id: str, resource: str, *names: str) -> None:
    """Grant the application scopes of the resource named `resource`."""
    found = await resource_named(admin, env, resource)
    ids = await scope_ids(admin, env, found["id"])
    await admin.create(
        f"/environments/{env}/applications/{client_id}/grants",
        {"resource": {"id": found["id"]}, "scopes": [{"id": ids[name]} for name in names]},
    )


async def oidc_client(
    admin: Api,
    env: str,
    *,
    kind: str = "WEB_APP",
    scopes: tuple[str, ...] = ("openid", "profile", "email", "address", "phone"),
    **config: Any,
) -> Client:
    """An enabled OIDC application signing users on with the code grant (and refresh tokens),
    granted `scopes` of the openid resource."""
    body: dict[str, Any] = {
        "name": f"rp-{secrets.token_hex(4)}",
        "enabled": True,
        "protocol": "OPENID_CONNECT",
        "type": kind,
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        "responseTypes": ["CODE"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
        "redirectUris": [REDIRECT_URI],
        **config,
    }
    created = await admin.create(f"/environments/{env}/applications", body)
    secret = None
    if body["tokenEndpointAuthMethod"] != "NONE":
        read = await admin.get(f"/environments/{env}/applications/{created['id']}/secret")
        secret = read.json()["secret"]
    if scopes:
        await grant(admin, env, created["id"], "openid", *scopes)
    return Client(created["id"], secret, body)


async def user(admin: Api, env: str, **fields: Any) -> dict[str, Any]:
    """A user with a password (PASSWORD)."""
    body = {"username": f"user-{secrets.token_hex(4)}", **fields}
    created = await admin.create(f"/environments/{env}/users", body)
    response = await admin.put(
        f"/environments/{env}/users/{created['id']}/password",
        json={"value": PASSWORD, "forceChange": False},
        media_type=PASSWORD_SET,
    )
    assert response.status_code == 200, response.text
    return created


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


async def sign_on_session(app: Any, env: str, user_id: str) -> str:
    """A sign-on session row (what the ST cookie names), for the sid claim."""
    runtime = app.state.runtime
    from gatehouse.common import clock

    now = clock.now()
    async with runtime.sessions() as session, session.begin():
        row = Session(
            environment_id=uuid.UUID(env),
            user_id=uuid.UUID(user_id),
            token_digest=secrets.token_hex(32),
            authenticated_at=now,
            last_used_at=now,
            expires_at=now.replace(year=now.year + 1),
            amr=["pwd"],
        )
        session.add(row)
    return str(row.id)


async def authorize(
    app: Any,
    env: str,
    client: Client,
    user_id: str,
    *,
    scope: str = "openid profile email",
    response_type: tuple[str, ...] = ("code",),
    redirect_uri: str | None = REDIRECT_URI,
    nonce: str | None = "n-0S6_WzA2Mj",
    state: str | None = "af0ifjsldkj",
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
    session_id: str | None = None,
    acr: str | None = "Single_Factor",
    amr: tuple[str, ...] = ("pwd",),
) -> dict[str, str]:
    """The authorization response for a user who has just signed on."""
    runtime = app.state.runtime
    request = AuthorizeRequest(
        client_id=client.id,
        response_type=response_type,
        response_mode="query",
        redirect_uri=redirect_uri,
        scope=tuple(scope.split()),
        state=state,
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
    )
    authn = Authentication(user_id, session_id, int(time.time()) - 5, acr, amr)
    async with runtime.sessions() as session, session.begin():
        environment = await session.get(Environment, uuid.UUID(env))
        application = await session.get(Application, uuid.UUID(client.id))
        assert environment is not None and application is not None
        return await authorization_response(
            session, runtime, environment, application, request, authn, issuer(env)
        )


def issuer(env: str) -> str:
    return f"http://testserver/{env}/as"


async def token(http: httpx.AsyncClient, env: str, client: Client, **form: str) -> httpx.Response:
    """POST /as/token, authenticating as the client does (Basic, or client_id alone)."""
    if client.auth is None:
        form = {"client_id": client.id, **form}
    return await http.post(
        f"/{env}/as/token", data=form, auth=client.auth or httpx.USE_CLIENT_DEFAULT
    )


async def exchange(
    http: httpx.AsyncClient, env: str, client: Client, code: str, **form: str
) -> httpx.Response:
    return await token(
        http,
        env,
        client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT_URI,
        **form,
    )


async def keys(http: httpx.AsyncClient, env: str) -> KeySet:
    return KeySet.import_key_set((await http.get(f"/{env}/as/jwks")).json())


async def claims_of(http: httpx.AsyncClient, env: str, token_value: str) -> dict[str, Any]:
    return dict(jwt.decode(token_value, await keys(http, env)).claims)


async def tokens_for(
    app: Any, http: httpx.AsyncClient, env: str, client: Client, user_id: str, **authorize_args: Any
) -> dict[str, Any]:
    """A token response for the user: a code issued, then redeemed."""
    code = (await authorize(app, env, client, user_id, **authorize_args))["code"]
    response = await exchange(http, env, client, code)
    assert response.status_code == 200, response.text
    return response.json()


async def userinfo(http: httpx.AsyncClient, env: str, access_token: str) -> httpx.Response:
    return await http.get(
        f"/{env}/as/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )


async def introspect(
    http: httpx.AsyncClient, env: str, auth: tuple[str, str], token_value: str, **form: str
) -> dict[str, Any]:
    response = await http.post(
        f"/{env}/as/introspect", data={"token": token_value, **form}, auth=auth
    )
    assert response.status_code == 200, response.text
    return response.json()
