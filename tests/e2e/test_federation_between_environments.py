"""Federated sign-on between two environments of one real server: environment A is the upstream
OpenID Provider (a user with a password, an OIDC application whose redirect URI is B's callback);
environment B has an OPENID_CONNECT identity provider pointing at A and a sign-on policy with an
IDENTITY_PROVIDER action. The browser is driven by hand (cookies kept, redirects followed one by
one)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from tests.e2e.support import (
    FLOW_MEDIA,
    PASSWORD,
    authorize,
    client_with_scopes,
    code_tokens,
    created,
    discovered_oidc_provider,
    ok,
    policy_for,
    query_of,
    suffix,
    verified_claims,
)
from tests.support.server import (
    OUTBOUND_TO_LOOPBACK,
    Server,
    new_environment,
    organization_client,
    server_fixture,
)

SCOPES = ["openid", "profile", "email"]


server = server_fixture(OUTBOUND_TO_LOOPBACK)


@dataclass
class Federation:
    server: Server
    a_api: httpx.Client
    b_api: httpx.Client
    a_env: str
    b_env: str
    population: str
    provider: dict[str, Any]
    client_id: str  # B's application
    client_secret: str
    upstream_client_id: str  # A's application

    def url(self, env: str, path: str) -> str:
        return f"{self.server.base_url}/{env}{path}"


def _provider(
    fed_server: Server, b_api: httpx.Client, a_env: str, client: tuple[str, str], population: str
) -> dict[str, Any]:
    issuer = f"{fed_server.base_url}/{a_env}/as"
    provider = discovered_oidc_provider(
        b_api, issuer, client, population, tokenEndpointAuthMethod="CLIENT_SECRET_BASIC"
    )
    for name, claim in (("email", "email"), ("name.given", "given_name")):
        created(
            b_api.post(
                f"/identityProviders/{provider['id']}/attributes",
                json={
                    "name": name,
                    "value": f"${{providerAttributes.{claim}}}",
                    "update": "ALWAYS",
                },
            )
        )
    return provider


@pytest.fixture(scope="module")
def federation(server: Server) -> Iterator[Federation]:
    with organization_client(server) as org:
        a_env, a_api = new_environment(server, org, "fed")
        b_env, b_api = new_environment(server, org, "fed")
    callback = f"{server.base_url}/{b_env}/rp/callback/openid_connect"
    upstream_client = client_with_scopes(a_api, SCOPES, callback)
    population = created(b_api.post("/populations", json={"name": f"Federated {suffix()}"}))["id"]
    provider = _provider(server, b_api, a_env, upstream_client, population)
    client_id, client_secret = client_with_scopes(b_api, SCOPES)
    action = {"type": "IDENTITY_PROVIDER", "identityProvider": {"id": provider["id"]}}
    policy_for(b_api, client_id, "Federated", action)
    yield Federation(
        server,
        a_api,
        b_api,
        a_env,
        b_env,
        population,
        provider,
        client_id,
        client_secret,
        upstream_client[0],
    )
    a_api.close()
    b_api.close()


def upstream_user(fed: Federation) -> dict[str, Any]:
    name = f"ada_{suffix()}"
    user = created(
        fed.a_api.post(
            "/users",
            json={
                "username": name,
                "email": f"{name}@example.com",
                "name": {"given": "Ada", "family": "Lovelace"},
            },
        )
    )
    ok(
        fed.a_api.post(
            f"/users/{user['id']}/password",
            json={"value": PASSWORD, "forceChange": False},
            headers={"Content-Type": "application/vnd.pingidentity.password.set+json"},
        )
    )
    return user


def location(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    return response.headers["location"]


def start_at_b(
    fed: Federation, agent: httpx.Client, client_id: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Authorize at B: the flow id and the flow."""
    endpoint = fed.url(fed.b_env, "/as/authorize")
    scope = " ".join(SCOPES)
    flow_id = authorize(
        agent, client_id or fed.client_id, scope, endpoint=endpoint, state="downstream"
    )
    return flow_id, ok(agent.get(fed.url(fed.b_env, f"/flows/{flow_id}")))


