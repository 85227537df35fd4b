"""The management API's guarantees, walked over every operation the app documents, so routes added
later are covered without touching this file: no token, a bad token or an expired one is 401; a
caller with no roles in an environment — roles elsewhere, or none at all — gets 403 (or 404) from
every route of that environment, never data and never a 500; roles are read on every request."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gatehouse.access.roles import BUILTIN_ROLES, ENVIRONMENT
from gatehouse.common import clock
from tests.access.rows import client_id_of, create_client, delete_application
from tests.support.actors import worker
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio

METHODS = ("get", "post", "put", "patch", "delete")
ENVIRONMENT_PATHS = "/v1/environments/{environment_id}"
# Every role that can be held over an environment: the most a caller can hold in one.
ALL_ENVIRONMENT_ROLES = [role.name for role in BUILTIN_ROLES if ENVIRONMENT in role.applicable_to]


def operations(app: Any, prefix: str = "/v1/") -> Iterator[tuple[str, str]]:
    """(method, path template) of every documented operation under `prefix`."""
    for path, item in app.openapi()["paths"].items():
        if path.startswith(prefix):
            for method in METHODS:
                if method in item:
                    yield method.upper(), path


def concrete(path: str, environment_id: str) -> str:
    """The template with the environment filled in and a fresh id for every other parameter."""
    return re.sub(
        r"\{(\w+)\}",
        lambda match: environment_id if match[1] == "environment_id" else str(uuid.uuid4()),
        path,
    )


async def call(
    client: httpx.AsyncClient, method: str, url: str, token: str | None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if method in ("POST", "PUT", "PATCH"):
        return await client.request(
            method, url, content=b"{}", headers={**headers, "Content-Type": "application/json"}
        )
    return await client.request(method, url, headers=headers)


def error_code(response: httpx.Response) -> str | None:
    """The PingOne error code of the response, None if it has none (a success, or not JSON)."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


async def refusals(
    app: Any, api: Api, environment_id: str, prefix: str, allowed: set[int]
) -> list[str]:
    """Every operation under `prefix` whose answer to `api`'s token is not in `allowed`."""
    wrong = []
    for method, path in operations(app, prefix):
        response = await call(api.client, method, concrete(path, environment_id), api.token)
        if response.status_code not in allowed or error_code(response) is None:
            wrong.append(f"{method} {path} -> {response.status_code} {response.text[:200]}")
    return wrong


async def test_the_walk_covers_the_role_assignment_and_environment_routes(app) -> None:
    walked = set(operations(app, ENVIRONMENT_PATHS))
    assert ("GET", ENVIRONMENT_PATHS) in walked
    assert ("DELETE", ENVIRONMENT_PATHS) in walked
    for kind, parameter in [
        ("applications", "application_id"),
        ("users", "user_id"),
        ("groups", "group_id"),
    ]:
        collection = f"{ENVIRONMENT_PATHS}/{kind}/{{{parameter}}}/roleAssignments"
        assert {("GET", collection), ("POST", collection)} <= walked
        assert ("DELETE", f"{collection}/{{role_assignment_id}}") in walked


async def _environment(admin: Api) -> str:
    body = await admin.create(
        "/environments", {"name": f"env-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"}
    )
    return body["id"]


async def test_administrator_of_one_environment_is_refused_by_every_route_of_another(
    app, admin: Api, env: str
) -> None:
    other = await _environment(admin)
    scoped = await worker(
        app, admin, env, [(name, ENVIRONMENT, env) for name in ALL_ENVIRONMENT_ROLES]
    )
    assert (await scoped.get(f"/environments/{env}")).status_code == 200
    assert await refusals(app, scoped, other, ENVIRONMENT_PATHS, {403, 404}) == []
    assert (await admin.get(f"/environments/{other}")).status_code == 200


async def test_worker_of_another_environment_without_roles_is_refused_everywhere(
    app, admin: Api, env: str
) -> None:
    stranger = await worker(app, admin, await _environment(admin), [])
    assert await refusals(app, stranger, env, ENVIRONMENT_PATHS, {403, 404}) == []
    assert_error(
        await stranger.get(f"/environments/{env}"),
        403,
        "ACCESS_FAILED",
        detail="INSUFFICIENT_PERMISSIONS",
    )


@pytest.mark.parametrize(
    "token",
    [None, "", "not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."],
    ids=["missing", "empty", "garbled", "three-parts", "unsigned"],
)
async def test_missing_or_garbled_token_is_unauthorized_on_every_route(
    app, admin: Api, env: str, token: str | None
) -> None:
    assert await _unauthorized_everywhere(app, admin.with_token(token), env) == []


async def test_tampered_token_is_unauthorized_on_every_route(app, admin: Api, env: str) -> None:
    assert admin.token
    header, payload, signature = admin.token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert (
        await _unauthorized_everywhere(app, admin.with_token(f"{header}.{payload}.{flipped}"), env)
        == []
    )


async def test_expired_token_is_unauthorized_on_every_route(
    app, admin: Api, env: str, credentials: Credentials
) -> None:
    token = await admin.token_for(
        credentials.environment_id, credentials.client_id, credentials.client_secret
    )
    fresh = admin.with_token(token)
    assert (await fresh.get(f"/environments/{env}")).status_code == 200
    clock.advance(3601)
    assert await _unauthorized_everywhere(app, fresh, env) == []


async def _unauthorized_everywhere(app: Any, api: Api, environment_id: str) -> list[str]:
    wrong = []
    for method, path in operations(app):
        response = await call(api.client, method, concrete(path, environment_id), api.token)
        if (
            response.status_code != 401
            or error_code(response) != "ACCESS_FAILED"
            or not response.headers.get("www-authenticate", "").startswith("Bearer")
        ):
            wrong.append(f"{method} {path} -> {response.status_code} {response.text[:200]}")
    return wrong


async def test_token_of_a_deleted_worker_is_unauthorized(app, admin: Api, env: str) -> None:
    """Checked per request: the actor behind the token must still exist."""
    scoped = await worker(app, admin, env, [("Environment Admin", ENVIRONMENT, env)])
    assert (await scoped.get(f"/environments/{env}")).status_code == 200
    await delete_application(app, client_id_of(scoped))
    assert_error(
        await scoped.get(f"/environments/{env}"), 401, "ACCESS_FAILED", detail="INVALID_TOKEN"
    )


async def test_assignment_takes_effect_at_once_and_its_deletion_too(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    client = await create_client(app, env)
    before = await client.api(admin)
    assert_error(await before.get(f"/environments/{env}"), 403, "ACCESS_FAILED")
    assignments = f"/environments/{env}/applications/{client.id}/roleAssignments"
    created = await admin.create(
        assignments,
        {"role": {"id": roles["Environment Admin"]}, "scope": {"id": env, "type": ENVIRONMENT}},
    )
    assert (await before.get(f"/environments/{env}")).status_code == 200
    after = await client.api(admin)
    assert (await after.get(f"/environments/{env}")).status_code == 200
    assert (await after.get(assignments)).json()["_embedded"]["roleAssignments"] == [created]
    assert (await admin.delete(f"{assignments}/{created['id']}")).status_code == 204
    for api in (before, after):
        assert_error(await api.get(f"/environments/{env}"), 403, "ACCESS_FAILED")
        assert_error(await api.get(assignments), 403, "ACCESS_FAILED")
