"""/applications/{id}/secret: shown again on GET, rotated on POST (the old secret works at
/{envId}/as/token until `previous.expiresAt`, or stops at once), previous secret dropped on
DELETE."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gatehouse.common import clock
from tests.applications.bodies import application
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio


async def worker_app(admin: Api, env: str) -> tuple[str, str]:
    """A new worker's secret href and client id."""
    created = await admin.create(f"/environments/{env}/applications", application("WORKER"))
    return f"/environments/{env}/applications/{created['id']}/secret", created["id"]


async def works(admin: Api, env: str, client_id: str, secret: str) -> bool:
    response = await admin.client_credentials_token(env, client_id, secret)
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def in_seconds(seconds: float) -> str:
    return clock.isoformat(clock.now() + timedelta(seconds=seconds)) or ""


async def test_get_shows_the_same_secret_again(admin: Api, env: str) -> None:
    href, _ = await worker_app(admin, env)
    first = await admin.get(href)
    assert first.status_code == 200
    body = first.json()
    assert body["environment"] == {"id": env} and "previous" not in body
    assert body["_links"]["self"]["href"].endswith(href)
    assert (await admin.get(href)).json()["secret"] == body["secret"]


async def test_rotation_without_overlap_stops_the_old_secret_at_once(admin: Api, env: str) -> None:
    href, client_id = await worker_app(admin, env)
    old = (await admin.get(href)).json()["secret"]
    rotated = await admin.post(href)
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old and "previous" not in rotated.json()
    assert (await admin.get(href)).json()["secret"] == new
    assert not await works(admin, env, client_id, old)
    assert await works(admin, env, client_id, new)


async def test_rotation_with_overlap_keeps_the_old_secret_until_it_expires(
    admin: Api, env: str, credentials: Credentials
) -> None:
    href, client_id = await worker_app(admin, env)
    old = (await admin.get(href)).json()["secret"]
    expires_at = in_seconds(3600)
    rotated = await admin.post(href, json={"previous": {"expiresAt": expires_at}})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert rotated.json()["previous"] == {"secret": old, "expiresAt": expires_at}

    assert await works(admin, env, client_id, old)
    assert await works(admin, env, client_id, new)
    previous = (await admin.get(href)).json()["previous"]
    assert previous["secret"] == old and previous["lastUsed"]

    clock.advance(3601)
    assert not await works(admin, env, client_id, old)
    assert await works(admin, env, client_id, new)
    fresh = admin.with_token(
        await admin.token_for(
            credentials.environment_id, credentials.client_id, credentials.client_secret
        )
    )
    assert "previous" not in (await fresh.get(href)).json()


async def test_a_second_rotation_drops_the_older_previous_secret(admin: Api, env: str) -> None:
    href, client_id = await worker_app(admin, env)
    first = (await admin.get(href)).json()["secret"]
    overlap = {"previous": {"expiresAt": in_seconds(600)}}
    second = (await admin.post(href, json=overlap)).json()["secret"]
    third = (await admin.post(href, json=overlap)).json()
    assert third["previous"]["secret"] == second
    assert not await works(admin, env, client_id, first)
    assert await works(admin, env, client_id, second)


async def test_delete_drops_the_previous_secret_at_once(admin: Api, env: str) -> None:
    href, client_id = await worker_app(admin, env)
    old = (await admin.get(href)).json()["secret"]
    await admin.post(href, json={"previous": {"expiresAt": in_seconds(86400)}})
    assert (await admin.delete(href)).status_code == 204
    assert "previous" not in (await admin.get(href)).json()
    assert not await works(admin, env, client_id, old)
    assert (await admin.delete(href)).status_code == 204


@pytest.mark.parametrize(
    ("previous", "detail", "target"),
    [
        ({"expiresAt": "soon"}, "INVALID_VALUE", "previous.expiresAt"),
        ({"expiresAt": "2030-01-01T00:00:00"}, "INVALID_VALUE", "previous.expiresAt"),
        ({}, "REQUIRED_VALUE", "previous.expiresAt"),
        ("tomorrow", "INVALID_VALUE", "previous"),
    ],
)
async def test_malformed_previous_is_invalid_data(
    admin: Api, env: str, previous: Any, detail: str, target: str
) -> None:
    href, _ = await worker_app(admin, env)
    old = (await admin.get(href)).json()["secret"]
    response = await admin.post(href, json={"previous": previous})
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
    assert (await admin.get(href)).json()["secret"] == old


@pytest.mark.parametrize("seconds", [30, -60, 30 * 86400 + 60])
async def test_overlap_must_end_between_a_minute_and_thirty_days_ahead(
    admin: Api, env: str, seconds: int
) -> None:
    href, client_id = await worker_app(admin, env)
    old = (await admin.get(href)).json()["secret"]
    response = await admin.post(href, json={"previous": {"expiresAt": in_seconds(seconds)}})
    assert_error(response, 400, "INVALID_DATA", detail="OUT_OF_RANGE", target="previous.expiresAt")
    assert (await admin.get(href)).json()["secret"] == old
    assert await works(admin, env, client_id, old)


async def test_overlap_of_thirty_days_is_accepted(admin: Api, env: str) -> None:
    href, _ = await worker_app(admin, env)
    response = await admin.post(href, json={"previous": {"expiresAt": in_seconds(30 * 86400)}})
    assert response.status_code == 200, response.text


async def test_rotation_takes_json_or_no_body(admin: Api, env: str) -> None:
    href, _ = await worker_app(admin, env)
    assert (await admin.post(href, content=b"", media_type="application/json")).status_code == 200
    assert (await admin.post(href, json={})).status_code == 200
    assert_error(
        await admin.post(href, content=b"previous", media_type="text/plain"),
        415,
        "INVALID_REQUEST",
    )
    assert_error(
        await admin.post(href, content=b"{", media_type="application/json"),
        400,
        "INVALID_REQUEST",
    )


async def test_public_clients_have_no_secret_to_read_rotate_or_drop(admin: Api, env: str) -> None:
    created = await admin.create(
        f"/environments/{env}/applications", application("SINGLE_PAGE_APP")
    )
    href = f"/environments/{env}/applications/{created['id']}/secret"
    for response in (await admin.get(href), await admin.post(href), await admin.delete(href)):
        assert_error(response, 400, "REQUEST_FAILED")
