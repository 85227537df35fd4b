"""login_hint_token at /as/authorize: a JWT the application signs (its client secret, HS256, or its
registered keys) names the user by sub, username, email or phone_number, so an MFA-only policy
goes straight to OTP_REQUIRED. Every bad token (unsigned, badly signed, another application's,
expired, for another audience or issuer, naming nobody) gets the same answer, nothing starts and
nothing is sent."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from gatehouse.flows.models import Flow
from tests.oauth.signed_by_client import hs256, issuer, unsigned
from tests.signon import support
from tests.signon.support import Browser, Client
from tests.support.api import Api

pytestmark = pytest.mark.anyio

PHONE = "+14155552671"
MFA_ONLY = {"type": "MULTI_FACTOR_AUTHENTICATION", "noDevicesMode": "BLOCK"}


def claims_for(client: Client, env: str, **claims: Any) -> dict[str, Any]:
    return {"iss": client.id, "aud": issuer(env), "exp": int(time.time()) + 300, **claims}


async def mfa_only_setup(admin: Api, env: str, **config: Any) -> tuple[Client, dict[str, Any]]:
    client = await support.application(admin, env, **config)
    await support.policy_for(admin, env, client.id, [MFA_ONLY])
    person = await support.user(
        admin, env, password=None, mfaEnabled=True, mobilePhone=PHONE, email="hinted@example.com"
    )
    await admin.create(
        f"/environments/{env}/users/{person['id']}/devices",
        {"type": "SMS", "phone": PHONE, "status": "ACTIVE"},
    )
    return client, person


async def flow_count(app: Any, env: str) -> int:
    async with app.state.runtime.sessions() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(Flow)
            .where(Flow.environment_id == uuid.UUID(env))
        )
    return int(count or 0)


@pytest.mark.parametrize(
    "naming",
    [
        lambda person: {"sub": person["id"]},
        lambda person: {"username": person["username"].upper()},
        lambda person: {"email": "HINTED@example.com"},
        lambda person: {"phone_number": PHONE},
    ],
    ids=["sub", "username", "email", "phone_number"],
)
async def test_the_hinted_user_goes_straight_to_the_passcode(
    app: Any, admin: Api, env: str, naming: Any
) -> None:
    client, person = await mfa_only_setup(admin, env)
    token = hs256(client, claims_for(client, env, **naming(person)))
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client, login_hint_token=token)
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "OTP_REQUIRED", flow
        code = await support.last_code(app, env, PHONE, "strong_authentication")
        done = await browser.act(flow_id, "otp.check", {"otp": code})
        assert done.json()["status"] == "COMPLETED", done.text
        resumed = await browser.resume(flow_id)
        params = support.query_of(resumed.headers["location"])
        tokens = await support.exchange(browser.http, env, client, params["code"])
        assert tokens.status_code == 200, tokens.text


async def test_the_tokens_are_for_the_hinted_user(app: Any, admin: Api, env: str) -> None:
    client, person = await mfa_only_setup(admin, env)
    token = hs256(client, claims_for(client, env, sub=person["id"]))
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client, login_hint_token=token)
        code = await support.last_code(app, env, PHONE, "strong_authentication")
        await browser.act(flow_id, "otp.check", {"otp": code})
        params = support.query_of((await browser.resume(flow_id)).headers["location"])
        tokens = (await support.exchange(browser.http, env, client, params["code"])).json()
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == person["id"]
    assert set(claims["amr"]) == {"mfa", "sms"}


async def test_a_token_signed_with_the_registered_keys(app: Any, admin: Api, env: str) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "hint-key"}, private=True)
    client, person = await mfa_only_setup(
        admin,
        env,
        tokenEndpointAuthMethod="PRIVATE_KEY_JWT",
        jwks=json.dumps({"keys": [key.as_dict(private=False)]}),
    )
    claims = claims_for(client, env, sub=person["id"])
    token = jwt.encode({"alg": "RS256", "kid": "hint-key"}, claims, key)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client, login_hint_token=token)
        assert (await browser.flow(flow_id)).json()["status"] == "OTP_REQUIRED"
        stranger = RSAKey.generate_key(2048, parameters={"kid": "hint-key"}, private=True)
        forged = jwt.encode({"alg": "RS256", "kid": "hint-key"}, claims, stranger)
        response = await browser.authorize(client, login_hint_token=forged)
        assert support.query_of(response.headers["location"])["error"] == "invalid_request"


async def test_every_bad_token_gets_the_same_answer_and_starts_nothing(
    app: Any, admin: Api, env: str
) -> None:
    client, person = await mfa_only_setup(admin, env)
    other = await support.application(admin, env)
    disabled = await support.user(admin, env, password=None)
    turned_off = await admin.put(
        f"/environments/{env}/users/{disabled['id']}/enabled", json={"enabled": False}
    )
    assert turned_off.status_code == 200, turned_off.text
    good = claims_for(client, env, sub=person["id"])
    bad_tokens = {
        "unsigned": unsigned(good),
        "wrong secret": hs256(client, good, "x" * 64),
        "another application": hs256(other, claims_for(other, env, sub=person["id"]), None),
        "another application's secret": hs256(client, good, other.secret),
        "expired": hs256(client, {**good, "exp": int(time.time()) - 3600}),
        "no exp": hs256(client, {k: v for k, v in good.items() if k != "exp"}),
        "another audience": hs256(client, {**good, "aud": "https://elsewhere.example/as"}),
        "another issuer": hs256(client, {**good, "iss": other.id}),
        "unknown user": hs256(client, claims_for(client, env, sub=str(uuid.uuid4()))),
        "unknown username": hs256(client, claims_for(client, env, username="nobody-here")),
        "disabled user": hs256(client, claims_for(client, env, sub=disabled["id"])),
        "names nobody": hs256(client, claims_for(client, env)),
        "not a JWT": "not-a-jwt",
        "nested JWT": jwt.encode(
            {"alg": "HS256", "cty": "JWT"}, good, OctKey.import_key(client.secret or "")
        ),
    }
    async with Browser(app, env) as browser:
        answers = set()
        for name, token in bad_tokens.items():
            response = await browser.authorize(client, login_hint_token=token)
            assert response.status_code == 302, (name, response.text)
            params = support.query_of(response.headers["location"])
            assert params.get("error") == "invalid_request", (name, params)
            assert params["state"] == "xyz"
            answers.add(params["error_description"])
    assert answers == {"The login_hint_token is not valid."}
    assert await flow_count(app, env) == 0
    assert await support.outbox(app, env, PHONE) == []


async def test_the_session_of_another_user_is_not_used(app: Any, admin: Api, env: str) -> None:
    client, person = await mfa_only_setup(admin, env)
    password_client = await support.application(admin, env)
    await support.policy_for(admin, env, password_client.id, [support.LOGIN])
    someone_else = await support.user(admin, env)
    async with Browser(app, env) as browser:
        await browser.code_for(password_client, someone_else["username"])
        token = hs256(client, claims_for(client, env, sub=person["id"]))
        flow_id = await browser.start(client, login_hint_token=token)
        flow = (await browser.flow(flow_id)).json()
        assert flow["status"] == "OTP_REQUIRED"
        assert flow["_embedded"]["selectedDevice"]["phone"].endswith("2671")
