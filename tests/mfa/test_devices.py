"""Users' MFA devices: pairing SMS, voice and e-mail devices (validated, normalized addresses),
reading, renaming and deleting them, and the walls around them: other users, other environments,
other populations, unknown media types."""

from __future__ import annotations

import copy

import pytest

from gatehouse.access.roles import POPULATION
from gatehouse.mfa.defaults import DEFAULT_SETTINGS
from tests.mfa.support import (
    FR_MOBILE,
    FR_MOBILE_E164,
    UK_LANDLINE,
    US_PHONE,
    US_PHONE_E164,
    create_device,
    create_user,
    device_path,
    messages_to,
    new_uuid,
)
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def test_an_sms_device_is_paired_with_a_normalized_number_and_sent_a_code(
    app, admin: Api, env: str
) -> None:
    user = await create_user(admin, env)
    device = await create_device(
        admin, env, user["id"], {"type": "SMS", "phone": US_PHONE, "nickname": "Work phone"}
    )
    assert device["type"] == "SMS"
    assert device["status"] == "ACTIVATION_REQUIRED"
    assert device["phone"] == US_PHONE_E164
    assert device["nickname"] == "Work phone"
    assert device["user"] == {"id": user["id"]}
    assert device["environment"] == {"id": env}
    default_policy = (await admin.get(f"/environments/{env}/deviceAuthenticationPolicies")).json()
    assert device["policy"] == {
        "id": default_policy["_embedded"]["deviceAuthenticationPolicies"][0]["id"]
    }
    assert device["_links"]["self"]["href"].endswith(device_path(env, user["id"], device["id"]))
    assert "device.activate" in device["_links"]
    (message,) = await messages_to(app, env, US_PHONE_E164)
    assert message.channel == "SMS"
    assert message.template == "device_pairing"
    code = message.variables["code"]
    assert len(code) == 6 and code.isdigit() and code in message.body


async def test_voice_and_email_devices_are_sent_their_codes(app, admin: Api, env: str) -> None:
    user = await create_user(admin, env, email="profile@example.com")
    await create_device(admin, env, user["id"], {"type": "VOICE", "phone": UK_LANDLINE})
    email = await create_device(
        admin, env, user["id"], {"type": "EMAIL", "email": "second@example.com"}
    )
    assert email["email"] == "second@example.com"
    (call,) = await messages_to(app, env, "+442079460958")
    assert call.channel == "VOICE"
    assert " ".join(call.variables["code"]) in call.body  # read out digit by digit
    (mail,) = await messages_to(app, env, "second@example.com")
    assert (mail.channel, mail.template, mail.subject) == (
        "EMAIL",
        "device_pairing",
        "Confirm your new sign-on method",
    )
    assert mail.variables["code"] in mail.body
    assert await messages_to(app, env, "profile@example.com") == []


async def test_an_administrator_may_pair_a_device_already_active(app, admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    device = await create_device(
        admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE, "status": "ACTIVE"}
    )
    assert device["status"] == "ACTIVE"
    assert "device.activate" not in device["_links"]
    assert await messages_to(app, env, FR_MOBILE_E164) == []


