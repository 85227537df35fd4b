"""Authenticator-app (TOTP) devices: the secret, key URI and QR code shown once at creation and
sealed at rest; codes checked with pyotp's algorithm one step either side, never the same step
twice; wrong codes counted towards the lockout."""

from __future__ import annotations

import base64
import copy
import uuid
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from gatehouse.common import clock
from gatehouse.mfa import service
from gatehouse.mfa.defaults import DEFAULT_SETTINGS
from gatehouse.mfa.models import MfaDevice
from tests.mfa.support import (
    activate,
    create_device,
    create_user,
    device_path,
    load,
    unit_of_work,
)
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def code_at(secret: str, steps_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now().timestamp() + 30 * steps_from_now)


def early_in_a_step() -> None:
    """Move the clock to one second into the next time step: a test's codes stay current."""
    clock.advance(30 - clock.now().timestamp() % 30 + 1)


async def totp_device(admin: Api, env: str, **extra) -> tuple[dict, dict, str]:
    user = await create_user(admin, env, username=f"ada-{uuid.uuid4().hex[:6]}")
    device = await create_device(admin, env, user["id"], {"type": "TOTP", **extra})
    return user, device, device["_embedded"]["secret"]["secret"]


async def test_creation_shows_the_secret_key_uri_and_qr_code_once(
    app, admin: Api, env: str
) -> None:
    environment = (await admin.get(f"/environments/{env}")).json()
    user, device, secret = await totp_device(admin, env)
    assert device["status"] == "ACTIVATION_REQUIRED"
    shown = device["_embedded"]["secret"]
    assert len(secret) == 32 and pyotp.TOTP(secret).now().isdigit()
    uri = urlsplit(shown["keyUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/{environment['name']}:{user['username']}"
    query = parse_qs(uri.query)
    assert query["secret"] == [secret] and query["issuer"] == [environment["name"]]
    png = base64.b64decode(shown["qrImage"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")

    read = (await admin.get(device_path(env, user["id"], device["id"]))).json()
    assert "_embedded" not in read
    async with unit_of_work(app) as session:
        stored = await session.get(MfaDevice, uuid.UUID(device["id"]))
        assert stored is not None and stored.totp_secret
        assert secret not in stored.totp_secret


async def test_the_policy_uri_parameters_name_the_issuer(admin: Api, env: str) -> None:
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    settings["totp"]["uriParameters"] = {
        "issuer": "Example Corp",
        "image": "https://example.com/l.png",
    }
    policy = await admin.create(
        f"/environments/{env}/deviceAuthenticationPolicies", {"name": "Branded", **settings}
    )
    _, device, _ = await totp_device(admin, env, policy={"id": policy["id"]})
    uri = urlsplit(device["_embedded"]["secret"]["keyUri"])
    assert unquote(uri.path).startswith("/Example Corp:")
    query = parse_qs(uri.query)
    assert query["issuer"] == ["Example Corp"]
    assert query["image"] == ["https://example.com/l.png"]


async def test_a_current_code_activates_the_device(admin: Api, env: str) -> None:
    user, device, secret = await totp_device(admin, env)
    response = await activate(admin, env, user["id"], device["id"], {"otp": code_at(secret)})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ACTIVE"


async def test_codes_one_step_away_are_accepted_two_are_not(admin: Api, env: str) -> None:
    user, device, secret = await totp_device(admin, env)
    early_in_a_step()
    too_old = await activate(admin, env, user["id"], device["id"], {"otp": code_at(secret, -2)})
    body = assert_error(too_old, 400, "INVALID_DATA", detail="INVALID_OTP", target="otp")
    assert body["details"][0]["innerError"]["failuresRemaining"] == 2
    previous = await activate(admin, env, user["id"], device["id"], {"otp": code_at(secret, -1)})
    assert previous.status_code == 200, previous.text


async def test_the_policy_grace_period_widens_the_window(admin: Api, env: str) -> None:
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    settings["totp"]["passcodeGracePeriod"] = 3
    policy = await admin.create(
        f"/environments/{env}/deviceAuthenticationPolicies", {"name": "Lenient", **settings}
    )
    user, device, secret = await totp_device(admin, env, policy={"id": policy["id"]})
    early_in_a_step()
    response = await activate(admin, env, user["id"], device["id"], {"otp": code_at(secret, -3)})
    assert response.status_code == 200, response.text


async def test_a_time_step_is_never_accepted_twice(app, admin: Api, env: str) -> None:
    user, device, secret = await totp_device(admin, env)
    early_in_a_step()
    code = code_at(secret)
    assert (await activate(admin, env, user["id"], device["id"], {"otp": code})).status_code == 200
    runtime = app.state.runtime
    async with unit_of_work(app) as session:
        _, stored = await load(session, user["id"], device["id"])
        replay = await service.check_code(session, runtime, stored, code)
        older = await service.check_code(session, runtime, stored, code_at(secret, -1))
    assert not replay.accepted and replay.reason == service.INVALID
    assert replay.failures_remaining == 2
    assert not older.accepted and older.failures_remaining == 1
    clock.advance(30)
    async with unit_of_work(app) as session:
        _, stored = await load(session, user["id"], device["id"])
        fresh = await service.check_code(session, runtime, stored, code_at(secret))
    assert fresh.accepted and fresh.failures_remaining == 3


async def test_wrong_totp_codes_lock_the_device(app, admin: Api, env: str) -> None:
    user, device, secret = await totp_device(admin, env)
    for expected in (2, 1, 0):
        response = await activate(admin, env, user["id"], device["id"], {"otp": "000000x"})
        assert response.json()["details"][0]["innerError"]["failuresRemaining"] == expected
    locked = await activate(admin, env, user["id"], device["id"], {"otp": code_at(secret)})
    assert_error(locked, 400, "REQUEST_FAILED", detail="DEVICE_LOCKED")
    clock.advance(121)
    ok = await activate(admin, env, user["id"], device["id"], {"otp": code_at(secret)})
    assert ok.status_code == 200, ok.text
