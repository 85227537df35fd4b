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
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.server import Server, worker_token

PASSWORD = "2FederateM0re!"
REDIRECT_URI = "https://example.com"
FLOW_MEDIA = "application/vnd.pingidentity.{}+json"
DISCOVER = "application/vnd.pingidentity.openid-configuration.discover+json"
CODE = re.compile(r"\b[A-Z2-9]{8}\b")
PASSCODE = re.compile(r"\b\d{6,8}\b")


def admin_client(server: Server) -> httpx.Client:
    """The bootstrap worker, talking to {{apiPath}}/environments/{{envID}}."""
    return httpx.Client(
        base_url=f"{server.api_path}/environments/{server.environment_id}",
        headers={"Authorization": f"Bearer {worker_token(server)}"},
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


def oidc_application(api: httpx.Client, name: str, **settings: Any) -> dict[str, Any]:
    """POST /applications: an enabled OPENID_CONNECT WEB_APP (authorization code, redirect URI
    REDIRECT_URI, CLIENT_SECRET_BASIC); `settings` add to or replace what it says."""
    body: dict[str, Any] = {
        "enabled": True,
        "name": name,
        "type": "WEB_APP",
        "protocol": "OPENID_CONNECT",
        "grantTypes": ["AUTHORIZATION_CODE"],
        "responseTypes": ["CODE"],
        "redirectUris": [REDIRECT_URI],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
    }
    return created(api.post("/applications", json={**body, **settings}))


def client_with_scopes(
    api: httpx.Client, scopes: list[str], redirect_uri: str = REDIRECT_URI
) -> tuple[str, str]:
    """A web application granted those openid scopes: its client id and secret."""
    app = oidc_application(api, f"app-{suffix()}", redirectUris=[redirect_uri])
    grant_openid_scopes(api, app["id"], *scopes)
    return app["id"], ok(api.get(f"/applications/{app['id']}/secret"))["secret"]


def discovered_oidc_provider(
    api: httpx.Client, issuer: str, client: tuple[str, str], population_id: str, **settings: Any
) -> dict[str, Any]:
    """An enabled OPENID_CONNECT identity provider for `issuer`, its endpoints read with the
    openid-configuration.discover media type, signing on with `client` (id, secret), PKCE S256,
    provisioning into the population; `settings` add to or replace what it says."""
    metadata = ok(
        api.post("/identityProviders", json={"url": issuer}, headers={"Content-Type": DISCOVER})
    )
    body = {
        "type": "OPENID_CONNECT",
        "name": f"Upstream {suffix()}",
        "enabled": True,
        "issuer": metadata["issuer"],
        "authorizationEndpoint": metadata["authorization_endpoint"],
        "tokenEndpoint": metadata["token_endpoint"],
        "jwksEndpoint": metadata["jwks_uri"],
        "userInfoEndpoint": metadata["userinfo_endpoint"],
        "clientId": client[0],
        "clientSecret": client[1],
        "scopes": ["openid", "profile", "email"],
        "pkceMethod": "S256",
        "registration": {"population": {"id": population_id}},
    }
    return ok(api.post("/identityProviders", json={**body, **settings}))


def grant_openid_scopes(api: httpx.Client, application_id: str, *scopes: str) -> None:
    """Grant the application those scopes of the openid resource."""
    resource_id, scope_ids = scopes_of(api, "openid", *scopes)
    grant(api, application_id, resource_id, scope_ids)


def assign_policy(api: httpx.Client, application_id: str, policy_id: str) -> None:
    created(
        api.post(
            f"/applications/{application_id}/signOnPolicyAssignments",
            json={"priority": 1, "signOnPolicy": {"id": policy_id}},
        )
    )


def policy_for(
    api: httpx.Client, application_id: str, name: str, *actions: dict[str, Any]
) -> dict[str, Any]:
    """A sign-on policy with these actions (priorities 1, 2, ...), assigned to the application."""
    policy = created(api.post("/signOnPolicies", json={"name": f"{name}_{suffix()}"}))
    for priority, action in enumerate(actions, start=1):
        created(
            api.post(
                f"/signOnPolicies/{policy['id']}/actions", json={"priority": priority, **action}
            )
        )
    assign_policy(api, application_id, policy["id"])
    return policy


def grant(api: httpx.Client, application_id: str, resource_id: str, scope_ids: list[str]) -> None:
    created(
        api.post(
            f"/applications/{application_id}/grants",
            json={"resource": {"id": resource_id}, "scopes": [{"id": i} for i in scope_ids]},
        )
    )


def user_with_password(
    api: httpx.Client,
    population_id: str | None = None,
    *,
    password: str = PASSWORD,
    **attributes: Any,
) -> dict[str, Any]:
    """Create a user with those attributes (and set its password with POST, as the seeds do)."""
    name = f"user_{suffix()}"
    body: dict[str, Any] = {"username": name, "email": f"{name}@example.com", **attributes}
    if population_id:
        body["population"] = {"id": population_id}
    user = created(api.post("/users", json=body))
    ok(
        api.post(
            f"/users/{user['id']}/password",
            json={"value": password, "forceChange": False},
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


def authorize(
    user_agent: httpx.Client,
    client_id: str,
    scope: str = "openid",
    *,
    endpoint: str = "/as/authorize",
    **params: str,
) -> str:
    """GET /as/authorize (or `endpoint`, another environment's) for a code (redirect URI
    REDIRECT_URI unless `params` say otherwise): the flowId of the sign-on page it redirects to."""
    query = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        **params,
    }
    return flow_id_of(user_agent.get(endpoint, params=query))


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


def code_tokens(
    issuer: str, client: tuple[str, str], code: str, redirect_uri: str = REDIRECT_URI
) -> dict[str, Any]:
    """The authorization code grant at `{issuer}/token`, the client authenticating with Basic."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return ok(httpx.post(f"{issuer}/token", data=data, auth=client))


def verified_claims(issuer: str, id_token: str) -> dict[str, Any]:
    """A token's claims, its signature checked against `{issuer}/jwks`."""
    keys = KeySet.import_key_set(httpx.get(f"{issuer}/jwks").json())
    return dict(jwt.decode(id_token, keys).claims)


def issuer_of(server: Server, environment_id: str | None = None) -> str:
    """{{authPath}}/{{envID}}/as (the bootstrap environment's unless another is named)."""
    return f"{server.base_url}/{environment_id or server.environment_id}/as"


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def fragment_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).fragment).items()}


def pkce_pair() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(48)).decode().rstrip("=")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


def newest_message(
    api: httpx.Client, recipient: str, template: str, code: re.Pattern[str] = CODE
) -> tuple[str, str]:
    """The newest message of `template` sent to `recipient` (its body and the code in it), read
    from the outbox as a developer would."""
    page = ok(api.get("/outbox", params={"recipient": recipient}))
    messages = [m for m in page["_embedded"]["messages"] if m["template"] == template]
    assert messages, page
    match = code.search(messages[0]["body"])
    assert match, messages[0]["body"]
    return messages[0]["body"], match.group(0)


def mailed_code(api: httpx.Client, recipient: str, template: str) -> str:
    """The newest code e-mailed to `recipient`."""
    return newest_message(api, recipient, template)[1]


def passcode(api: httpx.Client, recipient: str, template: str = "strong_authentication") -> str:
    """The newest one-time passcode (6 to 8 digits) sent to `recipient`."""
    return newest_message(api, recipient, template, PASSCODE)[1]
