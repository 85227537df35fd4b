"""Who may give and take roles: the roleAssignments permission over the actor's environment, and
the role itself over a scope covering the assignment's, unless an Organization Admin."""

from __future__ import annotations

import secrets

import pytest

from tests.access.rows import create_application, create_population
from tests.support.actors import worker
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio

FORBIDDEN = {"detail": "INSUFFICIENT_PERMISSIONS"}


def _body(role_id: str, scope_type: str, scope_id: str) -> dict[str, object]:
    return {"role": {"id": role_id}, "scope": {"id": scope_id, "type": scope_type}}


async def _target(app, env: str) -> str:
    return f"/environments/{env}/applications/{await create_application(app, env)}/roleAssignments"


async def _new_environment(admin: Api) -> str:
    body = await admin.create(
        "/environments", {"name": f"env-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"}
    )
    return body["id"]


async def test_environment_admin_assigns_the_roles_it_holds_over_its_environment(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    population = await create_population(app, env)
    actor = await worker(
        app,
        admin,
        env,
        [("Environment Admin", "ENVIRONMENT", env), ("Identity Data Admin", "ENVIRONMENT", env)],
    )
    target = await _target(app, env)
    await actor.create(target, _body(roles["Environment Admin"], "ENVIRONMENT", env))
    await actor.create(target, _body(roles["Identity Data Admin"], "ENVIRONMENT", env))
    await actor.create(target, _body(roles["Identity Data Admin"], "POPULATION", population))
    assert len((await actor.get(target)).json()["_embedded"]["roleAssignments"]) == 3


async def test_environment_admin_cannot_assign_a_role_it_does_not_hold(
    app, admin: Api, env: str, roles: dict[str, str], credentials: Credentials
) -> None:
    actor = await worker(app, admin, env, [("Environment Admin", "ENVIRONMENT", env)])
    target = await _target(app, env)
    for role, scope_type, scope_id in [
        ("Identity Data Admin", "ENVIRONMENT", env),
        ("DaVinci Admin", "ENVIRONMENT", env),
        ("Organization Admin", "ORGANIZATION", credentials.organization_id),
    ]:
        assert_error(
            await actor.post(target, json=_body(roles[role], scope_type, scope_id)),
            403,
            "ACCESS_FAILED",
            **FORBIDDEN,
        )
    assert (await admin.get(target)).json()["_embedded"]["roleAssignments"] == []


async def test_environment_admin_cannot_widen_its_scope(
    app, admin: Api, env: str, roles: dict[str, str], credentials: Credentials
) -> None:
    """Its own role, but over the organization or over another environment: refused."""
    other = await _new_environment(admin)
    actor = await worker(app, admin, env, [("Environment Admin", "ENVIRONMENT", env)])
    target = await _target(app, env)
    for scope_type, scope_id in [
        ("ORGANIZATION", credentials.organization_id),
        ("ENVIRONMENT", other),
    ]:
        assert_error(
            await actor.post(target, json=_body(roles["Environment Admin"], scope_type, scope_id)),
            403,
            "ACCESS_FAILED",
            **FORBIDDEN,
        )


async def test_population_admin_holding_role_assignments_is_limited_to_its_population(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    """Environment Admin (roleAssignments) over the environment, Identity Data Admin over one
    population: it hands out Identity Data Admin over that population only."""
    mine, other = await create_population(app, env), await create_population(app, env)
    actor = await worker(
        app,
        admin,
        env,
        [("Environment Admin", "ENVIRONMENT", env), ("Identity Data Admin", "POPULATION", mine)],
    )
    target = await _target(app, env)
    await actor.create(target, _body(roles["Identity Data Admin"], "POPULATION", mine))
    for scope_type, scope_id in [("POPULATION", other), ("ENVIRONMENT", env)]:
        assert_error(
            await actor.post(
                target, json=_body(roles["Identity Data Admin"], scope_type, scope_id)
            ),
            403,
            "ACCESS_FAILED",
        )


async def test_holding_a_role_without_role_assignment_permission_is_not_enough(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    actor = await worker(app, admin, env, [("Identity Data Admin", "ENVIRONMENT", env)])
    target = await _target(app, env)
    assert_error(await actor.get(target), 403, "ACCESS_FAILED", **FORBIDDEN)
    assert_error(
        await actor.post(target, json=_body(roles["Identity Data Admin"], "ENVIRONMENT", env)),
        403,
        "ACCESS_FAILED",
        **FORBIDDEN,
    )


async def test_configuration_read_only_reads_but_cannot_change_assignments(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    target = await _target(app, env)
    created = await admin.create(target, _body(roles["Environment Admin"], "ENVIRONMENT", env))
    reader = await worker(app, admin, env, [("Configuration Read Only", "ENVIRONMENT", env)])
    assert (await reader.get(target)).json()["_embedded"]["roleAssignments"] == [created]
    assert (await reader.get(f"{target}/{created['id']}")).status_code == 200
    body = _body(roles["Configuration Read Only"], "ENVIRONMENT", env)
    assert_error(await reader.post(target, json=body), 403, "ACCESS_FAILED")
    assert_error(await reader.delete(f"{target}/{created['id']}"), 403, "ACCESS_FAILED")


async def test_organization_admin_assigns_any_role_anywhere_in_the_organization(
    app, admin: Api, env: str, roles: dict[str, str], credentials: Credentials
) -> None:
    population = await create_population(app, env)
    target = await _target(app, env)
    for role, scope_type, scope_id in [
        ("DaVinci Admin", "ENVIRONMENT", env),
        ("Help Desk Admin", "POPULATION", population),
        ("Configuration Read Only", "ORGANIZATION", credentials.organization_id),
        ("Organization Admin", "ORGANIZATION", credentials.organization_id),
    ]:
        await admin.create(target, _body(roles[role], scope_type, scope_id))


async def test_environment_scoped_organization_roles_do_not_make_an_organization_admin(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    """Every role the environment's creator gets, but no Organization Admin: still bounded."""
    actor = await worker(
        app,
        admin,
        env,
        [
            ("Environment Admin", "ENVIRONMENT", env),
            ("Identity Data Admin", "ENVIRONMENT", env),
            ("Client Application Developer", "ENVIRONMENT", env),
        ],
    )
    assert_error(
        await actor.post(
            await _target(app, env), json=_body(roles["Help Desk Admin"], "ENVIRONMENT", env)
        ),
        403,
        "ACCESS_FAILED",
    )


async def test_deleting_needs_the_role_over_the_assignment_scope(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    target = await _target(app, env)
    environment_admin = await admin.create(
        target, _body(roles["Environment Admin"], "ENVIRONMENT", env)
    )
    identity_admin = await admin.create(
        target, _body(roles["Identity Data Admin"], "ENVIRONMENT", env)
    )
    actor = await worker(app, admin, env, [("Environment Admin", "ENVIRONMENT", env)])
    assert_error(
        await actor.delete(f"{target}/{identity_admin['id']}"), 403, "ACCESS_FAILED", **FORBIDDEN
    )
    assert (await actor.delete(f"{target}/{environment_admin['id']}")).status_code == 204
    remaining = (await admin.get(target)).json()["_embedded"]["roleAssignments"]
    assert [a["id"] for a in remaining] == [identity_admin["id"]]


async def test_environment_admin_cannot_touch_assignments_of_another_environment(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    other = await _new_environment(admin)
    target = await _target(app, other)
    existing = await admin.create(target, _body(roles["Environment Admin"], "ENVIRONMENT", other))
    actor = await worker(app, admin, env, [("Environment Admin", "ENVIRONMENT", env)])
    assert_error(await actor.get(target), 403, "ACCESS_FAILED")
    assert_error(
        await actor.post(target, json=_body(roles["Environment Admin"], "ENVIRONMENT", env)),
        403,
        "ACCESS_FAILED",
    )
    assert_error(await actor.delete(f"{target}/{existing['id']}"), 403, "ACCESS_FAILED")
    assert (await admin.get(f"{target}/{existing['id']}")).status_code == 200


async def test_organization_scoped_environment_admin_acts_in_every_environment(
    app, admin: Api, env: str, roles: dict[str, str], credentials: Credentials
) -> None:
    organization = credentials.organization_id
    other = await _new_environment(admin)
    actor = await worker(app, admin, env, [("Environment Admin", "ORGANIZATION", organization)])
    listed = {
        e["id"] for e in (await actor.get("/environments")).json()["_embedded"]["environments"]
    }
    assert {env, other, credentials.environment_id} <= listed
    for environment in (env, other, credentials.environment_id):
        assert (await actor.get(f"/environments/{environment}")).status_code == 200
        target = await _target(app, environment)
        await actor.create(target, _body(roles["Environment Admin"], "ENVIRONMENT", environment))
        assert len((await actor.get(target)).json()["_embedded"]["roleAssignments"]) == 1
    await actor.create(
        await _target(app, other), _body(roles["Environment Admin"], "ORGANIZATION", organization)
    )
    assert_error(
        await actor.post(
            await _target(app, other),
            json=_body(roles["Identity Data Admin"], "ENVIRONMENT", other),
        ),
        403,
        "ACCESS_FAILED",
    )


async def test_population_scoped_identity_data_admin_cannot_read_role_assignments(
    app, admin: Api, env: str, roles: dict[str, str]
) -> None:
    """Identity Data Admin carries no roleAssignments permission, and a population scope grants
    identity data only: role assignments stay out of its reach."""
    population = await create_population(app, env)
    actor = await worker(app, admin, env, [("Identity Data Admin", "POPULATION", population)])
    target = await _target(app, env)
    created = await admin.create(
        target, _body(roles["Identity Data Admin"], "POPULATION", population)
    )
    assert_error(await actor.get(target), 403, "ACCESS_FAILED", **FORBIDDEN)
    assert_error(await actor.get(f"{target}/{created['id']}"), 403, "ACCESS_FAILED")
    assert_error(
        await actor.post(
            target, json=_body(roles["Identity Data Admin"], "POPULATION", population)
        ),
        403,
        "ACCESS_FAILED",
    )
