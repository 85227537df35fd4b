"""Device authentication (MFA) policies: the environment's default, CRUD, one default at a time,
and settings validated with the target of each mistake."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gatehouse.mfa.defaults import DEFAULT_SETTINGS
from tests.mfa.support import new_uuid
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def policy_body(name: str = "Strict", **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(DEFAULT_SETTINGS)
    body.update(name=name, **changes)
    return body


def path(env: str, policy_id: str = "") -> str:
    base = f"/environments/{env}/deviceAuthenticationPolicies"
    return f"{base}/{policy_id}" if policy_id else base


async def policies(admin: Api, env: str) -> list[dict[str, Any]]:
    response = await admin.get(path(env))
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["deviceAuthenticationPolicies"]


async def test_a_new_environment_has_the_default_mfa_policy(admin: Api, env: str) -> None:
    (policy,) = await policies(admin, env)
    assert policy["name"] == "Default MFA Policy"
    assert policy["default"] is True
    assert policy["forSignOnPolicy"] is False
    for method in ("sms", "voice", "email", "totp", "fido2"):
        assert policy[method]["enabled"] is True, method
    assert policy["mobile"] == {"enabled": False}
    assert policy["sms"]["otp"] == {
        "lifeTime": {"duration": 30, "timeUnit": "MINUTES"},
        "failure": {"count": 3, "coolDown": {"duration": 2, "timeUnit": "MINUTES"}},
        "otpLength": 6,
    }
    assert policy["authentication"] == {"deviceSelection": "DEFAULT_TO_FIRST"}
    assert policy["environment"] == {"id": env}
    assert policy["_links"]["self"]["href"].endswith(
        f"/deviceAuthenticationPolicies/{policy['id']}"
    )


async def test_create_read_replace_and_delete_a_policy(admin: Api, env: str) -> None:
    body = policy_body(
        totp={
            "enabled": True,
            "otp": {"failure": {"count": 5, "coolDown": {"duration": 90, "timeUnit": "SECONDS"}}},
            "passcodeGracePeriod": 2,
            "uriParameters": {"issuer": "Example Corp"},
        },
        authentication={"deviceSelection": "PROMPT_TO_SELECT"},
        ignoreUserLock=True,
    )
    body["sms"]["otp"]["otpLength"] = 8
    created = await admin.create(path(env), body)
    assert created["default"] is False
    assert created["totp"]["passcodeGracePeriod"] == 2
    assert created["totp"]["uriParameters"] == {"issuer": "Example Corp"}
    assert created["sms"]["otp"]["otpLength"] == 8
    assert created["authentication"]["deviceSelection"] == "PROMPT_TO_SELECT"
    assert created["ignoreUserLock"] is True
    assert created["createdAt"].endswith("Z")

    read = await admin.get(path(env, created["id"]))
    assert read.status_code == 200
    assert read.json()["totp"] == created["totp"]

    replaced_body = policy_body("Strict v2")
    replaced_body["email"]["enabled"] = False
    replaced = await admin.put(path(env, created["id"]), json=replaced_body)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["name"] == "Strict v2"
    assert replaced.json()["email"]["enabled"] is False
    assert "passcodeGracePeriod" not in replaced.json()["totp"]

    assert (await admin.delete(path(env, created["id"]))).status_code == 204
    assert_error(await admin.get(path(env, created["id"])), 404, "NOT_FOUND")


async def test_making_a_policy_the_default_unsets_the_previous_one(admin: Api, env: str) -> None:
    (original,) = await policies(admin, env)
    created = await admin.create(path(env), policy_body(default=True))
    defaults = [policy["id"] for policy in await policies(admin, env) if policy["default"]]
    assert defaults == [created["id"]]
    # the former default can now be deleted
    assert (await admin.delete(path(env, original["id"]))).status_code == 204


async def test_the_default_policy_cannot_be_deleted_nor_unset(admin: Api, env: str) -> None:
    (default,) = await policies(admin, env)
    assert_error(await admin.delete(path(env, default["id"])), 400, "REQUEST_FAILED")
    body = policy_body(default["name"], default=False)
    assert_error(
        await admin.put(path(env, default["id"]), json=body),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="default",
    )


async def test_policy_names_are_unique_ignoring_case(admin: Api, env: str) -> None:
    await admin.create(path(env), policy_body("Strict"))
    response = await admin.post(path(env), json=policy_body("STRICT"))
    assert_error(response, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")


@pytest.mark.parametrize(
    ("change", "detail", "target"),
    [
        ({"sms": None}, "REQUIRED_VALUE", "sms"),
        ({"name": ""}, "INVALID_VALUE", "name"),
        (
            {"sms": {"enabled": True, "otp": {"failure": {"count": 3}}}},
            "REQUIRED_VALUE",
            "sms.otp.lifeTime",
        ),
        (
            {"voice": {**DEFAULT_SETTINGS["voice"], "enabled": "yes"}},
            "INVALID_VALUE",
            "voice.enabled",
        ),
        (
            {
                "email": {
                    "enabled": True,
                    "otp": {
                        "lifeTime": {"duration": 31, "timeUnit": "MINUTES"},
                        "failure": {"count": 3, "coolDown": {"duration": 2, "timeUnit": "MINUTES"}},
                    },
                }
            },
            "OUT_OF_RANGE",
            "email.otp.lifeTime",
        ),
        (
            {
                "sms": {
                    "enabled": True,
                    "otp": {
                        "lifeTime": {"duration": 5, "timeUnit": "HOURS"},
                        "failure": {"count": 3, "coolDown": {"duration": 2, "timeUnit": "MINUTES"}},
                    },
                }
            },
            "INVALID_VALUE",
            "sms.otp.lifeTime.timeUnit",
        ),
        (
            {
                "totp": {
                    "enabled": True,
                    "otp": {
                        "failure": {"count": 8, "coolDown": {"duration": 1, "timeUnit": "MINUTES"}}
                    },
                }
            },
            "OUT_OF_RANGE",
            "totp.otp.failure.count",
        ),
        (
            {
                "sms": {
                    **DEFAULT_SETTINGS["sms"],
                    "otp": {**DEFAULT_SETTINGS["sms"]["otp"], "otpLength": 4},
                }
            },
            "OUT_OF_RANGE",
            "sms.otp.otpLength",
        ),
        (
            {
                "fido2": {
                    "enabled": True,
                    "failure": {"count": 3, "coolDown": {"duration": 1, "timeUnit": "MINUTES"}},
                }
            },
            "OUT_OF_RANGE",
            "fido2.failure.coolDown",
        ),
        ({"mobile": {"enabled": True}}, "INVALID_VALUE", "mobile.enabled"),
        (
            {"authentication": {"deviceSelection": "SOMETIMES"}},
            "INVALID_VALUE",
            "authentication.deviceSelection",
        ),
        ({"newDeviceNotification": "PIGEON"}, "INVALID_VALUE", "newDeviceNotification"),
        (
            {"totp": {**DEFAULT_SETTINGS["totp"], "uriParameters": {"secret": "AAAA"}}},
            "INVALID_VALUE",
            "totp.uriParameters",
        ),
        (
            {"totp": {**DEFAULT_SETTINGS["totp"], "passcodeGracePeriod": 11}},
            "OUT_OF_RANGE",
            "totp.passcodeGracePeriod",
        ),
    ],
    ids=[
        "missing-method",
        "empty-name",
        "missing-lifetime",
        "string-boolean",
        "lifetime-too-long",
        "unknown-time-unit",
        "failure-count-too-high",
        "otp-too-short",
        "fido2-cool-down-too-short",
        "mobile-not-supported",
        "unknown-device-selection",
        "unknown-notification",
        "reserved-uri-parameter",
        "grace-period-too-long",
    ],
)
async def test_invalid_settings_name_their_target(
    admin: Api, env: str, change: dict[str, Any], detail: str, target: str
) -> None:
    body = policy_body(**change)
    body = {key: value for key, value in body.items() if value is not None}
    response = await admin.post(path(env), json=body)
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
    assert len(await policies(admin, env)) == 1


async def test_a_policy_of_another_environment_is_not_found(admin: Api, env: str) -> None:
    other = await admin.create(
        "/environments", {"name": f"other-{new_uuid()[:8]}", "type": "SANDBOX", "region": "NA"}
    )
    (foreign,) = await policies(admin, other["id"])
    assert_error(await admin.get(path(env, foreign["id"])), 404, "NOT_FOUND")
    assert_error(await admin.delete(path(env, "not-a-uuid")), 404, "NOT_FOUND")
    assert_error(
        await admin.post(path(env), content=b"name=x", media_type="text/plain"),
        415,
        "INVALID_REQUEST",
    )
