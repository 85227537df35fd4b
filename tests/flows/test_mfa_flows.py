"""The MULTI_FACTOR_AUTHENTICATION action in sign-on flows: the default device straight to
OTP_REQUIRED, device selection, wrong codes counted down to the lockout, BLOCK and BYPASS, two MFA
actions in sequence, passwordless sign-on, TOTP, and the amr of the tokens. Codes are read from
the outbox or computed from a TOTP device's secret, as the user would."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.mfa.support import ORIGIN, SoftwareAuthenticator
from tests.signon import support
from tests.signon.support import Browser
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

PHONE = "+14155552671"
STRONG = "strong_authentication"


def mfa(mode: str = "BLOCK", **fields: Any) -> dict[str, Any]:
    return {"type": "MULTI_FACTOR_AUTHENTICATION", "noDevicesMode": mode, **fields}


async def mfa_user(admin: Api, env: str, **fields: Any) -> dict[str, Any]:
    return await support.user(admin, env, mfaEnabled=True, **fields)


async def device(admin: Api, env: str, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return await admin.create(
        f"/environments/{env}/users/{user_id}/devices", {"status": "ACTIVE", **body}
    )


async def sms_device(admin: Api, env: str, user_id: str) -> dict[str, Any]:
    return await device(admin, env, user_id, {"type": "SMS", "phone": PHONE})


async def email_device(admin: Api, env: str, user_id: str, address: str) -> dict[str, Any]:
    return await device(admin, env, user_id, {"type": "EMAIL", "email": address})


async def fido2_device(
    admin: Api, env: str, user_id: str
) -> tuple[dict[str, Any], SoftwareAuthenticator]:
    """A security key paired through the API: created, then activated with its attestation."""
    created = await admin.create(f"/environments/{env}/users/{user_id}/devices", {"type": "FIDO2"})
    authenticator = SoftwareAuthenticator()
    attestation = authenticator.attestation(created["publicKeyCredentialCreationOptions"])
    activated = await admin.post(
        f"/environments/{env}/users/{user_id}/devices/{created['id']}",
        json={"attestation": attestation, "origin": ORIGIN},
        media_type="application/vnd.pingidentity.device.activate+json",
    )
    assert activated.status_code == 200, activated.text
    return created, authenticator


async def code(app: Any, env: str, recipient: str) -> str:
    return await support.last_code(app, env, recipient, STRONG)


async def check(browser: Browser, flow_id: str, otp: str) -> Any:
    return await browser.act(flow_id, "otp.check", {"otp": otp})


async def test_one_device_goes_straight_to_otp_and_completes(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    sms = await sms_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = await browser.sign_on(flow_id, person["username"])
        assert flow["status"] == "OTP_REQUIRED"
        assert {"otp.check", "otp.send", "session.reset"} <= set(flow["_links"])
        assert "device.select" not in flow["_links"]
        selected = flow["_embedded"]["selectedDevice"]
        assert selected["id"] == sms["id"] and selected["type"] == "SMS"
        assert selected["phone"].endswith("2671") and PHONE not in str(flow)
        done = await check(browser, flow_id, await code(app, env, PHONE))
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "COMPLETED"
        resumed = await browser.resume(flow_id)
        assert "code" in support.query_of(resumed.headers["location"])


async def test_resend_replaces_the_code(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    await sms_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        await browser.sign_on(flow_id, person["username"])
        first = await code(app, env, PHONE)
        resent = await browser.act(flow_id, "otp.send")
        assert resent.status_code == 200 and resent.json()["status"] == "OTP_REQUIRED"
        second = await code(app, env, PHONE)
        if first != second:
            assert_error(await check(browser, flow_id, first), 400, "INVALID_DATA")
        done = await check(browser, flow_id, second)
        assert done.json()["status"] == "COMPLETED"


async def test_several_devices_prompt_for_a_selection(app: Any, admin: Api, env: str) -> None:
    policy_id, body = await _policy_with(admin, env, "PROMPT_TO_SELECT")
    updated = await admin.put(
        f"/environments/{env}/deviceAuthenticationPolicies/{policy_id}", json=body
    )
    assert updated.status_code == 200, updated.text
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    sms = await sms_device(admin, env, person["id"])
    mail = await email_device(admin, env, person["id"], "second@example.com")
    other = await mfa_user(admin, env)
    foreign = await sms_device(admin, env, other["id"])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = await browser.sign_on(flow_id, person["username"])
        assert flow["status"] == "DEVICE_SELECTION_REQUIRED"
        listed = flow["_embedded"]["devices"]
        assert [item["id"] for item in listed] == [sms["id"], mail["id"]]
        assert listed[1]["email"] == "s*****@example.com"
        refused = await browser.act(flow_id, "device.select", {"device": {"id": foreign["id"]}})
        assert_error(refused, 400, "INVALID_DATA")
        assert refused.json()["details"][0]["code"] == "INVALID_VALUE"
        chosen = await browser.act(flow_id, "device.select", {"device": {"id": mail["id"]}})
        assert chosen.json()["status"] == "OTP_REQUIRED"
        assert "device.select" in chosen.json()["_links"]
        done = await check(browser, flow_id, await code(app, env, "second@example.com"))
        assert done.json()["status"] == "COMPLETED"


async def _policy_with(admin: Api, env: str, selection: str) -> tuple[str, dict[str, Any]]:
    listing = await admin.get(f"/environments/{env}/deviceAuthenticationPolicies")
    policy = listing.json()["_embedded"]["deviceAuthenticationPolicies"][0]
    body = {
        key: value
        for key, value in policy.items()
        if key not in {"_links", "id", "environment", "createdAt", "updatedAt"}
    }
    body["authentication"] = {"deviceSelection": selection}
    return policy["id"], body


async def test_wrong_codes_count_down_to_the_lockout(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    await sms_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        await browser.sign_on(flow_id, person["username"])
        good = await code(app, env, PHONE)
        wrong = "000000" if good != "000000" else "111111"
        remaining = []
        for _ in range(10):
            refused = await check(browser, flow_id, wrong)
            assert refused.status_code == 400
            detail = refused.json()["details"][0]
            remaining.append(detail["innerError"]["failuresRemaining"])
            if detail["code"] == "DEVICE_LOCKED":
                break
        assert detail["code"] == "DEVICE_LOCKED"
        assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 0
        assert remaining[0] > 0
        # the count was kept: even the right code is refused now
        locked = await check(browser, flow_id, good)
        assert locked.json()["details"][0]["code"] == "DEVICE_LOCKED"
        assert (await browser.flow(flow_id)).json()["status"] == "OTP_REQUIRED"


async def test_block_fails_and_bypass_skips_without_devices(app: Any, admin: Api, env: str) -> None:
    blocking = await support.application(admin, env)
    await support.policy_for(admin, env, blocking.id, [support.LOGIN, mfa("BLOCK")])
    bypassing = await support.application(admin, env)
    await support.policy_for(admin, env, bypassing.id, [support.LOGIN, mfa("BYPASS")])
    person = await mfa_user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(blocking)
        failed = await browser.sign_on(flow_id, person["username"])
        assert failed["status"] == "FAILED"
        assert failed["error"]["code"] == "NO_USABLE_DEVICES"
    async with Browser(app, env) as browser:
        params = await browser.code_for(bypassing, person["username"])
        assert params["code"]


async def test_two_mfa_actions_in_sequence(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    actions = [support.LOGIN, mfa(sms={"enabled": True}), mfa(email={"enabled": True})]
    await support.policy_for(admin, env, client.id, actions)
    person = await mfa_user(admin, env)
    await email_device(admin, env, person["id"], "both@example.com")
    await sms_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        first = await browser.sign_on(flow_id, person["username"])
        assert first["status"] == "OTP_REQUIRED"
        assert first["_embedded"]["selectedDevice"]["type"] == "SMS"
        second = (await check(browser, flow_id, await code(app, env, PHONE))).json()
        assert second["status"] == "OTP_REQUIRED"
        assert second["_embedded"]["selectedDevice"]["type"] == "EMAIL"
        done = await check(browser, flow_id, await code(app, env, "both@example.com"))
        assert done.json()["status"] == "COMPLETED"


async def test_passwordless_identifier_first_then_mfa(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [{"type": "IDENTIFIER_FIRST"}, mfa()])
    person = await mfa_user(admin, env, password=None)
    await sms_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        assert (await browser.flow(flow_id)).json()["status"] == "SIGN_ON_REQUIRED"
        looked = await browser.act(flow_id, "user.lookup", {"username": person["username"]})
        assert looked.json()["status"] == "OTP_REQUIRED"
        done = await check(browser, flow_id, await code(app, env, PHONE))
        assert done.json()["status"] == "COMPLETED"


async def test_passwordless_mfa_only_policy(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [mfa("BYPASS")])
    person = await mfa_user(admin, env, password=None)
    await sms_device(admin, env, person["id"])
    without = await mfa_user(admin, env, password=None)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        assert (await browser.flow(flow_id)).json()["status"] == "SIGN_ON_REQUIRED"
        looked = await browser.act(flow_id, "user.lookup", {"username": person["username"]})
        assert looked.json()["status"] == "OTP_REQUIRED"
        done = await check(browser, flow_id, await code(app, env, PHONE))
        assert done.json()["status"] == "COMPLETED"
    async with Browser(app, env) as browser:
        # a username alone never signs on, whatever noDevicesMode says
        flow_id = await browser.start(client)
        failed = await browser.act(flow_id, "user.lookup", {"username": without["username"]})
        assert failed.json()["status"] == "FAILED"
        assert failed.json()["error"]["code"] == "NO_USABLE_DEVICES"


async def test_totp_and_the_amr_of_the_id_token(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    totp = await device(admin, env, person["id"], {"type": "TOTP"})
    secret = totp["_embedded"]["secret"]["secret"]
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = await browser.sign_on(flow_id, person["username"])
        assert flow["status"] == "OTP_REQUIRED" and "otp.send" not in flow["_links"]
        assert_error(await check(browser, flow_id, "12345"), 400, "INVALID_DATA")
        done = await check(browser, flow_id, pyotp.TOTP(secret).now())
        assert done.json()["status"] == "COMPLETED", done.text
        resumed = await browser.resume(flow_id)
        granted = support.query_of(resumed.headers["location"])
        tokens = await support.exchange(browser.http, env, client, granted["code"])
        assert tokens.status_code == 200, tokens.text
    keys = KeySet.import_key_set(await browser_jwks(app, env))
    claims = jwt.decode(tokens.json()["id_token"], keys).claims
    assert set(claims["amr"]) == {"pwd", "mfa", "otp"}


async def browser_jwks(app: Any, env: str) -> dict[str, Any]:
    async with Browser(app, env) as browser:
        return (await browser.http.get(f"/{env}/as/jwks")).json()


async def test_fido2_assertion(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    key, authenticator = await fido2_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = await browser.sign_on(flow_id, person["username"])
        assert flow["status"] == "ASSERTION_REQUIRED"
        assert {"assertion.check", "session.reset"} == set(flow["_links"]) - {"self"}
        assert flow["_embedded"]["selectedDevice"]["id"] == key["id"]
        options = flow["_embedded"]["publicKeyCredentialRequestOptions"]
        garbled = await browser.act(flow_id, "assertion.check", {"assertion": "{}"})
        assert garbled.status_code == 400
        assert garbled.json()["details"][0]["innerError"]["failuresRemaining"] >= 0
        answer = authenticator.assertion(options)
        done = await browser.act(
            flow_id, "assertion.check", {"assertion": answer, "origin": ORIGIN}
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "COMPLETED"
        resumed = await browser.resume(flow_id)
        granted = support.query_of(resumed.headers["location"])
        tokens = await support.exchange(browser.http, env, client, granted["code"])
    keys = KeySet.import_key_set(await browser_jwks(app, env))
    claims = jwt.decode(tokens.json()["access_token"], keys).claims
    assert set(claims["amr"]) == {"pwd", "mfa", "hwk"}


async def test_default_device_first_and_switching(app: Any, admin: Api, env: str) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa()])
    person = await mfa_user(admin, env)
    await sms_device(admin, env, person["id"])
    mail = await email_device(admin, env, person["id"], "switch@example.com")
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = await browser.sign_on(flow_id, person["username"])
        assert flow["status"] == "OTP_REQUIRED"  # DEFAULT_TO_FIRST: the first device
        assert flow["_embedded"]["selectedDevice"]["type"] == "SMS"
        assert len(flow["_embedded"]["devices"]) == 2 and "device.select" in flow["_links"]
        switched = await browser.act(flow_id, "device.select", {"device": {"id": mail["id"]}})
        assert switched.json()["_embedded"]["selectedDevice"]["id"] == mail["id"]
        bad = await browser.act(flow_id, "device.select", {"device": {"id": "not-an-id"}})
        assert_error(bad, 400, "INVALID_DATA")
        done = await check(browser, flow_id, await code(app, env, "switch@example.com"))
        assert done.json()["status"] == "COMPLETED"


async def test_a_user_without_mfa_enabled_has_no_usable_device(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [support.LOGIN, mfa("BLOCK")])
    person = await support.user(admin, env)
    await sms_device(admin, env, person["id"])
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        failed = await browser.sign_on(flow_id, person["username"])
    assert failed["status"] == "FAILED" and failed["error"]["code"] == "NO_USABLE_DEVICES"


async def test_identifier_first_asks_for_the_password_without_a_usable_device(
    app: Any, admin: Api, env: str
) -> None:
    client = await support.application(admin, env)
    await support.policy_for(admin, env, client.id, [{"type": "IDENTIFIER_FIRST"}, mfa("BYPASS")])
    person = await mfa_user(admin, env)
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        unknown = await browser.act(flow_id, "user.lookup", {"username": "nobody-here"})
        assert unknown.json()["status"] == "PASSWORD_REQUIRED"
        await browser.act(flow_id, "session.reset")
        looked = await browser.act(flow_id, "user.lookup", {"username": person["username"]})
        assert looked.json()["status"] == "PASSWORD_REQUIRED"
        done = await browser.sign_on(flow_id, person["username"])
        assert done["status"] == "COMPLETED"
