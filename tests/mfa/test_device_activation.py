"""Activating SMS, voice and e-mail devices with the code they were sent: single use, until it
expires, only for its own device, with failures counted down to a lockout; new codes on request,
rate-limited per device and per user."""

from __future__ import annotations

import uuid

import pytest

from gatehouse.common import clock
from gatehouse.mfa import service
from gatehouse.mfa.models import MfaDevice
from tests.mfa.support import (
    FR_MOBILE,
    FR_MOBILE_E164,
    SEND_ACTIVATION_CODE,
    US_PHONE,
    US_PHONE_E164,
    activate,
    create_device,
    create_user,
    device_path,
    last_code,
    messages_to,
    other_code,
)
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def sms_device(admin: Api, env: str, phone: str = FR_MOBILE) -> tuple[dict, dict]:
    user = await create_user(admin, env)
    device = await create_device(admin, env, user["id"], {"type": "SMS", "phone": phone})
    return user, device


async def resend(admin: Api, env: str, user_id: str, device_id: str):
    return await admin.post(device_path(env, user_id, device_id), media_type=SEND_ACTIVATION_CODE)


def failures_remaining(body: dict) -> int:
    return body["details"][0]["innerError"]["failuresRemaining"]


async def test_the_code_sent_activates_the_device(app, admin: Api, env: str) -> None:
    user, device = await sms_device(admin, env)
    code = await last_code(app, env, FR_MOBILE_E164)
    response = await activate(admin, env, user["id"], device["id"], {"otp": code})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ACTIVE"
    assert "device.activate" not in response.json()["_links"]
    read = await admin.get(device_path(env, user["id"], device["id"]))
    assert read.json()["status"] == "ACTIVE"


async def test_an_email_device_activates_with_the_code_sent_to_its_address(
    app, admin: Api, env: str
) -> None:
    user = await create_user(admin, env)
    device = await create_device(
        admin, env, user["id"], {"type": "EMAIL", "email": "mfa.only@example.com"}
    )
    code = await last_code(app, env, "mfa.only@example.com")
    response = await activate(admin, env, user["id"], device["id"], {"otp": code})
    assert response.status_code == 200 and response.json()["status"] == "ACTIVE"


async def test_a_wrong_code_is_refused_with_failures_remaining(app, admin: Api, env: str) -> None:
    user, device = await sms_device(admin, env)
    code = await last_code(app, env, FR_MOBILE_E164)
    wrong = await activate(admin, env, user["id"], device["id"], {"otp": other_code(code)})
    body = assert_error(wrong, 400, "INVALID_DATA", detail="INVALID_OTP", target="otp")
    assert failures_remaining(body) == 2
    # the failure was kept (not rolled back with the refused request), and the code still works
    again = await activate(admin, env, user["id"], device["id"], {"otp": "abc"})
    assert failures_remaining(again.json()) == 1
    ok = await activate(admin, env, user["id"], device["id"], {"otp": code})
    assert ok.status_code == 200


async def test_too_many_wrong_codes_lock_the_device_for_the_cool_down(
    app, admin: Api, env: str
) -> None:
    user, device = await sms_device(admin, env)
    code = await last_code(app, env, FR_MOBILE_E164)
    remaining = []
    for _ in range(3):
        response = await activate(admin, env, user["id"], device["id"], {"otp": other_code(code)})
        assert response.status_code == 400
        remaining.append(failures_remaining(response.json()))
    assert remaining == [2, 1, 0]
    last = response.json()["details"][0]["innerError"]
    assert 0 < last["secondsUntilUnlock"] <= 120
    read = (await admin.get(device_path(env, user["id"], device["id"]))).json()
    assert read["lock"]["status"] == "LOCKED" and read["lock"]["expiresAt"].endswith("Z")

    # locked: even the right code is refused, and no new code is sent
    locked = await activate(admin, env, user["id"], device["id"], {"otp": code})
    body = assert_error(locked, 400, "REQUEST_FAILED", detail="DEVICE_LOCKED")
    assert body["details"][0]["innerError"]["failuresRemaining"] == 0
    assert_error(await resend(admin, env, user["id"], device["id"]), 400, "REQUEST_FAILED")

    # after the cool-down the lock is gone, the locked-out code with it: a new one works
    clock.advance(121)
    read = (await admin.get(device_path(env, user["id"], device["id"]))).json()
    assert "lock" not in read
    stale = await activate(admin, env, user["id"], device["id"], {"otp": code})
    assert_error(stale, 400, "INVALID_DATA", detail="INVALID_OTP")
    assert (await resend(admin, env, user["id"], device["id"])).status_code == 200
    fresh = await last_code(app, env, FR_MOBILE_E164)
    response = await activate(admin, env, user["id"], device["id"], {"otp": fresh})
    assert response.status_code == 200, response.text


