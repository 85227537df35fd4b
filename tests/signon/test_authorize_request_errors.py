"""Bad authorization requests: errors about the client or its redirect URI are shown (never
redirected); the others go back to the redirect URI in the response mode with state. Nothing is
issued and no flow starts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.flows.models import Flow
from gatehouse.oauth.models import AuthorizationCode
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def counts(app: Any, env: str) -> tuple[int, int]:
    async with app.state.runtime.sessions() as session:
        flows = await session.scalar(
            sa.select(sa.func.count())
            .select_from(Flow)
            .where(Flow.environment_id == uuid.UUID(env))
        )
        codes = await session.scalar(
            sa.select(sa.func.count())
            .select_from(AuthorizationCode)
            .where(AuthorizationCode.environment_id == uuid.UUID(env))
        )
    return flows, codes


def shown(response: Any, target: str) -> None:
    assert "location" not in response.headers
    assert_error(response, 400, "INVALID_DATA", target=target)


def redirected(response: Any, error: str, *, fragment: bool = False) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(support.REDIRECT_URI)
    params = support.fragment_of(location) if fragment else support.query_of(location)
    assert params["error"] == error, params
    assert params["state"] == "xyz" and params["error_description"]
    return params


async def test_an_unknown_or_disabled_client_is_shown_never_redirected(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    disabled = await support.application(admin, env, enabled=False)
    async with Browser(app, env) as browser:
        shown(await browser.authorize(str(uuid.uuid4())), "client_id")
        shown(await browser.authorize("not-a-uuid"), "client_id")
        shown(await browser.authorize(disabled), "client_id")
        shown(await browser.authorize(client, client_id=None), "client_id")
        # a client of another environment is unknown here
        other_env = (
            await admin.create(
                "/environments",
                {"name": f"o-{uuid.uuid4().hex[:6]}", "type": "SANDBOX", "region": "NA"},
            )
        )["id"]
        foreign = await support.application(admin, other_env)
        shown(await browser.authorize(foreign), "client_id")
        page = await browser.http.get(
            f"/{env}/as/authorize",
            params={"client_id": "<script>alert(1)</script>", "response_type": "code"},
            headers={"Accept": "text/html,application/xhtml+xml"},
        )
        assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
        assert "<script>" not in page.text
    assert await counts(app, env) == (0, 0)


async def test_a_mismatched_redirect_uri_is_shown_never_redirected(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(
        admin, env, redirectUris=[support.REDIRECT_URI, "https://app.example.com/other"]
    )
    async with Browser(app, env) as browser:
        for uri in (
            "https://evil.example.com/callback",
            support.REDIRECT_URI + "/",
            support.REDIRECT_URI + "?x=1",
            "HTTPS://app.example.com/callback",
        ):
            shown(await browser.authorize(client, redirect_uri=uri), "redirect_uri")
        # several registered: redirect_uri is required
        shown(await browser.authorize(client, redirect_uri=None), "redirect_uri")
    assert await counts(app, env) == (0, 0)


async def test_a_missing_redirect_uri_uses_the_only_registered_one(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        params = await browser.code_for(client, person["username"], redirect_uri=None)
    assert params["code"]


async def test_wildcards_match_only_when_the_application_allows_them(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(
        admin,
        env,
        redirectUris=["https://*.example.com/callback"],
        allowWildcardInRedirectUris=True,
    )
    async with Browser(app, env) as browser:
        ok = await browser.authorize(client, redirect_uri="https://tenant1.example.com/callback")
        assert ok.status_code == 302 and "/signon/" in ok.headers["location"]
        for uri in (
            "https://evil.com/x.example.com/callback",
            "https://evil.com#.example.com/callback",
            "https://a.example.com/callback/more",
            "https://user@evil.com@x.example.com/callback",
        ):
            shown(await browser.authorize(client, redirect_uri=uri), "redirect_uri")


async def test_response_type_errors_go_back_to_the_client(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        redirected(await browser.authorize(client, response_type=None), "invalid_request")
        redirected(
            await browser.authorize(client, response_type="magic"), "unsupported_response_type"
        )
        # tokens never travel in the query: the error comes back in the fragment
        redirected(
            await browser.authorize(client, response_type="token", response_mode="query"),
            "invalid_request",
            fragment=True,
        )
        # implicit is not granted to this application
        redirected(
            await browser.authorize(client, response_type="id_token token", nonce="n"),
            "unauthorized_client",
            fragment=True,
        )
    implicit = await support.application(
        admin, env, grantTypes=["AUTHORIZATION_CODE", "IMPLICIT"], responseTypes=["CODE", "TOKEN"]
    )
    async with Browser(app, env) as browser:
        # IMPLICIT granted, but ID_TOKEN is not among the response types
        redirected(
            await browser.authorize(implicit, response_type="id_token", nonce="n"),
            "unsupported_response_type",
            fragment=True,
        )
    assert await counts(app, env) == (0, 0)


async def test_response_mode_errors(app: Any, admin: Api, env: str) -> None:
    client = await support.application(
        admin,
        env,
        type="SINGLE_PAGE_APP",
        grantTypes=["IMPLICIT"],
        responseTypes=["TOKEN"],
        tokenEndpointAuthMethod="NONE",
    )
    async with Browser(app, env) as browser:
        redirected(
            await browser.authorize(client, response_type="token", response_mode="query"),
            "invalid_request",
            fragment=True,
        )
        redirected(
            await browser.authorize(client, response_type="token", response_mode="jwt"),
            "invalid_request",
            fragment=True,
        )


async def test_scope_errors(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env, scopes=("openid", "profile"))
    async with Browser(app, env) as browser:
        redirected(await browser.authorize(client, scope="openid email"), "invalid_scope")
        redirected(await browser.authorize(client, scope="p1:read:user"), "invalid_scope")
        redirected(await browser.authorize(client, scope=None), "invalid_request")
    assert await counts(app, env) == (0, 0)


async def test_pkce_is_enforced_per_application(app: Any, admin: Api, env: str) -> None:
    required = await support.application(admin, env, pkceEnforcement="REQUIRED")
    s256 = await support.application(admin, env, pkceEnforcement="S256_REQUIRED")
    _, challenge = support.pkce_pair()
    async with Browser(app, env) as browser:
        redirected(await browser.authorize(required), "invalid_request")
        redirected(await browser.authorize(s256), "invalid_request")
        # the method defaults to plain, which S256_REQUIRED refuses
        redirected(await browser.authorize(s256, code_challenge=challenge), "invalid_request")
        redirected(
            await browser.authorize(s256, code_challenge=challenge, code_challenge_method="plain"),
            "invalid_request",
        )
        redirected(
            await browser.authorize(
                required, code_challenge=challenge, code_challenge_method="S512"
            ),
            "invalid_request",
        )
        redirected(await browser.authorize(required, code_challenge="short"), "invalid_request")
        redirected(
            await browser.authorize(required, code_challenge_method="S256"), "invalid_request"
        )
        ok = await browser.authorize(s256, code_challenge=challenge, code_challenge_method="S256")
        assert ok.status_code == 302 and "/signon/" in ok.headers["location"]
        ok = await browser.authorize(required, code_challenge=challenge)
        assert ok.status_code == 302 and "/signon/" in ok.headers["location"]
    assert (await counts(app, env))[1] == 0


async def test_public_clients_always_need_pkce(app: Any, admin: Api, env: str) -> None:
    public = await support.application(
        admin, env, type="SINGLE_PAGE_APP", tokenEndpointAuthMethod="NONE"
    )
    _, challenge = support.pkce_pair()
    async with Browser(app, env) as browser:
        redirected(await browser.authorize(public), "invalid_request")
        ok = await browser.authorize(public, code_challenge=challenge, code_challenge_method="S256")
        assert ok.status_code == 302 and "/signon/" in ok.headers["location"]


async def test_other_parameter_errors(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        redirected(await browser.authorize(client, prompt="none login"), "invalid_request")
        redirected(await browser.authorize(client, prompt="sideways"), "invalid_request")
        redirected(await browser.authorize(client, max_age="-1"), "invalid_request")
        redirected(await browser.authorize(client, max_age="soon"), "invalid_request")
        redirected(await browser.authorize(client, request="eyJ.eyJ.sig"), "invalid_request_object")
        redirected(
            await browser.authorize(client, request_uri="urn:x"), "request_uri_not_supported"
        )
        redirected(await browser.authorize(client, state="xyz", nonce="n" * 600), "invalid_request")
        redirected(await browser.authorize(client, acr_values="NoSuchPolicy"), "invalid_request")
        # a repeated parameter: the client is known but which redirect URI is meant is not
        repeated = await browser.http.get(
            f"/{env}/as/authorize?client_id={client.id}&response_type=code&scope=openid"
            f"&redirect_uri={support.REDIRECT_URI}&state=a&state=b"
        )
        shown(repeated, "state")
        shown(await browser.authorize(client, state="a\x00b"), "state")
    assert await counts(app, env) == (0, 0)


async def test_post_takes_a_form_and_unknown_environments_are_not_found(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    async with Browser(app, env) as browser:
        posted = await browser.http.post(
            f"/{env}/as/authorize",
            data={
                "client_id": client.id,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": support.REDIRECT_URI,
            },
        )
        assert posted.status_code == 302 and "/signon/?flowId=" in posted.headers["location"]
        not_form = await browser.http.post(f"/{env}/as/authorize", json={"client_id": client.id})
        assert_error(not_form, 400, "INVALID_DATA")
        assert_error(await browser.http.get(f"/{uuid.uuid4()}/as/authorize"), 404, "NOT_FOUND")
        assert_error(await browser.http.get("/nope/as/authorize"), 404, "NOT_FOUND")


async def test_the_application_login_page_receives_the_flow(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env, loginPageUrl="https://login.example.com/signon")
    async with Browser(app, env) as browser:
        response = await browser.authorize(client)
    location = response.headers["location"]
    assert location.startswith("https://login.example.com/signon?")
    params = support.query_of(location)
    assert params["environmentId"] == env and params["flowId"]
