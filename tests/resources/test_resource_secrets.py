"""A custom resource's secret, which its server presents to introspect tokens: shown again on
GET, rotated with an optional overlap, checked by `check_resource_secret`."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest

from gatehouse.common import clock
from gatehouse.resources.secrets import check_resource_secret
from tests.resources.conftest import database
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

SECRET = re.compile(r"[A-Za-z0-9\-._~]{64,}")


async def _check(app: Any, resource_id: str, presented: str) -> bool:
    async with database(app) as session:
        return await check_resource_secret(
            session, app.state.runtime.sealer, uuid.UUID(resource_id), presented
        )


def _in(seconds: float) -> str:
    return clock.isoformat(clock.now() + timedelta(seconds=seconds)) or ""


async def test_custom_resource_has_a_secret_shown_again_on_read(
    app: Any, admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = f"/environments/{env}/resources/{custom['id']}/secret"
    first = await admin.get(path)
    assert first.status_code == 200, first.text
    body = first.json()
    assert SECRET.fullmatch(body["secret"])
    assert body["environment"] == {"id": env} and "previous" not in body
    assert body["_links"]["self"]["href"].endswith(path)
    assert (await admin.get(path)).json()["secret"] == body["secret"]
    assert await _check(app, custom["id"], body["secret"])
    assert not await _check(app, custom["id"], body["secret"][:-1] + "x")
    assert not await _check(app, str(uuid.uuid4()), body["secret"])


async def test_rotation_without_previous_replaces_the_secret_at_once(
    app: Any, admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = f"/environments/{env}/resources/{custom['id']}/secret"
    old = (await admin.get(path)).json()["secret"]
    rotated = await admin.post(path)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert SECRET.fullmatch(new) and new != old and "previous" not in rotated.json()
    assert (await admin.get(path)).json()["secret"] == new
    assert await _check(app, custom["id"], new)
    assert not await _check(app, custom["id"], old)
    with_empty_body = await admin.post(path, json={})
    assert with_empty_body.status_code == 200 and with_empty_body.json()["secret"] != new


async def test_rotation_with_previous_keeps_the_old_secret_until_it_expires(
    app: Any, admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = f"/environments/{env}/resources/{custom['id']}/secret"
    old = (await admin.get(path)).json()["secret"]
    body = (await admin.post(path, json={"previous": {"expiresAt": _in(600)}})).json()
    assert body["previous"]["secret"] == old and body["previous"]["expiresAt"].endswith("Z")
    assert "lastUsed" not in body["previous"]
    assert await _check(app, custom["id"], old) and await _check(app, custom["id"], body["secret"])
    assert "lastUsed" in (await admin.get(path)).json()["previous"]
    clock.advance(601)
    assert not await _check(app, custom["id"], old)
    assert await _check(app, custom["id"], body["secret"])
    assert "previous" not in (await admin.get(path)).json()


async def test_previous_secret_can_be_deleted(
    app: Any, admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = f"/environments/{env}/resources/{custom['id']}/secret"
    old = (await admin.get(path)).json()["secret"]
    await admin.post(path, json={"previous": {"expiresAt": _in(600)}})
    assert (await admin.delete(path)).status_code == 204
    assert "previous" not in (await admin.get(path)).json()
    assert not await _check(app, custom["id"], old)


@pytest.mark.parametrize("seconds", [30, -60, 31 * 24 * 3600])
async def test_previous_expiry_must_be_between_a_minute_and_thirty_days(
    admin: Api, env: str, custom: dict[str, Any], seconds: int
) -> None:
    path = f"/environments/{env}/resources/{custom['id']}/secret"
    before = (await admin.get(path)).json()
    response = await admin.post(path, json={"previous": {"expiresAt": _in(seconds)}})
    assert_error(response, 400, "INVALID_DATA", detail="OUT_OF_RANGE", target="previous.expiresAt")
    assert (await admin.get(path)).json() == before


async def test_malformed_rotation_bodies_are_rejected(
    admin: Api, env: str, custom: dict[str, Any]
) -> None:
    path = f"/environments/{env}/resources/{custom['id']}/secret"
    missing = await admin.post(path, json={"previous": {}})
    assert_error(missing, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="previous.expiresAt")
    garbage = await admin.post(path, json={"previous": {"expiresAt": "tomorrow"}})
    assert_error(garbage, 400, "INVALID_DATA", detail="INVALID_VALUE", target="previous.expiresAt")
    assert_error(
        await admin.post(path, content=b"x", media_type="text/plain"), 415, "INVALID_REQUEST"
    )
