"""CORS on the authorization and runtime endpoints, per endpoint family: preflights and actual
requests from an allowed origin, a disallowed one, and none; the management API gets no CORS
headers; the sign-on cookies are SameSite=None; Secure over https."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.davinci.runtime.signon import davinci_flow
from tests.signon import support
from tests.signon.support import LOGIN, PASSWORD, Browser, Client
from tests.support.api import Api

pytestmark = pytest.mark.anyio

SPA = "https://spa.example.com"
EVIL = "https://evil.example.net"
SDK = {"X-Requested-With": "ping-sdk", "x-requested-platform": "javascript"}
SPECIFIC = {"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": [SPA, "https://*.example.org"]}
NONE = {"behavior": "ALLOW_NO_ORIGINS"}
VERIFIER, CHALLENGE = support.pkce_pair()


def preflight_headers(origin: str, method: str = "GET", headers: str = "") -> dict[str, str]:
    sent = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        sent["Access-Control-Request-Headers"] = headers
    return sent


def allows(response: httpx.Response, origin: str) -> bool:
    """Whether a browser would let `origin` read the answer of a credentialed request."""
    assert "Origin" in response.headers.get("vary", "")
    if response.headers.get("access-control-allow-origin") is None:
        return False
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    return True


def no_cors(response: httpx.Response) -> bool:
    return not any(name.lower().startswith("access-control-") for name in response.headers)


async def spa(admin: Api, env: str, cors: dict[str, Any] | None = SPECIFIC) -> Client:
    config: dict[str, Any] = {"type": "SINGLE_PAGE_APP", "tokenEndpointAuthMethod": "NONE"}
    if cors is not None:
        config["corsSettings"] = cors
    client = await support.application(admin, env, **config)
    await support.policy_for(admin, env, client.id, [LOGIN])
    return client


def authorize_query(client: Client) -> dict[str, str]:
    return {
        "client_id": client.id,
        "response_type": "code",
        "response_mode": "pi.flow",
        "redirect_uri": support.REDIRECT_URI,
        "scope": "openid",
        "state": "s",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }


async def test_discovery_and_jwks_answer_any_origin_without_credentials(
    client: httpx.AsyncClient, env: str
) -> None:
    for path in ("/as/.well-known/openid-configuration", "/as/jwks"):
        response = await client.get(f"/{env}{path}", headers={"Origin": EVIL})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
        preflight = await client.options(
            f"/{env}{path}", headers=preflight_headers(EVIL, headers="x-requested-with")
        )
        assert preflight.status_code == 204 and preflight.content == b""
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert "X-Requested-With" in preflight.headers["access-control-allow-headers"]
        plain = await client.get(f"/{env}{path}")
        assert no_cors(plain)


async def test_authorize_preflight_reads_the_client_id_of_the_query(
    admin: Api, env: str, client: httpx.AsyncClient
) -> None:
    allowed = await spa(admin, env)
    legacy = await spa(admin, env, cors=None)
    closed = await spa(admin, env, cors=NONE)
    asked = "content-type,interactionid,interactiontoken,x-requested-platform,x-requested-with"

    async def preflight(app: Client, origin: str) -> httpx.Response:
        return await client.options(
            f"/{env}/as/authorize",
            params=authorize_query(app),
            headers=preflight_headers(origin, headers=asked),
        )

    answer = await preflight(allowed, SPA)
    assert answer.status_code == 204 and allows(answer, SPA)
    assert set(answer.headers["access-control-allow-methods"].split(", ")) >= {"GET", "POST"}
    offered = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert offered >= set(asked.split(","))
    assert int(answer.headers["access-control-max-age"]) > 0
    assert allows(await preflight(allowed, "https://a.b.example.org"), "https://a.b.example.org")
    for refused in (
        await preflight(allowed, EVIL),
        await preflight(allowed, "https://example.org"),  # the wildcard needs a subdomain
        await preflight(allowed, "http://spa.example.com"),  # another scheme
        await preflight(allowed, "https://spa.example.com:8443"),  # another port
        await preflight(allowed, "null"),
        await preflight(legacy, SPA),  # without corsSettings: not on a sensitive endpoint
        await preflight(closed, SPA),
    ):
        assert refused.status_code == 204 and not allows(refused, SPA)
        assert no_cors(refused)


async def test_authorize_and_flows_answer_the_applications_origins(
    admin: Api, env: str, app: Any
) -> None:
    allowed = await spa(admin, env)
    async with Browser(app, env) as browser:
        started = await browser.http.get(
            f"/{env}/as/authorize",
            params=authorize_query(allowed),
            headers={"Origin": SPA, "Accept": "application/json", **SDK},
        )
        assert started.status_code == 200 and allows(started, SPA)
        flow_id = started.json()["id"]
        refused = await browser.http.get(
            f"/{env}/as/authorize", params=authorize_query(allowed), headers={"Origin": EVIL}
        )
        assert refused.status_code == 200 and no_cors(refused)  # the same answer, unreadable
        plain = await browser.http.get(f"/{env}/as/authorize", params=authorize_query(allowed))
        assert no_cors(plain) and "Origin" in plain.headers["vary"]

        flow_path = f"/{env}/flows/{flow_id}"
        ok = await browser.http.options(
            flow_path, headers=preflight_headers(SPA, "POST", "content-type")
        )
        assert ok.status_code == 204 and allows(ok, SPA)
        assert no_cors(await browser.http.options(flow_path, headers=preflight_headers(EVIL)))
        unknown = f"/{env}/flows/{uuid.uuid4()}"
        assert no_cors(await browser.http.options(unknown, headers=preflight_headers(SPA)))

        person = await support.user(admin, env)
        signed = await browser.http.post(
            flow_path,
            json={"username": person["username"], "password": PASSWORD},
            headers={
                "Origin": SPA,
                "Content-Type": "application/vnd.pingidentity.usernamePassword.check+json",
            },
        )
        assert signed.status_code == 200 and allows(signed, SPA)
        assert signed.json()["status"] == "COMPLETED"
        wrong_origin = await browser.http.get(flow_path, headers={"Origin": EVIL})
        assert wrong_origin.status_code == 200 and no_cors(wrong_origin)
        resumed = await browser.http.get(
            f"/{env}/as/resume", params={"flowId": flow_id}, headers={"Origin": SPA}
        )
        assert allows(resumed, SPA)
        code = resumed.json()["authorizeResponse"]["code"]

    token_path = f"/{env}/as/token"
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": allowed.id,
        "redirect_uri": support.REDIRECT_URI,
    }
    async with app_client(app) as http:
        refused_token = await http.post(token_path, data=form, headers={"Origin": EVIL})
        assert refused_token.status_code == 400 and no_cors(refused_token)  # no verifier
        answered = await http.post(
            token_path, data={**form, "code_verifier": VERIFIER}, headers={"Origin": SPA}
        )
    assert answered.status_code == 200 and allows(answered, SPA)
    id_token = answered.json()["id_token"]
    async with app_client(app) as http:
        # signoff names its client by the ID token's audience when client_id is not given
        hinted = {"id_token_hint": id_token}
        preflight = await http.options(
            f"/{env}/as/signoff", params=hinted, headers=preflight_headers(SPA)
        )
        assert preflight.status_code == 204 and allows(preflight, SPA)
        signed_off = await http.get(f"/{env}/as/signoff", params=hinted, headers={"Origin": SPA})
        assert signed_off.status_code == 200 and allows(signed_off, SPA)
        refused = await http.get(f"/{env}/as/signoff", params=hinted, headers={"Origin": EVIL})
        assert no_cors(refused)


def app_client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_token_endpoint_names_its_client_by_the_client_authentication(
    admin: Api, env: str, client: httpx.AsyncClient
) -> None:
    allowed = await spa(admin, env)
    legacy = await spa(admin, env, cors=None)
    confidential = await support.application(admin, env, corsSettings=SPECIFIC)
    path = f"/{env}/as/token"
    form = {"grant_type": "authorization_code", "code": "nope", "redirect_uri": "x"}

    public = await client.post(
        path, data={**form, "client_id": allowed.id}, headers={"Origin": SPA}
    )
    assert public.status_code == 400 and allows(public, SPA)
    basic = await client.post(
        path,
        data=form,
        auth=(confidential.id, confidential.secret or ""),
        headers={"Origin": SPA},
    )
    assert basic.json()["error"] == "invalid_grant" and allows(basic, SPA)
    assert no_cors(
        await client.post(path, data={**form, "client_id": legacy.id}, headers={"Origin": SPA})
    )
    assert no_cors(
        await client.post(path, data={**form, "client_id": allowed.id}, headers={"Origin": EVIL})
    )
    assert no_cors(await client.post(path, data=form, headers={"Origin": SPA}))  # no client
    # a form too large to read for CORS still reaches the endpoint whole
    padded = {"padding": "x" * 70000, **form, "client_id": allowed.id}
    large = await client.post(path, data=padded, headers={"Origin": SPA})
    assert large.json()["error"] == "invalid_grant" and no_cors(large)

    # a preflight has no body: allowed when some application of the environment allows it
    preflight = await client.options(path, headers=preflight_headers(SPA, "POST"))
    assert allows(preflight, SPA) and preflight.headers["access-control-allow-methods"] == (
        "POST, OPTIONS"
    )
    assert no_cors(await client.options(path, headers=preflight_headers(EVIL, "POST")))


async def test_revoke_and_introspect_follow_corsSettings_else_any_origin(
    admin: Api, env: str, client: httpx.AsyncClient
) -> None:
    legacy = await spa(admin, env, cors=None)
    closed = await spa(admin, env, cors=NONE)
    allowed = await spa(admin, env)
    for endpoint in ("revoke", "introspect"):
        path = f"/{env}/as/{endpoint}"

        async def post(app: Client, origin: str, path: str = path) -> httpx.Response:
            data = {"token": "not-a-token", "client_id": app.id}
            return await client.post(path, data=data, headers={"Origin": origin})

        assert allows(await post(legacy, EVIL), EVIL)
        assert no_cors(await post(closed, SPA))
        assert allows(await post(allowed, SPA), SPA)
        assert no_cors(await post(allowed, EVIL))
        # the legacy application lets any origin through the preflight
        assert allows(await client.options(path, headers=preflight_headers(EVIL, "POST")), EVIL)


async def test_userinfo_answers_any_origin_for_the_token_it_carries(
    client: httpx.AsyncClient, env: str
) -> None:
    path = f"/{env}/as/userinfo"
    preflight = await client.options(path, headers=preflight_headers(EVIL, headers="authorization"))
    assert preflight.status_code == 204 and allows(preflight, EVIL)
    refused = await client.get(path, headers={"Origin": EVIL, "Authorization": "Bearer nope"})
    assert refused.status_code == 401 and allows(refused, EVIL)
    assert "WWW-Authenticate" in refused.headers["access-control-expose-headers"]


async def test_davinci_continue_answers_the_interactions_application(
    admin: Api, env: str, app: Any
) -> None:
    allowed = await spa(admin, env)
    other = await spa(admin, env, cors=None)
    setup = await davinci_flow(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        screens = []
        for application in (allowed, other):
            started = await browser.http.get(
                f"/{env}/as/authorize",
                params={**authorize_query(application), "acr_values": setup.policy_id},
                headers={"Origin": SPA, **SDK},
            )
            assert started.status_code == 200, started.text
            screens.append(started.json())
        screen, others = screens
        href = screen["_links"]["next"]["href"]
        preflight = await browser.http.options(
            href, headers=preflight_headers(SPA, "POST", "content-type,interactionid")
        )
        assert preflight.status_code == 204 and allows(preflight, SPA)
        assert no_cors(await browser.http.options(href, headers=preflight_headers(EVIL, "POST")))

        def submit(screen: dict[str, Any], password: str) -> dict[str, Any]:
            form = {"username": person["username"], "password": password}
            return {
                "id": screen["id"],
                "eventName": "continue",
                "interactionId": screen["interactionId"],
                "parameters": {
                    "eventType": "submit",
                    "data": {"actionKey": "SIGNON", "formData": form},
                },
            }

        async def post(screen: dict[str, Any], origin: str, password: str) -> httpx.Response:
            headers = {
                "Origin": origin,
                "interactionId": screen["interactionId"],
                "interactionToken": screen["interactionToken"],
                **SDK,
            }
            return await browser.http.post(href, json=submit(screen, password), headers=headers)

        wrong = await post(screen, SPA, "wrong")
        assert wrong.status_code == 400 and allows(wrong, SPA)
        assert no_cors(await post(screen, EVIL, "wrong"))
        assert no_cors(await post(others, SPA, "wrong"))  # the other application has no CORS
        done = await post(screen, SPA, PASSWORD)
        assert done.json()["status"] == "COMPLETED" and allows(done, SPA)


async def test_signoff_names_its_client_by_client_id(
    admin: Api, env: str, client: httpx.AsyncClient
) -> None:
    allowed = await spa(admin, env)
    path = f"/{env}/as/signoff"
    answered = await client.get(path, params={"client_id": allowed.id}, headers={"Origin": SPA})
    assert allows(answered, SPA)
    assert no_cors(
        await client.get(path, params={"client_id": allowed.id}, headers={"Origin": EVIL})
    )
    assert no_cors(await client.get(path, headers={"Origin": SPA}))


async def test_the_management_api_answers_any_origin_without_credentials(
    admin: Api, env: str
) -> None:
    """PingOne trusts every origin on calls authorized by an access token: `*`, so a browser
    never sends cookies with them."""
    response = await admin.get(f"/environments/{env}/applications", headers={"Origin": EVIL})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    preflight = await admin.client.options(
        f"/v1/environments/{env}/applications",
        headers=preflight_headers(EVIL, "POST", "authorization,content-type"),
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "DELETE" in preflight.headers["access-control-allow-methods"]
    assert "Authorization" in preflight.headers["access-control-allow-headers"]


async def test_sign_on_cookies_cross_sites_over_https(admin: Api, env: str, app: Any) -> None:
    allowed = await spa(admin, env)
    person = await support.user(admin, env)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as browser:
        started = await browser.get(
            f"/{env}/as/authorize", params=authorize_query(allowed), headers={"Origin": SPA}
        )
        interaction = started.headers["set-cookie"]
        assert interaction.startswith("GH-INTERACTION=")
        assert "SameSite=none" in interaction and "Secure" in interaction
        signed = await browser.post(
            f"/{env}/flows/{started.json()['id']}",
            json={"username": person["username"], "password": PASSWORD},
            headers={
                "Origin": SPA,
                "Content-Type": "application/vnd.pingidentity.usernamePassword.check+json",
            },
        )
        assert signed.json()["status"] == "COMPLETED"
        resumed = await browser.get(
            f"/{env}/as/resume", params={"flowId": started.json()["id"]}, headers={"Origin": SPA}
        )
        assert resumed.status_code == 200, resumed.text
        session_cookie = next(c for c in resumed.headers.get_list("set-cookie") if c[:3] == "ST=")
        assert "SameSite=none" in session_cookie and "Secure" in session_cookie


async def test_an_unexpected_error_reaches_the_allowed_origin_with_its_cors_headers(
    client: httpx.AsyncClient, env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: Any) -> dict[str, Any]:
        raise RuntimeError("the key store is gone")

    monkeypatch.setattr("gatehouse.oauth.routes.jwks", broken)
    response = await client.get(f"/{env}/as/jwks", headers={"Origin": EVIL})
    assert response.status_code == 500
    assert response.json()["code"] == "UNEXPECTED_ERROR"
    assert "the key store" not in response.text
    assert response.headers["access-control-allow-origin"] == "*"
    plain = await client.get(f"/{env}/as/jwks")
    assert plain.status_code == 500 and no_cors(plain)
