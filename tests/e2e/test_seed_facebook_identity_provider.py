"""Seed use case "Configure Facebook as an identity provider" (003), its numbered steps over HTTP
against a real server, then the sign-on it sets up: the FACEBOOK endpoints are pointed (in
settings, GATEHOUSE_FEDERATION_ENDPOINTS) at a small OAuth 2.0 server on loopback that issues
codes and serves Graph's /me. Then what goes wrong: a wrong state, a replayed state, a token
endpoint error, a profile error: each fails clearly and creates or links nobody."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.support import (
    REDIRECT_URI,
    admin_client,
    assign_policy,
    code_tokens,
    created,
    grant,
    oidc_application,
    ok,
    query_of,
    scopes_of,
    suffix,
    verified_claims,
)
from tests.federation.social_server import Person, SocialServer, facebook_fixtures
from tests.support.server import Server

pytestmark = pytest.mark.e2e

APP_ID = "1234567890123456"
APP_SECRET = secrets.token_hex(16)


facebook, server = facebook_fixtures(APP_ID, APP_SECRET)


@dataclass
class Setup:
    server: Server
    api: httpx.Client
    provider: dict[str, Any]
    population: str
    application: dict[str, Any]
    secret: str


@pytest.fixture(scope="module")
def setup(server: Server) -> Iterator[Setup]:
    """Steps 1 to 10 of the use case."""
    api = admin_client(server)
    # Step 1: Create the new identity provider resource
    provider = ok(
        api.post(
            "/identityProviders",
            json={
                "name": f"Facebook {suffix()}",
                "description": "Facebook as an identity provider",
                "enabled": True,
                "type": "FACEBOOK",
                "appId": APP_ID,
                "appSecret": APP_SECRET,
            },
        )
    )
    assert "appSecret" not in provider
    # Step 2: Create an optional attribute mapping
    for name, value in (
        ("email", "${providerAttributes.email}"),
        ("name.given", "${providerAttributes.first_name}"),
        ("name.family", "${providerAttributes.last_name}"),
    ):
        mapping = created(
            api.post(
                f"/identityProviders/{provider['id']}/attributes",
                json={"name": name, "value": value, "update": "EMPTY_ONLY"},
            )
        )
        assert mapping["mappingType"] == "CUSTOM"
    # Step 3: Create a population for Facebook users
    population = created(api.post("/populations", json={"name": f"Facebook users {suffix()}"}))
    # Step 4: Create the new sign-on policy
    policy = created(api.post("/signOnPolicies", json={"name": f"Facebook_{suffix()}"}))
    # Step 5: Create the sign-on policy action
    action = created(
        api.post(
            f"/signOnPolicies/{policy['id']}/actions",
            json={
                "priority": 1,
                "type": "LOGIN",
                "registration": {"enabled": True, "population": {"id": population["id"]}},
                "socialProviders": [{"id": provider["id"]}],
            },
        )
    )
    assert action["socialProviders"] == [{"id": provider["id"]}]
    # Step 6: Create an application
    application = oidc_application(api, f"Facebook app {suffix()}")
    # Steps 7 and 8: Get the list of resources, get all scopes
    resource_id, scope_ids = scopes_of(api, "openid", "openid", "profile", "email")
    # Step 9: Create the application's resource access grant
    grant(api, application["id"], resource_id, scope_ids)
    # Step 10: Assign the sign-on policy to an application
    assign_policy(api, application["id"], policy["id"])
    secret = ok(api.get(f"/applications/{application['id']}/secret"))["secret"]
    yield Setup(server, api, provider, population["id"], application, secret)
    api.close()


def person() -> Person:
    return Person(str(secrets.randbelow(10**15)), f"fb_{suffix()}@example.com", "Grace", "Hopper")


def location(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


def url(setup: Setup, path: str) -> str:
    return f"{setup.server.base_url}/{setup.server.environment_id}{path}"


def authorize(setup: Setup, agent: httpx.Client) -> tuple[str, dict[str, Any]]:
    """Step 11: Send an authorization request; the flow it starts."""
    page = location(
        agent.get(
            url(setup, "/as/authorize"),
            params={
                "response_type": "code",
                "client_id": setup.application["id"],
                "redirect_uri": REDIRECT_URI,
                "scope": "openid profile email",
                "state": "client-state",
            },
        )
    )
    flow_id = query_of(page)["flowId"]
    return flow_id, ok(agent.get(url(setup, f"/flows/{flow_id}")))


def to_facebook(setup: Setup, agent: httpx.Client, flow: dict[str, Any]) -> str:
    """Follow the Facebook button's authenticate link: the authorization URL at "Facebook"."""
    assert flow["status"] == "USERNAME_PASSWORD_REQUIRED"
    (button,) = flow["_embedded"]["socialProviders"]
    assert (button["id"], button["type"]) == (setup.provider["id"], "FACEBOOK")
    return location(agent.get(button["_links"]["authenticate"]["href"]))


