"""The service functions sign-on flows call: usable devices in order, starting an authentication
(a fresh code, nothing, or WebAuthn options), checking codes with the lockout bookkeeping, and the
RFC 8176 method references."""

from __future__ import annotations

import copy

import pytest

from gatehouse.common import clock
from gatehouse.common.errors import Problem
from gatehouse.mfa import service
from gatehouse.mfa.defaults import DEFAULT_SETTINGS
from gatehouse.mfa.policies.schemas import PolicySettings
from tests.mfa.support import (
    FR_MOBILE,
    FR_MOBILE_E164,
    REORDER,
    US_PHONE,
    create_device,
    create_user,
    device_path,
    last_code,
    load,
    messages_to,
    other_code,
    unit_of_work,
)
from tests.support.api import Api

pytestmark = pytest.mark.anyio


async def active(admin: Api, env: str, user_id: str, body: dict) -> str:
    return (await create_device(admin, env, user_id, {**body, "status": "ACTIVE"}))["id"]


async def test_usable_devices_are_the_active_unlocked_ones_in_order(
    app, admin: Api, env: str
) -> None:
    user = await create_user(admin, env)
    sms = await active(admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE})
    email = await active(admin, env, user["id"], {"type": "EMAIL", "email": "a@example.com"})
    await create_device(admin, env, user["id"], {"type": "VOICE", "phone": US_PHONE})  # pending
    totp = await active(admin, env, user["id"], {"type": "TOTP"})
    await admin.post(
        device_path(env, user["id"]),
        json={"order": [{"id": totp}, {"id": email}]},
        media_type=REORDER,
    )
    runtime = app.state.runtime
    async with unit_of_work(app) as session:
        stored_user, _ = await load(session, user["id"], sms)
        usable = await service.usable_devices(session, stored_user)
        assert [str(device.id) for device in usable] == [totp, email, sms]
        # locking the e-mail device takes it out
        _, email_device = await load(session, user["id"], email)
        await service.start_authentication(session, runtime, stored_user, email_device)
        for _ in range(3):
            await service.check_code(session, runtime, email_device, "000000")
        usable = await service.usable_devices(session, stored_user)
        assert [str(device.id) for device in usable] == [totp, sms]
        # a policy without TOTP leaves the SMS device only
        settings = copy.deepcopy(DEFAULT_SETTINGS)
        settings["totp"]["enabled"] = False
        policy = PolicySettings.model_validate(settings)
        usable = await service.usable_devices(session, stored_user, policy)
        assert [str(device.id) for device in usable] == [sms]


async def test_an_authentication_sends_a_fresh_single_use_code(app, admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    sms = await active(admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE})
    runtime = app.state.runtime
    async with unit_of_work(app) as session:
        stored_user, device = await load(session, user["id"], sms)
        challenge = await service.start_authentication(session, runtime, stored_user, device)
    assert challenge.otp_sent and challenge.public_key_credential_request_options is None
    (message,) = await messages_to(app, env, FR_MOBILE_E164)
    assert message.template == "strong_authentication"
    code = await last_code(app, env, FR_MOBILE_E164)
    async with unit_of_work(app) as session:
        _, device = await load(session, user["id"], sms)
        wrong = await service.check_code(session, runtime, device, other_code(code))
        right = await service.check_code(session, runtime, device, code)
        reused = await service.check_code(session, runtime, device, code)
    assert (wrong.accepted, wrong.reason, wrong.failures_remaining) == (False, "INVALID", 2)
    assert (right.accepted, right.failures_remaining) == (True, 3)  # success resets the count
    assert (reused.accepted, reused.reason) == (False, service.NOT_STARTED)
    problem = service.refusal(reused)
    assert (problem.status, problem.code, problem.details[0].code) == (
        400,
        "INVALID_DATA",
        "INVALID_OTP",
    )


async def test_a_sign_on_code_expires_with_the_policy_lifetime(app, admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    sms = await active(admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE})
    runtime = app.state.runtime
    async with unit_of_work(app) as session:
        stored_user, device = await load(session, user["id"], sms)
        await service.start_authentication(session, runtime, stored_user, device)
    code = await last_code(app, env, FR_MOBILE_E164)
    clock.advance(30 * 60)
    async with unit_of_work(app) as session:
        _, device = await load(session, user["id"], sms)
        result = await service.check_code(session, runtime, device, code)
    assert (result.accepted, result.reason) == (False, service.EXPIRED)


async def test_a_locked_or_inactive_device_cannot_start_an_authentication(
    app, admin: Api, env: str
) -> None:
    user = await create_user(admin, env)
    pending = (await create_device(admin, env, user["id"], {"type": "EMAIL", "email": "p@x.com"}))[
        "id"
    ]
    totp = await active(admin, env, user["id"], {"type": "TOTP"})
    runtime = app.state.runtime
    async with unit_of_work(app) as session:
        stored_user, device = await load(session, user["id"], pending)
        with pytest.raises(Problem) as inactive:
            await service.start_authentication(session, runtime, stored_user, device)
        with pytest.raises(Problem):
            await service.check_code(session, runtime, device, "123456")
        _, totp_device = await load(session, user["id"], totp)
        challenge = await service.start_authentication(session, runtime, stored_user, totp_device)
        assert not challenge.otp_sent and challenge.public_key_credential_request_options is None
        results = [
            await service.check_code(session, runtime, totp_device, "12345x") for _ in range(4)
        ]
        with pytest.raises(Problem) as locked:
            await service.start_authentication(session, runtime, stored_user, totp_device)
    assert inactive.value.code == "REQUEST_FAILED"
    assert [result.failures_remaining for result in results] == [2, 1, 0, 0]
    assert results[-1].reason == service.LOCKED and results[-1].seconds_until_unlock
    assert locked.value.details[0].code == "DEVICE_LOCKED"
    assert service.refusal(results[-1]).details[0].inner_error == {
        "failuresRemaining": 0,
        "secondsUntilUnlock": results[-1].seconds_until_unlock,
    }


async def test_each_method_has_its_rfc_8176_reference(app, admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    ids = {
        "SMS": await active(admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE}),
        "VOICE": await active(admin, env, user["id"], {"type": "VOICE", "phone": US_PHONE}),
        "EMAIL": await active(admin, env, user["id"], {"type": "EMAIL", "email": "a@b.com"}),
        "TOTP": await active(admin, env, user["id"], {"type": "TOTP"}),
    }
    async with unit_of_work(app) as session:
        references = {}
        for kind, device_id in ids.items():
            _, device = await load(session, user["id"], device_id)
            references[kind] = service.amr(device)
    assert references == {"SMS": "sms", "VOICE": "tel", "EMAIL": "otp", "TOTP": "otp"}
