"""Request objects (`request=`, RFC 9101 / OIDC Core 6.1) at /as/authorize: signed with the client
secret or the registered keys, their parameters win over the query's, their client_id must be the
query's; unsigned ones only with supportUnsignedRequestObject, and requireSignedRequestObject
makes one necessary. Every refusal is invalid_request_object and starts no flow."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import RSAKey

from gatehouse.flows.models import Flow
from tests.oauth.signed_by_client import hs256, issuer, unsigned
from tests.signon import support
from tests.signon.support import Browser, Client
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def parameters(client: Client, env: str, **extra: Any) -> dict[str, Any]:
    return {
        "iss": client.id,
        "aud": issuer(env),
        "exp": int(time.time()) + 300,
        "client_id": client.id,
        "response_type": "code",
        "redirect_uri": support.REDIRECT_URI,
        "scope": "openid profile",
        "state": "inner",
        **extra,
    }


async def with_object(browser: Browser, client: Client, token: str, **query: Any) -> Any:
    return await browser.http.get(
        f"/{browser.env}/as/authorize",
        params={"client_id": client.id, "response_type": "code", "request": token, **query},
    )


def error_of(response: Any) -> dict[str, str]:
    assert response.status_code == 302, response.text
    return support.query_of(response.headers["location"])


async def flows_of(app: Any, env: str) -> list[Flow]:
    async with app.state.runtime.sessions() as session:
        rows = await session.scalars(sa.select(Flow).where(Flow.environment_id == uuid.UUID(env)))
        return list(rows)


async def test_a_signed_request_object_carries_the_parameters(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN])
    person = await support.user(admin, env)
    token = hs256(client, parameters(client, env, nonce="n-0S6"))
    async with Browser(app, env) as browser:
        response = await with_object(browser, client, token, state="outer", scope="openid")
        flow_id = error_of(response)["flowId"]
        (flow,) = await flows_of(app, env)
        assert flow.request["state"] == "inner" and flow.request["nonce"] == "n-0S6"
        assert flow.request["scope"] == ["openid", "profile"]
        assert (await browser.sign_on(flow_id, person["username"]))["status"] == "COMPLETED"
        params = support.query_of((await browser.resume(flow_id)).headers["location"])
        assert params["state"] == "inner" and "code" in params
        tokens = await support.exchange(browser.http, env, client, params["code"])
        assert tokens.status_code == 200, tokens.text


async def test_a_request_object_signed_with_the_registered_keys(
    app: Any, admin: Api, env: str
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "ro"}, private=True)
    client = await support.application(
        admin,
        env,
        tokenEndpointAuthMethod="PRIVATE_KEY_JWT",
        jwks=json.dumps({"keys": [key.as_dict(private=False)]}),
    )
    await support.policy_for(admin, env, client.id, [support.LOGIN])
    token = jwt.encode({"alg": "RS256", "kid": "ro"}, parameters(client, env), key)
    async with Browser(app, env) as browser:
        assert "flowId" in error_of(await with_object(browser, client, token))
        forged = jwt.encode(
            {"alg": "RS256", "kid": "ro"},
            parameters(client, env),
            RSAKey.generate_key(2048, parameters={"kid": "ro"}, private=True),
        )
        refused = error_of(await with_object(browser, client, forged))
        assert refused["error"] == "invalid_request_object"


async def test_bad_request_objects_are_refused_and_start_nothing(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    other = await support.application(admin, env)
    good = parameters(client, env)
    bad = {
        "unsigned": unsigned(good),
        "wrong secret": hs256(client, good, "y" * 64),
        "another application's": hs256(other, parameters(other, env)),
        "expired": hs256(client, {**good, "exp": int(time.time()) - 600}),
        "another audience": hs256(client, {**good, "aud": "https://elsewhere.example/as"}),
        "no iss": hs256(client, {k: v for k, v in good.items() if k != "iss"}),
        "another client_id": hs256(client, {**good, "client_id": other.id}),
        "nested request": hs256(client, {**good, "request_uri": "urn:x"}),
        "structured scope": hs256(client, {**good, "scope": ["openid"]}),
        "unsigned template": unsigned({**good, "pi.template": {"name": "transaction"}}),
        "unknown template": hs256(client, {**good, "pi.template": {"name": "general"}}),
        "malformed": "eyJ.eyJ.sig",
    }
    async with Browser(app, env) as browser:
        for name, token in bad.items():
            params = error_of(await with_object(browser, client, token, state="outer"))
            assert params.get("error") == "invalid_request_object", (name, params)
            assert params["state"] == "outer"
        # the query's redirect URI is not registered: the error is shown, not redirected
        shown = await with_object(
            browser, client, bad["expired"], redirect_uri="https://evil.example/cb"
        )
        assert "location" not in shown.headers
        assert_error(shown, 400, "INVALID_DATA", target="request")
    assert await flows_of(app, env) == []


async def test_unsigned_request_objects_need_the_application_setting(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env, supportUnsignedRequestObject=True)
    await support.policy_for(admin, env, client.id, [support.LOGIN])
    async with Browser(app, env) as browser:
        accepted = error_of(await with_object(browser, client, unsigned(parameters(client, env))))
        assert "flowId" in accepted
        signed = error_of(
            await with_object(browser, client, hs256(client, parameters(client, env)))
        )
        assert "flowId" in signed


async def test_require_signed_request_object(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env, requireSignedRequestObject=True)
    await support.policy_for(admin, env, client.id, [support.LOGIN])
    async with Browser(app, env) as browser:
        plain = error_of(await browser.authorize(client))
        assert plain["error"] == "invalid_request_object"
        refused = error_of(await with_object(browser, client, unsigned(parameters(client, env))))
        assert refused["error"] == "invalid_request_object"
        signed = error_of(
            await with_object(browser, client, hs256(client, parameters(client, env)))
        )
        assert "flowId" in signed


async def test_a_login_hint_token_inside_the_request_object(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(
        admin, env, client.id, [{"type": "MULTI_FACTOR_AUTHENTICATION", "noDevicesMode": "BLOCK"}]
    )
    person = await support.user(admin, env, password=None, mfaEnabled=True)
    await admin.create(
        f"/environments/{env}/users/{person['id']}/devices",
        {"type": "EMAIL", "email": "ro@example.com", "status": "ACTIVE"},
    )
    hint = hs256(
        client,
        {"iss": client.id, "aud": issuer(env), "exp": int(time.time()) + 60, "sub": person["id"]},
    )
    token = hs256(client, parameters(client, env, login_hint_token=hint))
    async with Browser(app, env) as browser:
        flow_id = error_of(await with_object(browser, client, token))["flowId"]
        assert (await browser.flow(flow_id)).json()["status"] == "OTP_REQUIRED"