def users_with_email(setup: Setup, email: str) -> list[dict[str, Any]]:
    page = ok(setup.api.get("/users", params={"filter": f'email eq "{email}"'}))
    return page["_embedded"]["users"]


def test_a_facebook_user_signs_on_and_is_provisioned_then_recognised(
    setup: Setup, facebook: SocialServer
) -> None:
    grace = person()
    facebook.signed_in = grace
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow_id, flow = authorize(setup, agent)
        upstream = to_facebook(setup, agent, flow)
        assert upstream.startswith(f"{facebook.base_url}/dialog/oauth?")
        query = query_of(upstream)
        assert query["client_id"] == APP_ID
        assert query["scope"] == "public_profile email"
        callback = url(setup, "/rp/callback/facebook")
        assert query["redirect_uri"] == callback
        assert query["state"].startswith(f"{flow_id}.")
        answer = location(agent.get(upstream))
        assert answer.startswith(callback)
        resume = location(agent.get(answer))
        assert resume == url(setup, f"/as/resume?flowId={flow_id}")
        returned = query_of(location(agent.get(resume)))
    assert returned["state"] == "client-state"
    client = (setup.application["id"], setup.secret)
    tokens = code_tokens(url(setup, "/as"), client, returned["code"])
    claims = verified_claims(url(setup, "/as"), tokens["id_token"])
    assert "fed" in claims["amr"]
    user = ok(setup.api.get(f"/users/{claims['sub']}"))
    assert user["username"] == grace.email  # the CORE mapping
    assert user["email"] == grace.email
    assert user["name"]["given"] == "Grace" and user["name"]["family"] == "Hopper"
    assert user["population"]["id"] == setup.population
    assert user["identityProvider"] == {"type": "FACEBOOK", "id": setup.provider["id"]}
    links = ok(setup.api.get(f"/users/{user['id']}/linkedAccounts"))["_embedded"]
    assert [link["externalId"] for link in links["linkedAccounts"]] == [grace.id]

    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow_id, flow = authorize(setup, agent)
        resume = location(agent.get(location(agent.get(to_facebook(setup, agent, flow)))))
        assert resume == url(setup, f"/as/resume?flowId={flow_id}")
    assert len(users_with_email(setup, grace.email)) == 1


def test_a_wrong_state_is_refused_and_nothing_is_exchanged(
    setup: Setup, facebook: SocialServer
) -> None:
    facebook.signed_in = ada = person()
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        flow_id, flow = authorize(setup, agent)
        answer = location(agent.get(to_facebook(setup, agent, flow)))
        code = query_of(answer)["code"]
        exchanges = facebook.count("/oauth/access_token")
        callback = url(setup, "/rp/callback/facebook")
        for state in (f"{flow_id}.{secrets.token_urlsafe(16)}", "no-such-state", ""):
            refused = agent.get(callback, params={"code": code, "state": state})
            assert refused.status_code == 400, refused.text
            assert refused.json()["code"] == "REQUEST_FAILED"
        assert facebook.count("/oauth/access_token") == exchanges
        assert ok(agent.get(url(setup, f"/flows/{flow_id}")))["status"] == (
            "USERNAME_PASSWORD_REQUIRED"
        )
    assert users_with_email(setup, ada.email) == []


def test_a_replayed_state_is_refused(setup: Setup, facebook: SocialServer) -> None:
    facebook.signed_in = alan = person()
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        _, flow = authorize(setup, agent)
        answer = location(agent.get(to_facebook(setup, agent, flow)))
        assert "/as/resume" in location(agent.get(answer))
        replayed = agent.get(answer)
        assert replayed.status_code == 400
        assert "used already" in replayed.json()["message"]
    (user,) = users_with_email(setup, alan.email)
    links = ok(setup.api.get(f"/users/{user['id']}/linkedAccounts"))
    assert links["count"] == 1


@pytest.mark.parametrize(
    ("failure", "message"),
    [("fail_token", "refused the authorization code"), ("fail_profile", "answered 500")],
)
def test_an_upstream_error_fails_the_flow_and_creates_nobody(
    setup: Setup, facebook: SocialServer, failure: str, message: str
) -> None:
    facebook.signed_in = linus = person()
    setattr(facebook, failure, True)
    try:
        with httpx.Client(follow_redirects=False, timeout=30) as agent:
            flow_id, flow = authorize(setup, agent)
            answer = location(agent.get(to_facebook(setup, agent, flow)))
            assert "/signon/" in location(agent.get(answer))
            failed = ok(agent.get(url(setup, f"/flows/{flow_id}")))
    finally:
        setattr(facebook, failure, False)
    assert failed["status"] == "FAILED"
    assert failed["error"]["code"] == "EXTERNAL_AUTHENTICATION_FAILED"
    assert message in failed["error"]["message"]
    assert users_with_email(setup, linus.email) == []
