"""The refresh_token grant (RFC 6749 section 6): rotation, reuse detection with PingOne's grace
period and replay protection, lifetimes, scope narrowing, and the end of the user's sign-on."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.common import clock
from tests.oauth import support
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def refresh(admin: Api, env: str, client: support.Client, token: str, **form: str) -> Any:
    return await support.token(
        admin.client, env, client, grant_type="refresh_token", refresh_token=token, **form
    )


async def test_every_refresh_rotates_the_refresh_token(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    first = await support.tokens_for(app, admin.client, env, client, person["id"])
    second = await refresh(admin, env, client, first["refresh_token"])
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"] and body["scope"] == first["scope"]
    id_token = await support.claims_of(admin.client, env, body["id_token"])
    original = await support.claims_of(admin.client, env, first["id_token"])
    # OIDC Core 12.2: same iss, sub, aud and auth_time; no nonce
    for claim in ("iss", "sub", "aud", "auth_time"):
        assert id_token[claim] == original[claim]
    assert "nonce" not in id_token
    third = await refresh(admin, env, client, body["refresh_token"])
    assert third.status_code == 200, third.text


async def test_reusing_a_used_refresh_token_revokes_the_family(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    first = await support.tokens_for(app, admin.client, env, client, person["id"])
    second = (await refresh(admin, env, client, first["refresh_token"])).json()

    reuse = await refresh(admin, env, client, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # the whole family ends: the newest refresh token and the access tokens issued in it
    newest = await refresh(admin, env, client, second["refresh_token"])
    assert newest.status_code == 400 and newest.json()["error"] == "invalid_grant"
    for issued in (first, second):
        assert (
            await support.userinfo(admin.client, env, issued["access_token"])
        ).status_code == 401


async def test_without_replay_protection_reuse_is_refused_but_the_family_lives(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(
        admin, env, additionalRefreshTokenReplayProtectionEnabled=False
    )
    person = await support.user(admin, env)
    first = await support.tokens_for(app, admin.client, env, client, person["id"])
    second = (await refresh(admin, env, client, first["refresh_token"])).json()
    reuse = await refresh(admin, env, client, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert (await refresh(admin, env, client, second["refresh_token"])).status_code == 200


async def test_a_used_token_may_be_used_again_within_the_grace_period(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env, refreshTokenRollingGracePeriodDuration=30)
    person = await support.user(admin, env)
    first = await support.tokens_for(app, admin.client, env, client, person["id"])
    assert (await refresh(admin, env, client, first["refresh_token"])).status_code == 200
    clock.advance(20)
    again = await refresh(admin, env, client, first["refresh_token"])
    assert again.status_code == 200, again.text
    clock.advance(20)
    late = await refresh(admin, env, client, first["refresh_token"])
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    assert (
        await refresh(admin, env, client, again.json()["refresh_token"])
    ).status_code == 400  # the family was revoked


async def test_each_refresh_token_lives_refresh_token_duration(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env, refreshTokenDuration=600)
    person = await support.user(admin, env)
    first = await support.tokens_for(app, admin.client, env, client, person["id"])
    clock.advance(500)
    second = await refresh(admin, env, client, first["refresh_token"])
    assert second.status_code == 200
    clock.advance(500)  # 1000 s after sign-on, 500 s after the second token was issued
    third = await refresh(admin, env, client, second.json()["refresh_token"])
    assert third.status_code == 200, third.text
    clock.advance(601)
    expired = await refresh(admin, env, client, third.json()["refresh_token"])
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


async def test_the_family_ends_refresh_token_rolling_duration_after_sign_on(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(
        admin, env, refreshTokenDuration=600, refreshTokenRollingDuration=900
    )
    person = await support.user(admin, env)
    first = await support.tokens_for(app, admin.client, env, client, person["id"])
    clock.advance(500)
    second = await refresh(admin, env, client, first["refresh_token"])
    assert second.status_code == 200
    clock.advance(401)  # the new token would live 600 s, but its family ended at 900 s
    late = await refresh(admin, env, client, second.json()["refresh_token"])
    assert late.status_code == 400 and "expired" in late.json()["error_description"]


async def test_a_refresh_may_narrow_the_scope_never_widen_it(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env, email="grace@example.com")
    first = await support.tokens_for(
        app, admin.client, env, client, person["id"], scope="openid profile email"
    )
    narrowed = await refresh(admin, env, client, first["refresh_token"], scope="openid profile")
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["scope"] == "openid profile"
    id_token = await support.claims_of(admin.client, env, narrowed.json()["id_token"])
    assert "email" not in id_token
    # the new refresh token keeps the original scope (RFC 6749 section 6)
    restored = await refresh(admin, env, client, narrowed.json()["refresh_token"])
    assert restored.json()["scope"] == "openid profile email"

    widened = await refresh(
        admin, env, client, restored.json()["refresh_token"], scope="openid phone"
    )
    assert widened.status_code == 400 and widened.json()["error"] == "invalid_scope"


async def test_a_refresh_token_belongs_to_its_client(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    other = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    first = await support.tokens_for(app, admin.client, env, client, person["id"])
    stolen = await refresh(admin, env, other, first["refresh_token"])
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert (await refresh(admin, env, client, first["refresh_token"])).status_code == 200
    unknown = await refresh(admin, env, client, "nope")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"
    missing = await support.token(admin.client, env, client, grant_type="refresh_token")
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


async def test_a_disabled_user_ends_the_family(app: Any, admin: Api, env: str) -> None:
    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    first = await support.tokens_for(app, admin.client, env, client, person["id"])
    await admin.put(f"/environments/{env}/users/{person['id']}/enabled", json={"enabled": False})
    refused = await refresh(admin, env, client, first["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    await admin.put(f"/environments/{env}/users/{person['id']}/enabled", json={"enabled": True})
    still = await refresh(admin, env, client, first["refresh_token"])
    assert still.status_code == 400  # the family stays revoked


async def test_a_revoked_session_ends_the_family(app: Any, admin: Api, env: str) -> None:
    import uuid

    from gatehouse.sessions.models import Session

    client = await support.oidc_client(admin, env)
    person = await support.user(admin, env)
    sid = await support.sign_on_session(app, env, person["id"])
    first = await support.tokens_for(app, admin.client, env, client, person["id"], session_id=sid)
    runtime = app.state.runtime
    async with runtime.sessions() as session, session.begin():
        row = await session.get(Session, uuid.UUID(sid))
        assert row is not None
        row.revoked_at = clock.now()
    refused = await refresh(admin, env, client, first["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert (await support.userinfo(admin.client, env, first["access_token"])).status_code == 401
