"""The user's device order: set with devices.reorder+json (the first is the default device),
removed with devices.order.remove+json (back to creation order)."""

from __future__ import annotations

import pytest

from tests.mfa.support import (
    FR_MOBILE,
    ORDER_REMOVE,
    REORDER,
    create_device,
    create_user,
    device_path,
    new_uuid,
)
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def three_devices(admin: Api, env: str) -> tuple[dict, list[str]]:
    user = await create_user(admin, env)
    bodies = [
        {"type": "SMS", "phone": FR_MOBILE, "status": "ACTIVE"},
        {"type": "EMAIL", "email": "a@example.com", "status": "ACTIVE"},
        {"type": "TOTP", "status": "ACTIVE"},
    ]
    return user, [(await create_device(admin, env, user["id"], body))["id"] for body in bodies]


async def listed(admin: Api, env: str, user_id: str) -> list[str]:
    response = await admin.get(device_path(env, user_id))
    assert response.status_code == 200
    return [device["id"] for device in response.json()["_embedded"]["devices"]]


async def reorder(admin: Api, env: str, user_id: str, ids: list[str]):
    return await admin.post(
        device_path(env, user_id), json={"order": [{"id": i} for i in ids]}, media_type=REORDER
    )


async def test_reordering_sets_the_default_device(admin: Api, env: str) -> None:
    user, (sms, email, totp) = await three_devices(admin, env)
    assert await listed(admin, env, user["id"]) == [sms, email, totp]
    response = await reorder(admin, env, user["id"], [totp, sms, email])
    assert response.status_code == 200, response.text
    assert [d["id"] for d in response.json()["_embedded"]["devices"]] == [totp, sms, email]
    assert await listed(admin, env, user["id"]) == [totp, sms, email]


async def test_devices_left_out_of_the_order_follow_by_creation(admin: Api, env: str) -> None:
    user, (sms, email, totp) = await three_devices(admin, env)
    assert (await reorder(admin, env, user["id"], [totp])).status_code == 200
    newer = await create_device(admin, env, user["id"], {"type": "FIDO2"})
    assert await listed(admin, env, user["id"]) == [totp, sms, email, newer["id"]]


async def test_removing_the_order_restores_creation_order(admin: Api, env: str) -> None:
    user, (sms, email, totp) = await three_devices(admin, env)
    assert (await reorder(admin, env, user["id"], [email, totp, sms])).status_code == 200
    response = await admin.delete(device_path(env, user["id"]), media_type=ORDER_REMOVE)
    assert response.status_code == 204
    assert await listed(admin, env, user["id"]) == [sms, email, totp]


async def test_an_order_naming_foreign_or_repeated_devices_is_refused(admin: Api, env: str) -> None:
    user, (sms, email, _) = await three_devices(admin, env)
    other, (foreign, *_) = await three_devices(admin, env)
    cases = [
        ([sms, foreign], "order.id"),
        ([sms, new_uuid()], "order.id"),
        ([sms, email, sms], "order"),
    ]
    for ids, target in cases:
        response = await reorder(admin, env, user["id"], ids)
        assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target=target)
    empty = await admin.post(device_path(env, user["id"]), json={"order": []}, media_type=REORDER)
    assert_error(empty, 400, "INVALID_DATA", target="order")
    malformed = await admin.post(
        device_path(env, user["id"]), json={"order": [{"id": "x"}]}, media_type=REORDER
    )
    assert_error(malformed, 400, "INVALID_DATA", target="order.id")
    assert (await listed(admin, env, other["id"]))[0] == foreign
