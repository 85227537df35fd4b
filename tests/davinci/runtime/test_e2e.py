"""The username/password DaVinci flow end to end against a real `gatehouse serve`, set up through
the admin API (DaVinci application, flow, deploy, flow policy, the PingOne application's flow
policy assignment):

- verbose pi.flow JSON over HTTP (seed 002), the code redeemed with the client secret;
- concise pi.flow with `X-Requested-With: ping-sdk`, a public client with PKCE, ending in tokens;
- in Chromium through the DaVinci OpenID provider's authorize endpoint;
- seed 000: environment B's OPENID_CONNECT identity provider points at environment A's DaVinci
  endpoints; a user of A signs in to B's application through A's DaVinci flow and gets B's tokens.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.davinci.runtime.signon import (
    assign_flow_policy,
    davinci_flow_over_http,
)
from tests.e2e.support import (
    code_tokens,
    grant_openid_scopes,
    user_with_password,
    verified_claims,
)
from tests.support.browser import SIGNED_IN, launched_chromium, loopback_server
from tests.support.server import (
    OUTBOUND_TO_LOOPBACK,
    Server,
    new_environment,
    organization_client,
    server_fixture,
)

pytestmark = pytest.mark.e2e

PASSWORD = "Da-Vinci-Sign0n!"
REDIRECT_URI = "https://app.example.com/callback"
SDK = {"X-Requested-With": "ping-sdk", "x-requested-platform": "javascript"}


server = server_fixture(OUTBOUND_TO_LOOPBACK)


@pytest.fixture(scope="module")
def org(server: Server) -> Iterator[httpx.Client]:
    with organization_client(server) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class Tenant:
    server: Server
    env: str
    api: httpx.Client

    def url(self, path: str) -> str:
        return f"{self.server.base_url}/{self.env}{path}"

    def user(self, **attributes: Any) -> dict[str, Any]:
        return user_with_password(self.api, password=PASSWORD, **attributes)

    def application(self, redirect_uri: str, *, public: bool = False) -> tuple[str, str | None]:
        body = {
            "enabled": True,
            "name": f"app-{secrets.token_hex(4)}",
            "type": "SINGLE_PAGE_APP" if public else "WEB_APP",
            "protocol": "OPENID_CONNECT",
            "grantTypes": ["AUTHORIZATION_CODE"],
            "responseTypes": ["CODE"],
            "redirectUris": [redirect_uri],
            "tokenEndpointAuthMethod": "NONE" if public else "CLIENT_SECRET_BASIC",
        }
        app = ok(self.api.post("/applications", json=body), 201)
        grant_openid_scopes(self.api, app["id"], "openid", "profile", "email")
        if public:
            return app["id"], None
        return app["id"], ok(self.api.get(f"/applications/{app['id']}/secret"))["secret"]

    def davinci(self, **oauth: Any) -> dict[str, Any]:
        """A DaVinci application (with `oauth` settings), the sign-on flow deployed, and a flow
        policy running it."""
        return davinci_flow_over_http(self.api, **oauth)

    def assign(self, application_id: str, policy_id: str) -> None:
        assign_flow_policy(self.api, application_id, policy_id)


def tenant(server: Server, org: httpx.Client) -> Tenant:
    env, api = new_environment(server, org, "dv")
    return Tenant(server, env, api)


def _submission(screen: dict[str, Any], username: str, password: str) -> dict[str, Any]:
    return {
        "id": screen["id"],
        "eventName": screen.get("eventName", "continue"),
        "interactionId": screen["interactionId"],
        "parameters": {
            "eventType": "submit",
            "data": {
                "actionKey": "SIGNON",
                "formData": {"username": username, "password": password},
            },
        },
    }


def _continue(
    agent: httpx.Client, screen: dict[str, Any], body: dict, **headers: str
) -> httpx.Response:
    return agent.post(
        screen["_links"]["next"]["href"],
        json=body,
        headers={
            "interactionId": screen["interactionId"],
            "interactionToken": screen["interactionToken"],
            **headers,
        },
    )


def test_verbose_pi_flow_over_http(server: Server, org: httpx.Client) -> None:
    a = tenant(server, org)
    davinci = a.davinci()
    client_id, secret = a.application(REDIRECT_URI)
    a.assign(client_id, davinci["policy"]["id"])
    person = a.user()
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        screen = ok(
            agent.get(
                a.url("/as/authorize"),
                params={
                    "client_id": client_id,
                    "response_type": "code",
                    "response_mode": "pi.flow",
                    "scope": "openid profile",
                    "redirect_uri": REDIRECT_URI,
                    "state": "s-1",
                },
            )
        )
        assert screen["capabilityName"] == "customHTMLTemplate"
        assert screen["screen"]["properties"]["customHTML"]["value"].startswith("<div")
        assert screen["_links"]["next"]["href"].startswith(server.base_url)
        done = _continue(agent, screen, _submission(screen, person["username"], PASSWORD))
        body = ok(done)
        assert body["status"] == "COMPLETED" and body["authorizeResponse"]["state"] == "s-1"
        assert done.cookies.get("ST") == body["sessionToken"]
    issuer = a.url("/as")
    tokens = code_tokens(
        issuer, (client_id, secret or ""), body["authorizeResponse"]["code"], REDIRECT_URI
    )
    claims = verified_claims(issuer, tokens["id_token"])
    assert claims["sub"] == person["id"] and claims["acr"] == "Sign on policy"
    assert claims["sid"] == body["session"]["id"]


def test_concise_pi_flow_over_http_ends_in_tokens(server: Server, org: httpx.Client) -> None:
    a = tenant(server, org)
    davinci = a.davinci()
    client_id, _ = a.application(REDIRECT_URI, public=True)
    a.assign(client_id, davinci["policy"]["id"])
    person = a.user()
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        screen = ok(
            agent.get(
                a.url("/as/authorize"),
                params={
                    "client_id": client_id,
                    "response_type": "code",
                    "response_mode": "pi.flow",
                    "scope": "openid profile",
                    "redirect_uri": REDIRECT_URI,
                    "state": "s-2",
                    "code_challenge": challenge,
                    "code_challenge_method": "S256",
                },
                headers={**SDK, "Content-Type": "application/x-www-form-urlencoded"},
            )
        )
        kinds = [field["type"] for field in screen["form"]["components"]["fields"]]
        assert kinds == ["TEXT", "PASSWORD", "SUBMIT_BUTTON"]
        wrong = _continue(agent, screen, _submission(screen, person["username"], "wrong"), **SDK)
        assert wrong.status_code == 400
        assert wrong.json()["details"][0]["rawResponse"]["code"] == "INVALID_DATA"
        body = ok(
            _continue(agent, screen, _submission(screen, person["username"], PASSWORD), **SDK)
        )
    assert body["authorizeResponse"]["state"] == "s-2"
    tokens = ok(
        httpx.post(
            a.url("/as/token"),
            data={
                "grant_type": "authorization_code",
                "code": body["authorizeResponse"]["code"],
                "client_id": client_id,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
        )
    )
    assert tokens["access_token"] and tokens["id_token"]
    info = ok(
        httpx.get(
            a.url("/as/userinfo"), headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    )
    assert info["sub"] == person["id"]


# --- DaVinci as an OpenID provider --------------------------------------------------------------


@pytest.fixture(scope="module")
def callback_url() -> Iterator[str]:
    with loopback_server(SIGNED_IN) as port:
        yield f"http://127.0.0.1:{port}/callback"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def test_chromium_signs_on_through_the_davinci_authorize_endpoint(
    server: Server, org: httpx.Client, chromium: Any, callback_url: str
) -> None:
    a = tenant(server, org)
    davinci = a.davinci(scopes=["openid", "profile"], redirectUris=[callback_url])
    application = davinci["application"]
    person = a.user(name={"given": "Ada", "family": "Lovelace"})
    query = urlencode(
        {
            "client_id": application["id"],
            "response_type": "code",
            "scope": "openid profile",
            "redirect_uri": callback_url,
            "state": "browser-state",
            "nonce": "browser-nonce",
        }
    )
    context = chromium.new_context()
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(a.url(f"/davinci/policy/{davinci['policy']['id']}/authorize?{query}"))
        assert page.title() == "Username/Password Form"
        page.fill("input[name=username]", person["username"])
        page.fill("input[name=password]", "not-the-password")
        page.get_by_role("button", name="Sign On").click()
        assert page.get_by_role("alert").inner_text() == "The username or password is incorrect."
        page.fill("input[name=username]", person["username"])
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation(url=re.compile(re.escape(callback_url))):
            page.get_by_role("button", name="Sign On").click()
        returned = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    finally:
        context.close()
    assert returned["state"] == "browser-state"
    issuer = a.url("/davinci")
    tokens = code_tokens(
        issuer,
        (application["id"], application["oauth"]["clientSecret"]),
        returned["code"],
        callback_url,
    )
    claims = verified_claims(issuer, tokens["id_token"])
    assert claims["iss"] == a.url("/davinci") and claims["nonce"] == "browser-nonce"
    assert claims["sub"] == person["id"] and claims["given_name"] == "Ada"


def _location(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text
    return response.headers["location"]


def _query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, page
    return found.group(1)


def test_seed_000_davinci_as_the_identity_provider_of_another_environment(
    server: Server, org: httpx.Client
) -> None:
    a, b = tenant(server, org), tenant(server, org)
    b_callback = b.url("/rp/callback/openid_connect")
    davinci = a.davinci(scopes=["openid", "profile"], redirectUris=[b_callback])
    app_id = davinci["application"]["id"]
    policy_id = davinci["policy"]["id"]
    person = a.user(name={"given": "Ada", "family": "Lovelace"})

    population = ok(b.api.post("/populations", json={"name": "DaVinci users"}), 201)["id"]
    provider = ok(
        b.api.post(
            "/identityProviders",
            json={
                "description": "PingOne DaVinci is a cloud identity orchestration service that "
                "acts as an identity provider.",
                "enabled": True,
                "name": "PingOne_DaVinci",
                "type": "OPENID_CONNECT",
                "clientId": app_id,
                "clientSecret": davinci["application"]["oauth"]["clientSecret"],
                "registration": {"population": {"id": population}},
                "authorizationEndpoint": a.url(f"/davinci/policy/{policy_id}/authorize"),
                "tokenEndpoint": a.url("/davinci/token"),
                "userInfoEndpoint": a.url("/davinci/userinfo"),
                "jwksEndpoint": a.url("/davinci/jwks"),
                "issuer": a.url("/davinci"),
                "scopes": ["openid", "profile"],
                "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
                "discoveryEndpoint": a.url("/davinci/.well-known/openid-configuration"),
                "pkceMethod": "NONE",
            },
        )
    )
    ok(
        b.api.post(
            f"/identityProviders/{provider['id']}/attributes",
            json={"name": "email", "value": "${providerAttributes.email}", "update": "ALWAYS"},
        ),
        201,
    )
    client_id, secret = b.application(REDIRECT_URI)
    policy = ok(b.api.post("/signOnPolicies", json={"name": "Through_DaVinci"}), 201)
    ok(
        b.api.post(
            f"/signOnPolicies/{policy['id']}/actions",
            json={
                "priority": 1,
                "type": "IDENTITY_PROVIDER",
                "identityProvider": {"id": provider["id"]},
            },
        ),
        201,
    )
    ok(
        b.api.post(
            f"/applications/{client_id}/signOnPolicyAssignments",
            json={"priority": 1, "signOnPolicy": {"id": policy["id"]}},
        ),
        201,
    )
    discovered = ok(httpx.get(a.url("/davinci/.well-known/openid-configuration")))
    assert discovered["issuer"] == a.url("/davinci")

    with httpx.Client(follow_redirects=False, timeout=30) as agent:
        sign_on_page = _location(
            agent.get(
                b.url("/as/authorize"),
                params={
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": REDIRECT_URI,
                    "scope": "openid profile email",
                    "state": "downstream",
                },
            )
        )
        flow_id = _query(sign_on_page)["flowId"]
        flow = ok(agent.get(b.url(f"/flows/{flow_id}")))
        assert flow["status"] == "EXTERNAL_AUTHENTICATION_REQUIRED"
        upstream = _location(agent.get(flow["_links"]["authenticate"]["href"]))
        assert upstream.startswith(a.url(f"/davinci/policy/{policy_id}/authorize?"))
        page = agent.get(upstream)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        posted = agent.post(
            a.url(f"/davinci/policy/{policy_id}/authorize"),
            data={
                "interactionId": _hidden(page.text, "interactionId"),
                "nodeId": _hidden(page.text, "nodeId"),
                "buttonValue": "SIGNON",
                "username": person["username"],
                "password": PASSWORD,
            },
        )
        callback = _location(posted)
        assert callback.startswith(b_callback + "?")
        resume = _location(agent.get(callback))
        assert resume == b.url(f"/as/resume?flowId={flow_id}")
        returned = _query(_location(agent.get(resume)))
    assert returned["state"] == "downstream"
    issuer = b.url("/as")
    tokens = code_tokens(issuer, (client_id, secret or ""), returned["code"], REDIRECT_URI)
    claims = verified_claims(issuer, tokens["id_token"])
    assert claims["iss"] == b.url("/as") and "fed" in claims["amr"]
    user = ok(b.api.get(f"/users/{claims['sub']}"))
    assert user["population"]["id"] == population
    assert user["username"] == person["id"]  # the upstream subject: A's user id
    assert user["email"] == person["email"]
    assert user["identityProvider"] == {"type": "OPENID_CONNECT", "id": provider["id"]}
