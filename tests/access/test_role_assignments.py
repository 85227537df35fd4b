"""Role assignments of applications, users and groups: the PingOne shape, CRUD, and bad input."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.access.rows import (
    create_application,
    create_foreign_organization,
    create_group,
    create_population,
    create_user,
    mark_read_only,
)
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio

ActorFactory = Callable[[Any, str], Awaitable[str]]
KINDS: list[tuple[str, ActorFactory]] = [
    ("applications", create_application),
    ("users", create_user),
    ("groups", create_group),
]


def _body(role_id: str, scope_type: str, scope_id: str) -> dict[str, Any]:
    return {"role": {"id": role_id}, "scope": {"id": scope_id, "type": scope_type}}


async def _assignments_path(app, env: str, kind: str, factory: ActorFactory) -> str:
    return f"/environments/{env}/{kind}/{await factory(app, env)}/roleAssignments"


@pytest.fixture
async def path(app, env: str) -> str:
    """The role assignments of a new application of `env`."""
    return await _assignments_path(app, env, "applications", create_application)


@pytest.mark.parametrize(("kind", "factory"), KINDS)
async def test_assignment_lifecycle_for_each_actor_kind(
    app, admin: Api, env: str, roles: dict[str, str], kind: str, factory: ActorFactory
) -> None:
    path = await _assignments_path(app, env, kind, factory)
    assert (await admin.get(path)).json()["_embedded"]["roleAssignments"] == []
    created = await admin.create(path, _body(roles["Environment Admin"], "ENVIRONMENT", env))
    assert created["role"] == {"id": roles["Environment Admin"]}
    assert created["scope"] == {"id": env, "type": "ENVIRONMENT"}
    assert created["environment"] == {"id": env}
    assert created["readOnly"] is False
    href = created["_links"]["self"]["href"]
    assert href.endswith(f"/v1{path}/{created['id']}")
    assert created["_links"]["role"]["href"].endswith(f"/v1/roles/{roles['Environment Admin']}")

    listed = (await admin.get(path)).json()
    assert listed["count"] == 1 and listed["_embedded"]["roleAssignments"] == [created]
    assert (await admin.get(f"{path}/{created['id']}")).json() == created

    deleted = await admin.delete(f"{path}/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(await admin.get(f"{path}/{created['id']}"), 404, "NOT_FOUND")
    assert (await admin.get(path)).json()["_embedded"]["roleAssignments"] == []


async def test_assignment_over_organization_and_population(
    app, admin: Api, env: str, path: str, roles: dict[str, str], credentials: Credentials
) -> None:
    organization = credentials.organization_id
    over_org = await admin.create(
        path, _body(roles["Organization Admin"], "ORGANIZATION", organization)
    )
    assert over_org["scope"] == {"id": organization, "type": "ORGANIZATION"}
    population = await create_population(app, env)
    over_population = await admin.create(
        path, _body(roles["Identity Data Admin"], "POPULATION", population)
    )
    assert over_population["scope"] == {"id": population, "type": "POPULATION"}
    listed = (await admin.get(path)).json()["_embedded"]["roleAssignments"]
    assert {a["id"] for a in listed} == {over_org["id"], over_population["id"]}


async def test_same_role_over_two_scopes_is_two_assignments_but_a_repeat_is_refused(
    app, admin: Api, env: str, path: str, roles: dict[str, str]
) -> None:
    population = await create_population(app, env)
    role = roles["Identity Data Admin"]
    first = await admin.create(path, _body(role, "ENVIRONMENT", env))
    await admin.create(path, _body(role, "POPULATION", population))
    body = assert_error(
        await admin.post(path, json=_body(role, "ENVIRONMENT", env)),
        400,
        "INVALID_DATA",
        detail="UNIQUENESS_VIOLATION",
        target="role.id",
    )
    assert body["details"][0]["innerError"]["existingId"] == first["id"]


async def test_unknown_role_is_invalid(admin: Api, env: str, path: str) -> None:
    assert_error(
        await admin.post(path, json=_body(str(uuid.uuid4()), "ENVIRONMENT", env)),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="role.id",
    )


async def test_scope_type_the_role_does_not_apply_to_is_invalid(
    admin: Api, env: str, path: str, roles: dict[str, str], credentials: Credentials
) -> None:
    wrong = [
        ("Organization Admin", "ENVIRONMENT", env),
        ("Identity Data Admin", "ORGANIZATION", credentials.organization_id),
        ("Client Application Developer", "ORGANIZATION", credentials.organization_id),
    ]
    for role, scope_type, scope_id in wrong:
        body = assert_error(
            await admin.post(path, json=_body(roles[role], scope_type, scope_id)),
            400,
            "INVALID_DATA",
            detail="INVALID_VALUE",
            target="scope.type",
        )
        assert scope_type not in body["details"][0]["innerError"]["allowedValues"]


async def test_unsupported_scope_type_is_invalid(
    admin: Api, env: str, path: str, roles: dict[str, str]
) -> None:
    assert_error(
        await admin.post(path, json=_body(roles["Environment Admin"], "APPLICATION", env)),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="scope.type",
    )


async def test_scope_that_does_not_exist_is_invalid(
    admin: Api, path: str, roles: dict[str, str]
) -> None:
    for role, scope_type in [
        ("Organization Admin", "ORGANIZATION"),
        ("Environment Admin", "ENVIRONMENT"),
        ("Identity Data Admin", "POPULATION"),
    ]:
        assert_error(
            await admin.post(path, json=_body(roles[role], scope_type, str(uuid.uuid4()))),
            400,
            "INVALID_DATA",
            detail="INVALID_VALUE",
            target="scope.id",
        )


async def test_scope_of_another_organization_is_invalid(
    app, admin: Api, env: str, path: str, roles: dict[str, str]
) -> None:
    organization, environment, population = await create_foreign_organization(app)
    for role, scope_type, scope_id in [
        ("Organization Admin", "ORGANIZATION", organization),
        ("Environment Admin", "ENVIRONMENT", environment),
        ("Identity Data Admin", "POPULATION", population),
    ]:
        assert_error(
            await admin.post(path, json=_body(roles[role], scope_type, scope_id)),
            400,
            "INVALID_DATA",
            detail="INVALID_VALUE",
            target="scope.id",
        )


async def test_scope_id_of_the_wrong_kind_is_invalid(
    app, admin: Api, env: str, path: str, roles: dict[str, str]
) -> None:
    """A population id given as an ENVIRONMENT scope (and the reverse) names nothing."""
    population = await create_population(app, env)
    for scope_type, scope_id in [("ENVIRONMENT", population), ("POPULATION", env)]:
        assert_error(
            await admin.post(path, json=_body(roles["Identity Data Admin"], scope_type, scope_id)),
            400,
            "INVALID_DATA",
            target="scope.id",
        )


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({}, "REQUIRED_VALUE", "role"),
        (
            {"role": {"id": "x"}, "scope": {"id": "y", "type": "ENVIRONMENT"}},
            "INVALID_VALUE",
            "role.id",
        ),
        ({"role": {}, "scope": {"type": "ENVIRONMENT"}}, "REQUIRED_VALUE", "scope.id"),
        ({"role": "Environment Admin", "scope": None}, "INVALID_VALUE", "role"),
        ([], "INVALID_VALUE", None),
    ],
)
async def test_malformed_body_is_invalid_data(
    admin: Api, path: str, body: Any, detail: str, target: str | None
) -> None:
    assert_error(
        await admin.post(path, json=body), 400, "INVALID_DATA", detail=detail, target=target
    )


async def test_body_that_is_not_json_is_invalid_request(admin: Api, path: str) -> None:
    for content in (b"{not json", b""):
        assert_error(
            await admin.post(path, content=content, media_type="application/json"),
            400,
            "INVALID_REQUEST",
        )


async def test_body_of_another_media_type_is_unsupported(
    admin: Api, env: str, path: str, roles: dict[str, str]
) -> None:
    response = await admin.post(
        path,
        json=_body(roles["Environment Admin"], "ENVIRONMENT", env),
        media_type="text/plain",
    )
    assert_error(response, 415, "INVALID_REQUEST")
    assert_error(await admin.post(path, content=b"{}"), 415, "INVALID_REQUEST")


@pytest.mark.parametrize(("kind", "factory"), KINDS)
async def test_actor_must_exist_in_the_environment(
    app, admin: Api, env: str, roles: dict[str, str], kind: str, factory: ActorFactory
) -> None:
    other = (
        await admin.create(
            "/environments",
            {"name": f"o-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"},
        )
    )["id"]
    elsewhere = await factory(app, other)
    body = _body(roles["Environment Admin"], "ENVIRONMENT", env)
    for actor in (elsewhere, str(uuid.uuid4()), "not-a-uuid"):
        path = f"/environments/{env}/{kind}/{actor}/roleAssignments"
        assert_error(await admin.get(path), 404, "NOT_FOUND")
        assert_error(await admin.post(path, json=body), 404, "NOT_FOUND")
        assert_error(await admin.get(f"{path}/{uuid.uuid4()}"), 404, "NOT_FOUND")
        assert_error(await admin.delete(f"{path}/{uuid.uuid4()}"), 404, "NOT_FOUND")


async def test_assignment_of_another_actor_is_not_found(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    application = await create_application(app, env)
    path = f"/environments/{env}/applications/{application}/roleAssignments"
    created = await admin.create(path, _body(roles["Environment Admin"], "ENVIRONMENT", env))
    other = await _assignments_path(app, env, "applications", create_application)
    assert_error(await admin.get(f"{other}/{created['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.delete(f"{other}/{created['id']}"), 404, "NOT_FOUND")
    as_user = f"/environments/{env}/users/{application}/roleAssignments"
    assert_error(await admin.get(f"{as_user}/{created['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.get(f"{path}/not-a-uuid"), 404, "NOT_FOUND")
    assert (await admin.get(f"{path}/{created['id']}")).status_code == 200


async def test_unknown_environment_is_not_found(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    application = await create_application(app, env)
    for environment in (str(uuid.uuid4()), "not-a-uuid"):
        path = f"/environments/{environment}/applications/{application}/roleAssignments"
        assert_error(await admin.get(path), 404, "NOT_FOUND")
        body = _body(roles["Environment Admin"], "ENVIRONMENT", env)
        assert_error(await admin.post(path, json=body), 404, "NOT_FOUND")


async def test_read_only_assignment_cannot_be_deleted(
    app, admin: Api, env: str, path: str, roles: dict[str, str]
) -> None:
    created = await admin.create(path, _body(roles["Environment Admin"], "ENVIRONMENT", env))
    await mark_read_only(app, created["id"])
    assert (await admin.get(f"{path}/{created['id']}")).json()["readOnly"] is True
    assert_error(await admin.delete(f"{path}/{created['id']}"), 400, "REQUEST_FAILED")
    assert (await admin.get(f"{path}/{created['id']}")).status_code == 200
