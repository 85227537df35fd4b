"""/as/resume: only the browser of a COMPLETED flow, only once. /as/signoff: ends the session and its
refresh tokens, clears the cookie, returns to a registered post-logout URI with state."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import RSAKey

from gatehouse.common import clock
from gatehouse.oauth.models import RefreshToken
from gatehouse.sessions.models import Session
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

LOGOUT_URI = "https://app.example.com/signed-out"


async def test_resume_needs_the_browser_of_a_completed_flow_once(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser, Browser(app, env) as other:
        flow_id = await browser.start(client)
        unfinished = await browser.resume(flow_id)
        assert_error(unfinished, 400, "REQUEST_FAILED")
        await browser.sign_on(flow_id, person["username"])
        await other.start(client)
        assert_error(await other.resume(flow_id), 404, "NOT_FOUND")
        assert_error(await browser.resume(str(uuid.uuid4())), 404, "NOT_FOUND")
        assert_error(await browser.http.get(f"/{env}/as/resume"), 404, "NOT_FOUND")
        assert (await browser.resume(flow_id)).status_code == 302
        assert_error(await browser.resume(flow_id), 404, "NOT_FOUND")
        assert_error(await browser.flow(flow_id), 404, "NOT_FOUND")


async def test_resume_of_an_expired_flow_is_not_found(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        await browser.sign_on(flow_id, person["username"])
        clock.advance(app.state.runtime.settings.flow_idle_seconds + 1)
        assert_error(await browser.resume(flow_id), 404, "NOT_FOUND")
        assert "ST" not in browser.http.cookies


async def test_resume_of_a_disabled_client_is_shown(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    person = await support.user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        await browser.sign_on(flow_id, person["username"])
        application = (await admin.get(f"/environments/{env}/applications/{client.id}")).json()
        body = {
            key: value
            for key, value in application.items()
            if key not in ("_links", "id", "environment", "createdAt", "updatedAt")
        }
        updated = await admin.put(
            f"/environments/{env}/applications/{client.id}", json={**body, "enabled": False}
        )
        assert updated.status_code == 200, updated.text
        refused = await browser.resume(flow_id)
    assert "location" not in refused.headers
    assert_error(refused, 400, "INVALID_DATA", target="client_id")


async def signed_on(
    app: Any, admin: Api, env: str, browser: Browser, **config: Any
) -> tuple[support.Client, dict[str, Any]]:
    """A client with refresh tokens and a post-logout URI, and its tokens for a signed-on user."""
    client = await support.application(
        admin,
        env,
        grantTypes=["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        postLogoutRedirectUris=[LOGOUT_URI],
        **config,
    )
    person = await support.user(admin, env)
    params = await browser.code_for(client, person["username"])
    tokens = (await support.exchange(admin.client, env, client, params["code"])).json()
    assert tokens["refresh_token"] and tokens["id_token"]
    return client, tokens


async def session_rows(app: Any, env: str) -> list[Session]:
    async with app.state.runtime.sessions() as session:
        rows = await session.scalars(
            sa.select(Session).where(Session.environment_id == uuid.UUID(env))
        )
        return list(rows)


async def test_signoff_ends_the_session_and_its_refresh_tokens(
    app: Any, admin: Api, env: str
) -> None:
    async with Browser(app, env) as browser:
        client, tokens = await signed_on(app, admin, env, browser)
        response = await browser.http.get(
            f"/{env}/as/signoff",
            params={
                "id_token_hint": tokens["id_token"],
                "post_logout_redirect_uri": LOGOUT_URI,
                "state": "bye",
            },
        )
        assert response.status_code == 302, response.text
        assert response.headers["location"] == f"{LOGOUT_URI}?state=bye"
        cleared = [c for c in response.headers.get_list("set-cookie") if c.startswith("ST=")]
        assert cleared and ("Max-Age=0" in cleared[0] or "expires=" in cleared[0].lower())
        assert "ST" not in browser.http.cookies
        # the next authorization request needs a sign-on again
        assert "/signon/" in (await browser.authorize(client)).headers["location"]
    (row,) = await session_rows(app, env)
    assert row.revoked_at is not None
    refreshed = await admin.client.post(
        f"/{env}/as/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client.id, client.secret or ""),
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    async with app.state.runtime.sessions() as session:
        revoked = await session.scalar(
            sa.select(RefreshToken.revoked_at).where(RefreshToken.session_id == row.id)
        )
    assert revoked is not None
    userinfo = await admin.client.get(
        f"/{env}/as/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401  # the session's access tokens end with it


async def test_signoff_without_a_redirect_shows_a_page(app: Any, admin: Api, env: str) -> None:
    async with Browser(app, env) as browser:
        await signed_on(app, admin, env, browser)
        response = await browser.http.get(f"/{env}/as/signoff")
        assert response.status_code == 200 and "signed out" in response.text
    (row,) = await session_rows(app, env)
    assert row.revoked_at is not None


async def test_signoff_accepts_an_expired_hint(app: Any, admin: Api, env: str) -> None:
    async with Browser(app, env) as browser:
        _, tokens = await signed_on(app, admin, env, browser)
        clock.advance(7200)  # the ID token expired an hour ago
        response = await browser.http.get(
            f"/{env}/as/signoff",
            params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGOUT_URI},
        )
    assert response.status_code == 302 and response.headers["location"] == LOGOUT_URI


async def test_signoff_refuses_unregistered_uris_and_foreign_hints(
    app: Any, admin: Api, env: str
) -> None:
    async with Browser(app, env) as browser:
        client, tokens = await signed_on(app, admin, env, browser)
        cases = [
            (
                {
                    "id_token_hint": tokens["id_token"],
                    "post_logout_redirect_uri": "https://evil.example.com",
                },
                "post_logout_redirect_uri",
            ),
            ({"post_logout_redirect_uri": LOGOUT_URI}, "post_logout_redirect_uri"),
            ({"id_token_hint": "not.a.jwt"}, "id_token_hint"),
            ({"id_token_hint": forged(tokens["id_token"])}, "id_token_hint"),
            ({"id_token_hint": tokens["id_token"], "client_id": str(uuid.uuid4())}, "client_id"),
            ({"client_id": str(uuid.uuid4()), "post_logout_redirect_uri": LOGOUT_URI}, "client_id"),
        ]
        for params, target in cases:
            response = await browser.http.get(f"/{env}/as/signoff", params=params)
            assert "location" not in response.headers
            assert_error(response, 400, "INVALID_DATA", target=target)
        # a hint of another environment
        other_env = (
            await admin.create(
                "/environments",
                {"name": f"o-{uuid.uuid4().hex[:6]}", "type": "SANDBOX", "region": "NA"},
            )
        )["id"]
        response = await browser.http.get(
            f"/{other_env}/as/signoff", params={"id_token_hint": tokens["id_token"]}
        )
        assert_error(response, 400, "INVALID_DATA", target="id_token_hint")
        # with client_id instead of a hint
        ok = await browser.http.get(
            f"/{env}/as/signoff",
            params={"client_id": client.id, "post_logout_redirect_uri": LOGOUT_URI},
        )
        assert ok.status_code == 302
    (row,) = await session_rows(app, env)
    assert row.revoked_at is not None


def forged(token: str) -> str:
    """The token's claims, under its header, signed by a key that is not the environment's."""
    header, payload = (
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        for part in token.split(".")[:2]
    )
    return jwt.encode(header, payload, RSAKey.generate_key(2048, parameters={"kid": header["kid"]}))


async def test_idp_signoff_ends_the_hinted_session_without_the_cookie(
    app: Any, admin: Api, env: str
) -> None:
    async with Browser(app, env) as browser:
        _, tokens = await signed_on(app, admin, env, browser, idpSignoff=True)
    async with Browser(app, env) as elsewhere:  # no ST cookie here
        response = await elsewhere.http.get(
            f"/{env}/as/signoff",
            params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGOUT_URI},
        )
    assert response.status_code == 302
    (row,) = await session_rows(app, env)
    assert row.revoked_at is not None


async def test_without_idp_signoff_the_cookie_is_needed(app: Any, admin: Api, env: str) -> None:
    async with Browser(app, env) as browser:
        _, tokens = await signed_on(app, admin, env, browser)
    async with Browser(app, env) as elsewhere:
        response = await elsewhere.http.get(
            f"/{env}/as/signoff", params={"id_token_hint": tokens["id_token"]}
        )
    assert response.status_code == 200
    (row,) = await session_rows(app, env)
    assert row.revoked_at is None