def sign_on_upstream(fed: Federation, agent: httpx.Client, upstream: str, username: str) -> str:
    """Follow the upstream authorization URL, sign on at A: A's redirect to B's callback."""
    flow_id = query_of(location(agent.get(upstream)))["flowId"]
    checked = agent.post(
        fed.url(fed.a_env, f"/flows/{flow_id}"),
        json={"username": username, "password": PASSWORD},
        headers={"Content-Type": FLOW_MEDIA.format("usernamePassword.check")},
    )
    assert ok(checked)["status"] == "COMPLETED"
    return location(agent.get(fed.url(fed.a_env, "/as/resume"), params={"flowId": flow_id}))


def b_tokens(fed: Federation, code: str) -> dict[str, Any]:
    return code_tokens(fed.url(fed.b_env, "/as"), (fed.client_id, fed.client_secret), code)


def b_claims(fed: Federation, id_token: str) -> dict[str, Any]:
    return verified_claims(fed.url(fed.b_env, "/as"), id_token)


def federated_sign_on(fed: Federation, username: str) -> dict[str, Any]:
    """The whole round trip in a fresh browser: B's ID token claims."""
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow_id, flow = start_at_b(fed, agent)
        assert flow["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"
        embedded = flow["_embedded"]["identityProvider"]
        assert {key: embedded[key] for key in ("id", "type", "name")} == {
            "id": fed.provider["id"],
            "type": "OPENID_CONNECT",
            "name": fed.provider["name"],
        }
        upstream = location(agent.get(flow["_links"]["authenticate"]["href"]))
        upstream_query = query_of(upstream)
        assert upstream.startswith(fed.url(fed.a_env, "/as/authorize"))
        assert upstream_query["code_challenge_method"] == "S256"
        assert upstream_query["state"].startswith(flow_id)
        callback = sign_on_upstream(fed, agent, upstream, username)
        assert callback.startswith(fed.url(fed.b_env, "/rp/callback/openid_connect"))
        resume = location(agent.get(callback))
        assert "/as/resume" in resume, agent.get(fed.url(fed.b_env, f"/flows/{flow_id}")).text
        assert resume == fed.url(fed.b_env, f"/as/resume?flowId={flow_id}")
        assert agent.get(callback).status_code == 400  # the state is used up
        returned = query_of(location(agent.get(resume)))
    assert returned["state"] == "downstream"
    return b_claims(fed, b_tokens(fed, returned["code"])["id_token"])


def test_first_sign_on_provisions_and_the_second_reuses_the_linked_user(
    federation: Federation,
) -> None:
    fed = federation
    person = upstream_user(fed)
    claims = federated_sign_on(fed, person["username"])
    assert "fed" in claims["amr"]
    user = ok(fed.b_api.get(f"/users/{claims['sub']}"))
    assert user["population"]["id"] == fed.population
    assert user["username"] == person["id"]  # the CORE mapping: the upstream subject
    assert user["email"] == person["email"]
    assert user["name"]["given"] == "Ada"
    assert user["identityProvider"] == {"type": "OPENID_CONNECT", "id": fed.provider["id"]}
    links = ok(fed.b_api.get(f"/users/{user['id']}/linkedAccounts"))["_embedded"]
    assert [link["externalId"] for link in links["linkedAccounts"]] == [person["id"]]

    renamed = {"name": {"given": "Augusta", "family": "King"}}
    ok(fed.a_api.patch(f"/users/{person['id']}", json=renamed))
    again = federated_sign_on(fed, person["username"])
    assert again["sub"] == user["id"]
    assert _users_named(fed, person["id"]) == 1
    assert ok(fed.b_api.get(f"/users/{user['id']}"))["name"]["given"] == "Augusta"  # ALWAYS

    link_id = links["linkedAccounts"][0]["id"]
    deleted = fed.b_api.delete(f"/users/{user['id']}/linkedAccounts/{link_id}")
    assert deleted.status_code == 204
    assert ok(fed.b_api.get(f"/users/{user['id']}/linkedAccounts"))["count"] == 0


def test_upstream_refusal_fails_the_flow(federation: Federation) -> None:
    fed = federation
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow_id, flow = start_at_b(fed, agent)
        state = query_of(location(agent.get(flow["_links"]["authenticate"]["href"])))["state"]
        callback = fed.url(fed.b_env, "/rp/callback/openid_connect")
        query = {"error": "access_denied", "state": state}
        page = location(agent.get(callback, params=query))
        assert "/signon/" in page
        failed = ok(agent.get(fed.url(fed.b_env, f"/flows/{flow_id}")))
        assert failed["status"] == "FAILED"
        assert failed["error"]["code"] == "EXTERNAL_AUTHENTICATION_FAILED"
        assert "access_denied" in failed["error"]["message"]
        assert agent.get(callback, params=query).status_code == 400


def test_an_id_token_with_another_nonce_fails_and_creates_nobody(federation: Federation) -> None:
    fed = federation
    person = upstream_user(fed)
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow_id, flow = start_at_b(fed, agent)
        upstream = location(agent.get(flow["_links"]["authenticate"]["href"]))
        callback = sign_on_upstream(
            fed, agent, _with(upstream, nonce="tampered"), person["username"]
        )
        assert "/signon/" in location(agent.get(callback))
        failed = ok(agent.get(fed.url(fed.b_env, f"/flows/{flow_id}")))
    assert failed["status"] == "FAILED"
    assert "nonce" in failed["error"]["message"]
    assert _users_named(fed, person["id"]) == 0


def test_a_code_for_another_client_fails_and_creates_nobody(federation: Federation) -> None:
    """B's second provider is A's other client: an answer obtained for the first one (its code,
    its ID token's audience) is not accepted for it."""
    fed = federation
    callback = fed.url(fed.b_env, "/rp/callback/openid_connect")
    other_client = client_with_scopes(fed.a_api, SCOPES, callback)
    population = fed.population
    other = _provider(fed.server, fed.b_api, fed.a_env, other_client, population)
    client_id, _ = client_with_scopes(fed.b_api, SCOPES)
    policy = created(fed.b_api.post("/signOnPolicies", json={"name": f"Other_{suffix()}"}))
    action = {"priority": 1, "type": "IDENTITY_PROVIDER", "identityProvider": {"id": other["id"]}}
    created(fed.b_api.post(f"/signOnPolicies/{policy['id']}/actions", json=action))
    assignment = {"priority": 1, "signOnPolicy": {"id": policy["id"]}}
    created(fed.b_api.post(f"/applications/{client_id}/signOnPolicyAssignments", json=assignment))
    person = upstream_user(fed)
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow_id, flow = start_at_b(fed, agent, client_id)
        upstream = location(agent.get(flow["_links"]["authenticate"]["href"]))
        assert query_of(upstream)["client_id"] == other_client[0]
        tampered = _with(upstream, client_id=fed.upstream_client_id)
        answer = sign_on_upstream(fed, agent, tampered, person["username"])
        assert "/signon/" in location(agent.get(answer))
        failed = ok(agent.get(fed.url(fed.b_env, f"/flows/{flow_id}")))
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] == "EXTERNAL_AUTHENTICATION_FAILED"
    assert _users_named(fed, person["id"]) == 0


def test_a_foreign_state_is_refused(federation: Federation) -> None:
    fed = federation
    callback = fed.url(fed.b_env, "/rp/callback/openid_connect")
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        _, flow = start_at_b(fed, agent)
        state = query_of(location(agent.get(flow["_links"]["authenticate"]["href"])))["state"]
    with httpx.Client(follow_redirects=False, timeout=30) as other_browser:
        refused = other_browser.get(callback, params={"code": "x", "state": state})
        assert refused.status_code == 400
        forged = other_browser.get(callback, params={"code": "x", "state": secrets.token_hex(8)})
        assert forged.status_code == 400


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **changes})))


def _users_named(fed: Federation, username: str) -> int:
    page = ok(fed.b_api.get("/users", params={"filter": f'username eq "{username}"'}))
    return len(page["_embedded"]["users"])