async def test_devices_are_listed_read_renamed_and_deleted(admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    first = await create_device(admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE})
    second = await create_device(
        admin, env, user["id"], {"type": "EMAIL", "email": "a@example.com"}
    )
    listing = await admin.get(device_path(env, user["id"]))
    assert listing.status_code == 200
    body = listing.json()
    assert [device["id"] for device in body["_embedded"]["devices"]] == [first["id"], second["id"]]
    assert body["count"] == body["size"] == 2

    read = await admin.get(device_path(env, user["id"], first["id"]))
    assert read.status_code == 200 and read.json()["phone"] == FR_MOBILE_E164

    renamed = await admin.put(
        f"{device_path(env, user['id'], first['id'])}/nickname", json={"nickname": "  Mobile  "}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["nickname"] == "Mobile"

    assert (await admin.delete(device_path(env, user["id"], first["id"]))).status_code == 204
    assert_error(await admin.get(device_path(env, user["id"], first["id"])), 404, "NOT_FOUND")
    remaining = (await admin.get(device_path(env, user["id"]))).json()["_embedded"]["devices"]
    assert [device["id"] for device in remaining] == [second["id"]]


async def test_a_device_of_another_user_is_not_found(admin: Api, env: str) -> None:
    owner = await create_user(admin, env)
    other = await create_user(admin, env)
    device = await create_device(admin, env, owner["id"], {"type": "SMS", "phone": FR_MOBILE})
    foreign = device_path(env, other["id"], device["id"])
    assert_error(await admin.get(foreign), 404, "NOT_FOUND")
    assert_error(await admin.delete(foreign), 404, "NOT_FOUND")
    assert_error(await admin.put(f"{foreign}/nickname", json={"nickname": "x"}), 404, "NOT_FOUND")
    assert_error(
        await admin.post(
            foreign,
            json={"otp": "123456"},
            media_type="application/vnd.pingidentity.device.activate+json",
        ),
        404,
        "NOT_FOUND",
    )
    assert (await admin.get(device_path(env, owner["id"], device["id"]))).status_code == 200


async def test_a_device_of_another_environment_is_not_found(admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    device = await create_device(admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE})
    other = await admin.create(
        "/environments", {"name": f"other-{new_uuid()[:8]}", "type": "SANDBOX", "region": "NA"}
    )
    stranger = await create_user(admin, other["id"])
    assert_error(
        await admin.get(device_path(other["id"], user["id"], device["id"])), 404, "NOT_FOUND"
    )
    assert_error(
        await admin.get(device_path(other["id"], stranger["id"], device["id"])), 404, "NOT_FOUND"
    )
    assert_error(await admin.get(device_path(env, user["id"], "not-a-uuid")), 404, "NOT_FOUND")
    assert_error(await admin.get(device_path(env, new_uuid())), 404, "NOT_FOUND")


async def test_population_administrators_see_only_their_populations_devices(
    app, admin: Api, env: str
) -> None:
    population = await admin.create(f"/environments/{env}/populations", {"name": "Contractors"})
    inside = await create_user(admin, env, population={"id": population["id"]})
    outside = await create_user(admin, env)
    scoped = await worker(app, admin, env, [("Identity Data Admin", POPULATION, population["id"])])
    created = await create_device(scoped, env, inside["id"], {"type": "SMS", "phone": FR_MOBILE})
    assert created["status"] == "ACTIVATION_REQUIRED"
    assert (await scoped.get(device_path(env, inside["id"]))).status_code == 200
    assert_error(await scoped.get(device_path(env, outside["id"])), 404, "NOT_FOUND")
    assert_error(
        await scoped.post(
            device_path(env, outside["id"]), json={"type": "SMS", "phone": FR_MOBILE}
        ),
        404,
        "NOT_FOUND",
    )
    assert (await admin.get(device_path(env, outside["id"]))).json()["count"] == 0


@pytest.mark.parametrize(
    "phone",
    [
        "0612345678",
        "+1 555 555 0100",
        "not a phone",
        "+33 6 12 34 56 78 x12",
        "+1 900 555 0199",
        "+" + "1" * 70,
    ],
    ids=["no-country-code", "invalid-number", "letters", "extension", "premium-rate", "too-long"],
)
async def test_bad_phone_numbers_are_refused(admin: Api, env: str, phone: str) -> None:
    user = await create_user(admin, env)
    response = await admin.post(
        device_path(env, user["id"]), json={"type": "VOICE", "phone": phone}
    )
    body = assert_error(response, 400, "INVALID_DATA", target="phone")
    assert body["details"][0]["code"] in ("INVALID_VALUE", "SIZE_LIMIT_EXCEEDED")
    assert (await admin.get(device_path(env, user["id"]))).json()["count"] == 0


async def test_sms_needs_a_number_that_takes_text_messages(admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    response = await admin.post(
        device_path(env, user["id"]), json={"type": "SMS", "phone": UK_LANDLINE}
    )
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="phone")


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({"type": "SMS"}, "REQUIRED_VALUE", "phone"),
        ({"type": "EMAIL"}, "REQUIRED_VALUE", "email"),
        ({"type": "EMAIL", "email": "not-an-address"}, "INVALID_VALUE", "email"),
        ({"type": "MOBILE"}, "INVALID_VALUE", "type"),
        ({"phone": FR_MOBILE}, "REQUIRED_VALUE", "type"),
        ({"type": "SMS", "phone": FR_MOBILE, "status": "BLOCKED"}, "INVALID_VALUE", "status"),
        ({"type": "FIDO2", "status": "ACTIVE"}, "INVALID_VALUE", "status"),
        (
            {"type": "SMS", "phone": FR_MOBILE, "policy": {"id": new_uuid()}},
            "INVALID_VALUE",
            "policy.id",
        ),
        (
            {"type": "SMS", "phone": FR_MOBILE, "nickname": "x" * 101},
            "SIZE_LIMIT_EXCEEDED",
            "nickname",
        ),
    ],
    ids=[
        "sms-without-phone",
        "email-without-address",
        "bad-email",
        "unsupported-type",
        "no-type",
        "unknown-status",
        "active-fido2",
        "unknown-policy",
        "long-nickname",
    ],
)
async def test_invalid_devices_are_refused_with_their_target(
    admin: Api, env: str, body: dict, detail: str, target: str
) -> None:
    user = await create_user(admin, env)
    response = await admin.post(device_path(env, user["id"]), json=body)
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)