async def test_an_expired_code_is_refused(app, admin: Api, env: str) -> None:
    user, device = await sms_device(admin, env)
    code = await last_code(app, env, FR_MOBILE_E164)
    clock.advance(30 * 60 + 1)
    response = await activate(admin, env, user["id"], device["id"], {"otp": code})
    body = assert_error(response, 400, "INVALID_DATA", detail="INVALID_OTP", target="otp")
    assert "expired" in body["details"][0]["message"]
    assert failures_remaining(body) == 3  # nothing could be guessed: not a failure
    read = (await admin.get(device_path(env, user["id"], device["id"]))).json()
    assert read["status"] == "ACTIVATION_REQUIRED"


async def test_a_code_is_used_once(app, admin: Api, env: str) -> None:
    user, device = await sms_device(admin, env)
    code = await last_code(app, env, FR_MOBILE_E164)
    assert (await activate(admin, env, user["id"], device["id"], {"otp": code})).status_code == 200
    reused = await activate(admin, env, user["id"], device["id"], {"otp": code})
    assert_error(reused, 400, "REQUEST_FAILED")
    # and at sign-on, the activation code is no longer pending
    async with app.state.runtime.sessions() as session, session.begin():
        stored = await session.get(MfaDevice, uuid.UUID(device["id"]))
        result = await service.check_code(session, app.state.runtime, stored, code)
    assert not result.accepted and result.reason == service.NOT_STARTED


async def test_the_code_of_another_device_does_not_activate(app, admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    first = await create_device(admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE})
    second = await create_device(admin, env, user["id"], {"type": "SMS", "phone": US_PHONE})
    first_code = await last_code(app, env, FR_MOBILE_E164)
    second_code = await last_code(app, env, US_PHONE_E164)
    if first_code == second_code:  # one chance in a million: make the codes differ
        assert (await resend(admin, env, user["id"], second["id"])).status_code == 200
        second_code = await last_code(app, env, US_PHONE_E164)
    response = await activate(admin, env, user["id"], second["id"], {"otp": first_code})
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_OTP")
    ok = await activate(admin, env, user["id"], first["id"], {"otp": first_code})
    assert ok.status_code == 200


async def test_a_new_code_replaces_the_previous_one(app, admin: Api, env: str) -> None:
    user, device = await sms_device(admin, env)
    first = await last_code(app, env, FR_MOBILE_E164)
    response = await resend(admin, env, user["id"], device["id"])
    assert response.status_code == 200, response.text
    second = await last_code(app, env, FR_MOBILE_E164)
    assert len(await messages_to(app, env, FR_MOBILE_E164)) == 2
    if first != second:
        stale = await activate(admin, env, user["id"], device["id"], {"otp": first})
        assert_error(stale, 400, "INVALID_DATA", detail="INVALID_OTP")
    ok = await activate(admin, env, user["id"], device["id"], {"otp": second})
    assert ok.status_code == 200


async def test_codes_are_rate_limited_per_device(app, admin: Api, env: str) -> None:
    user, device = await sms_device(admin, env)  # the first send
    for _ in range(service.DEVICE_SEND_LIMIT - 1):
        assert (await resend(admin, env, user["id"], device["id"])).status_code == 200
    refused = await resend(admin, env, user["id"], device["id"])
    body = assert_error(refused, 400, "REQUEST_FAILED", detail="LIMIT_EXCEEDED")
    assert body["details"][0]["innerError"]["quotaLimit"] == service.DEVICE_SEND_LIMIT
    assert len(await messages_to(app, env, FR_MOBILE_E164)) == service.DEVICE_SEND_LIMIT
    clock.advance(service.SEND_WINDOW.total_seconds() + 1)
    assert (await resend(admin, env, user["id"], device["id"])).status_code == 200


async def test_codes_are_rate_limited_per_user(app, admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    devices = [
        await create_device(admin, env, user["id"], {"type": "EMAIL", "email": f"d{i}@example.com"})
        for i in range(2)
    ]
    for device in devices:
        for _ in range(service.DEVICE_SEND_LIMIT - 1):
            assert (await resend(admin, env, user["id"], device["id"])).status_code == 200
    # the user's limit: a third device cannot be paired (it would be sent a code)
    response = await admin.post(
        device_path(env, user["id"]), json={"type": "EMAIL", "email": "d2@example.com"}
    )
    assert_error(response, 400, "REQUEST_FAILED", detail="LIMIT_EXCEEDED")
    listing = (await admin.get(device_path(env, user["id"]))).json()
    assert listing["count"] == 2


async def test_activation_requests_that_do_not_apply_are_refused(app, admin: Api, env: str) -> None:
    user, device = await sms_device(admin, env)
    missing = await activate(admin, env, user["id"], device["id"], {})
    assert_error(missing, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="otp")
    numeric = await activate(admin, env, user["id"], device["id"], {"otp": 123456})
    assert_error(numeric, 400, "INVALID_DATA", target="otp")
    active = await create_device(
        admin, env, user["id"], {"type": "VOICE", "phone": US_PHONE, "status": "ACTIVE"}
    )
    assert_error(await resend(admin, env, user["id"], active["id"]), 400, "REQUEST_FAILED")
    totp = await create_device(admin, env, user["id"], {"type": "TOTP"})
    assert_error(await resend(admin, env, user["id"], totp["id"]), 400, "REQUEST_FAILED")
