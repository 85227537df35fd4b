"""GET /v1/environments/{envId}/outbox (a Gatehouse extension): newest first, filtered by
recipient, paged; `notifications:read` needed; another environment's messages are never visible."""

from __future__ import annotations

import uuid

import pytest

from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def test_messages_newest_first_with_every_field(admin: Api, env, make_user, send) -> None:
    user_id = await make_user(env, email="ada@example.com")
    first = await send(env, user_id, "email_verification", {"code": "111111"})
    second = await send(env, user_id, "recovery_code", {"code": "222222"})

    response = await admin.get(f"/environments/{env}/outbox")
    assert response.status_code == 200, response.text
    body = response.json()
    messages = body["_embedded"]["messages"]
    assert [message["id"] for message in messages] == [str(second.id), str(first.id)]
    assert body["count"] == 2 and body["size"] == 2
    newest = messages[0]
    assert newest["channel"] == "EMAIL"
    assert newest["recipient"] == "ada@example.com"
    assert newest["template"] == "recovery_code"
    assert newest["subject"] == "Your password recovery code"
    assert "222222" in newest["body"]
    assert newest["createdAt"].endswith("Z")
    assert "deliveredAt" not in newest and "deliveryError" not in newest
    assert newest["user"] == {"id": user_id}
    assert newest["environment"] == {"id": env}
    self_href = newest["_links"]["self"]["href"]
    assert self_href.endswith(f"/v1/environments/{env}/outbox/{second.id}")

    one = await admin.get(f"/environments/{env}/outbox/{second.id}")
    assert one.status_code == 200 and one.json()["body"] == newest["body"]


async def test_filter_by_recipient_and_page(admin: Api, env, make_user, send) -> None:
    ada = await make_user(env, email="Ada@Example.com")
    bob = await make_user(env, email="bob@example.com")
    for code in ("100001", "100002", "100003"):
        await send(env, ada, variables={"code": code})
    await send(env, bob, variables={"code": "200001"})

    response = await admin.get(
        f"/environments/{env}/outbox", params={"recipient": "ada@example.com", "limit": 2}
    )
    body = response.json()
    assert body["count"] == 3 and body["size"] == 2
    assert ["100003" in m["body"] for m in body["_embedded"]["messages"]] == [True, False]
    assert all(m["recipient"] == "Ada@Example.com" for m in body["_embedded"]["messages"])
    following = await admin.get(body["_links"]["next"]["href"])
    rest = following.json()["_embedded"]["messages"]
    assert len(rest) == 1 and "100001" in rest[0]["body"]
    assert "next" not in following.json()["_links"]

    none = await admin.get(f"/environments/{env}/outbox", params={"recipient": "eve@example.com"})
    assert none.json()["_embedded"]["messages"] == []


async def test_bad_parameters_are_invalid_data(admin: Api, env) -> None:
    path = f"/environments/{env}/outbox"
    assert_error(await admin.get(path, params={"limit": 0}), 400, "INVALID_DATA", target="limit")
    assert_error(await admin.get(path, params={"limit": "many"}), 400, "INVALID_DATA")
    assert_error(await admin.get(path, params={"cursor": "not-a-cursor"}), 400, "INVALID_DATA")
    assert_error(
        await admin.get(path, params={"recipient": "a\x00b"}),
        400,
        "INVALID_DATA",
        target="recipient",
    )
    assert_error(await admin.get(path, params={"recipient": "a" * 321}), 400, "INVALID_DATA")
    assert_error(await admin.get(f"{path}/not-a-uuid"), 404, "NOT_FOUND")
    assert_error(await admin.get(f"{path}/{uuid.uuid4()}"), 404, "NOT_FOUND")


async def test_reading_needs_notifications_read(app, admin: Api, env, make_user, send) -> None:
    user_id = await make_user(env)
    await send(env, user_id)
    path = f"/environments/{env}/outbox"
    assert_error(await admin.with_token(None).get(path), 401, "ACCESS_FAILED")

    data_admin = await worker(app, admin, env, [("Identity Data Admin", "ENVIRONMENT", env)])
    assert_error(await data_admin.get(path), 403, "ACCESS_FAILED")

    env_admin = await worker(app, admin, env, [("Environment Admin", "ENVIRONMENT", env)])
    response = await env_admin.get(path)
    assert response.status_code == 200 and response.json()["count"] == 1


async def test_another_environments_messages_are_never_visible(
    app, admin: Api, env, make_user, send
) -> None:
    other = (
        await admin.create(
            "/environments",
            {"name": f"other-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"},
        )
    )["id"]
    mine = await send(env, await make_user(env, email="shared@example.com"))
    theirs = await send(other, await make_user(other, email="shared@example.com"))

    listed = (await admin.get(f"/environments/{env}/outbox")).json()["_embedded"]["messages"]
    assert [m["id"] for m in listed] == [str(mine.id)]
    filtered = await admin.get(
        f"/environments/{env}/outbox", params={"recipient": "shared@example.com"}
    )
    assert [m["id"] for m in filtered.json()["_embedded"]["messages"]] == [str(mine.id)]
    assert_error(await admin.get(f"/environments/{env}/outbox/{theirs.id}"), 404, "NOT_FOUND")

    # An admin of this environment only cannot read the other one's outbox.
    env_admin = await worker(app, admin, env, [("Environment Admin", "ENVIRONMENT", env)])
    assert_error(await env_admin.get(f"/environments/{other}/outbox"), 403, "ACCESS_FAILED")
    assert_error(
        await env_admin.get(f"/environments/{other}/outbox/{theirs.id}"), 403, "ACCESS_FAILED"
    )