async def test_a_method_the_policy_disables_cannot_be_paired(admin: Api, env: str) -> None:
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    settings["sms"]["enabled"] = False
    settings["voice"]["pairingDisabled"] = True
    policy = await admin.create(
        f"/environments/{env}/deviceAuthenticationPolicies", {"name": "No SMS", **settings}
    )
    user = await create_user(admin, env)
    for kind in ("SMS", "VOICE"):
        response = await admin.post(
            device_path(env, user["id"]),
            json={"type": kind, "phone": FR_MOBILE, "policy": {"id": policy["id"]}},
        )
        assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="type")
    device = await create_device(
        admin,
        env,
        user["id"],
        {"type": "EMAIL", "email": "a@example.com", "policy": {"id": policy["id"]}},
    )
    assert device["policy"] == {"id": policy["id"]}


async def test_deleting_a_policy_moves_its_devices_to_the_default(admin: Api, env: str) -> None:
    policy = await admin.create(
        f"/environments/{env}/deviceAuthenticationPolicies", {"name": "Extra", **DEFAULT_SETTINGS}
    )
    user = await create_user(admin, env)
    device = await create_device(
        admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE, "policy": {"id": policy["id"]}}
    )
    policy_path = f"/environments/{env}/deviceAuthenticationPolicies/{policy['id']}"
    assert (await admin.delete(policy_path)).status_code == 204
    read = (await admin.get(device_path(env, user["id"], device["id"]))).json()
    assert "policy" not in read


async def test_unknown_media_types_are_refused(admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    device = await create_device(admin, env, user["id"], {"type": "SMS", "phone": FR_MOBILE})
    collection = device_path(env, user["id"])
    one = device_path(env, user["id"], device["id"])
    for response in (
        await admin.post(collection, content=b'{"type": "SMS"}', media_type="text/plain"),
        await admin.post(collection, content=b'{"type": "SMS"}'),
        await admin.post(one, json={"otp": "123456"}),
        await admin.post(
            one,
            json={"otp": "123456"},
            media_type="application/vnd.pingidentity.device.unlock+json",
        ),
        await admin.delete(collection),
        await admin.put(f"{one}/nickname", content=b'{"nickname": "x"}', media_type="text/plain"),
    ):
        assert_error(response, 415, "INVALID_REQUEST")


async def test_malformed_bodies_are_refused(admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    collection = device_path(env, user["id"])
    assert_error(
        await admin.post(collection, content=b"{not json", media_type="application/json"),
        400,
        "INVALID_REQUEST",
    )
    assert_error(await admin.post(collection, json=["SMS"]), 400, "INVALID_DATA")
    assert_error(
        await admin.post(collection, json={"type": "SMS", "phone": 33612345678}),
        400,
        "INVALID_DATA",
        target="phone",
    )
