"""Sign-on policy assignments to applications (seed 003 steps 5-8), their rules, and the policies
an application's sign-on runs (service.policies_for_application)."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from gatehouse.common.errors import Problem
from gatehouse.policies import service
from tests.policies.conftest import orm_application
from tests.support.actors import worker
from tests.support.api import Api, assert_error
from tests.support.databases import statements_on

pytestmark = pytest.mark.anyio


async def _policy(admin: Api, env: str, name: str | None = None) -> dict[str, Any]:
    return await admin.create(
        f"/environments/{env}/signOnPolicies", {"name": name or f"P_{secrets.token_hex(4)}"}
    )


def _assignments(env: str, application: str) -> str:
    return f"/environments/{env}/applications/{application}/signOnPolicyAssignments"


async def test_seed_003_login_and_mfa_policy_assigned_to_a_web_app(
    admin: Api, env: str, web_app: str
) -> None:
    # Step 5: create a sign-on policy
    policy = await admin.create(
        f"/environments/{env}/signOnPolicies",
        {"name": "LoginMfa", "description": "A sign-on policy with login and MFA actions"},
    )
    actions = f"/environments/{env}/signOnPolicies/{policy['id']}/actions"
    # Step 6: the LOGIN action, priority 1
    login = await admin.create(
        actions,
        {
            "priority": 1,
            "type": "LOGIN",
            "recovery": {"enabled": True},
            "registration": {"enabled": False},
        },
    )
    # Step 7: the MFA action, priority 2, unless MFA was done in the last minute
    mfa = await admin.create(
        actions,
        {
            "priority": 2,
            "type": "MULTI_FACTOR_AUTHENTICATION",
            "noDevicesMode": "BLOCK",
            "sms": {"enabled": True},
            "condition": {
                "secondsSince": "${session.lastSignOn.withAuthenticator.mfa.at}",
                "greater": 60,
            },
        },
    )
    assert mfa["condition"]["greater"] == 60 and mfa["sms"] == {"enabled": True}
    listed = (await admin.get(actions)).json()["_embedded"]["actions"]
    assert [a["id"] for a in listed] == [login["id"], mfa["id"]]
    # Step 8: assign the policy to the application
    assignment = await admin.create(
        _assignments(env, web_app), {"priority": 1, "signOnPolicy": {"id": policy["id"]}}
    )
    assert assignment["signOnPolicy"] == {"id": policy["id"]} and assignment["priority"] == 1
    assert assignment["application"] == {"id": web_app}
    assert assignment["environment"] == {"id": env}
    assert assignment["_links"]["self"]["href"].endswith(
        f"{_assignments(env, web_app)}/{assignment['id']}"
    )
    assert assignment["_links"]["signOnPolicy"]["href"].endswith(f"/signOnPolicies/{policy['id']}")
    listed = (await admin.get(_assignments(env, web_app))).json()
    assert [a["id"] for a in listed["_embedded"]["signOnPolicyAssignments"]] == [assignment["id"]]


async def test_assignment_read_update_delete(admin: Api, env: str, web_app: str) -> None:
    first, second = await _policy(admin, env), await _policy(admin, env)
    created = await admin.create(
        _assignments(env, web_app), {"signOnPolicy": {"id": first["id"]}, "priority": 1}
    )
    href = f"{_assignments(env, web_app)}/{created['id']}"
    assert (await admin.get(href)).json() == created
    moved = await admin.put(href, json={"signOnPolicy": {"id": second["id"]}, "priority": 7})
    assert moved.status_code == 200, moved.text
    assert moved.json()["signOnPolicy"] == {"id": second["id"]} and moved.json()["priority"] == 7
    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")


async def test_assignments_are_listed_by_priority(admin: Api, env: str, web_app: str) -> None:
    for priority in (3, 1, 2):
        policy = await _policy(admin, env)
        await admin.create(
            _assignments(env, web_app), {"signOnPolicy": {"id": policy["id"]}, "priority": priority}
        )
    listed = (await admin.get(_assignments(env, web_app))).json()
    assert [a["priority"] for a in listed["_embedded"]["signOnPolicyAssignments"]] == [1, 2, 3]


async def test_a_policy_is_assigned_once_per_application(
    app: Any, admin: Api, env: str, web_app: str
) -> None:
    policy = await _policy(admin, env)
    first = await admin.create(
        _assignments(env, web_app), {"signOnPolicy": {"id": policy["id"]}, "priority": 1}
    )
    again = await admin.post(
        _assignments(env, web_app), json={"signOnPolicy": {"id": policy["id"]}, "priority": 2}
    )
    body = assert_error(
        again, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="signOnPolicy.id"
    )
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    other = await _policy(admin, env)
    second = await admin.create(
        _assignments(env, web_app), {"signOnPolicy": {"id": other["id"]}, "priority": 2}
    )
    onto_first = await admin.put(
        f"{_assignments(env, web_app)}/{second['id']}",
        json={"signOnPolicy": {"id": policy["id"]}, "priority": 2},
    )
    assert_error(onto_first, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION")
    # the same policy may be assigned to another application
    another_app = await orm_application(app, env, "other")
    await admin.create(
        _assignments(env, another_app), {"signOnPolicy": {"id": policy["id"]}, "priority": 1}
    )


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({"priority": 1}, "REQUIRED_VALUE", "signOnPolicy"),
        ({"signOnPolicy": {}, "priority": 1}, "REQUIRED_VALUE", "signOnPolicy.id"),
        ({"signOnPolicy": {"id": "x"}, "priority": 1}, "INVALID_VALUE", "signOnPolicy.id"),
        (
            {"signOnPolicy": {"id": str(uuid.uuid4())}, "priority": 1},
            "INVALID_VALUE",
            "signOnPolicy.id",
        ),
        ({"signOnPolicy": {"id": str(uuid.uuid4())}}, "REQUIRED_VALUE", "priority"),
        ({"signOnPolicy": {"id": str(uuid.uuid4())}, "priority": 0}, "OUT_OF_RANGE", "priority"),
        ({"signOnPolicy": {"id": str(uuid.uuid4())}, "priority": "1"}, "INVALID_VALUE", "priority"),
    ],
)
async def test_invalid_assignment_bodies_name_their_target(
    admin: Api, env: str, web_app: str, body: dict[str, Any], detail: str, target: str
) -> None:
    response = await admin.post(_assignments(env, web_app), json=body)
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
    assert (await admin.get(_assignments(env, web_app))).json()["count"] == 0


async def test_policy_and_application_must_be_in_this_environment(
    app: Any, admin: Api, env: str, web_app: str
) -> None:
    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
    )
    their_policy = await _policy(admin, other["id"])
    their_app = await orm_application(app, other["id"])
    foreign_policy = await admin.post(
        _assignments(env, web_app), json={"signOnPolicy": {"id": their_policy["id"]}, "priority": 1}
    )
    assert_error(
        foreign_policy, 400, "INVALID_DATA", detail="INVALID_VALUE", target="signOnPolicy.id"
    )
    mine = await _policy(admin, env)
    body = {"signOnPolicy": {"id": mine["id"]}, "priority": 1}
    assert_error(await admin.get(_assignments(env, their_app)), 404, "NOT_FOUND")
    assert_error(await admin.post(_assignments(env, their_app), json=body), 404, "NOT_FOUND")
    assert_error(await admin.get(_assignments(env, str(uuid.uuid4()))), 404, "NOT_FOUND")
    theirs = await admin.create(
        _assignments(other["id"], their_app),
        {"signOnPolicy": {"id": their_policy["id"]}, "priority": 1},
    )
    crossed = f"{_assignments(env, web_app)}/{theirs['id']}"
    assert_error(await admin.get(crossed), 404, "NOT_FOUND")
    assert_error(await admin.put(crossed, json=body), 404, "NOT_FOUND")
    assert_error(await admin.delete(crossed), 404, "NOT_FOUND")


async def test_deleting_a_policy_removes_its_assignments(
    admin: Api, env: str, web_app: str
) -> None:
    policy = await _policy(admin, env)
    await admin.create(
        _assignments(env, web_app), {"signOnPolicy": {"id": policy["id"]}, "priority": 1}
    )
    await admin.delete(f"/environments/{env}/signOnPolicies/{policy['id']}")
    assert (await admin.get(_assignments(env, web_app))).json()["count"] == 0


async def test_assignment_permissions_are_those_of_applications(
    app: Any, admin: Api, env: str, web_app: str
) -> None:
    policy = await _policy(admin, env)
    body = {"signOnPolicy": {"id": policy["id"]}, "priority": 1}
    nobody = await worker(app, admin, env, [])
    assert_error(await nobody.get(_assignments(env, web_app)), 403, "ACCESS_FAILED")
    assert_error(await nobody.post(_assignments(env, web_app), json=body), 403, "ACCESS_FAILED")
    reader = await worker(app, admin, env, [("Configuration Read Only", "ENVIRONMENT", env)])
    assert (await reader.get(_assignments(env, web_app))).status_code == 200
    assert_error(await reader.post(_assignments(env, web_app), json=body), 403, "ACCESS_FAILED")
    developer = await worker(
        app, admin, env, [("Client Application Developer", "ENVIRONMENT", env)]
    )
    created = await developer.create(_assignments(env, web_app), body)
    assert_error(
        await nobody.delete(f"{_assignments(env, web_app)}/{created['id']}"), 403, "ACCESS_FAILED"
    )


# --- policies_for_application -------------------------------------------------------------------


async def _policies_for(
    app: Any, env: str, application: str, acr_values: list[str] | None = None
) -> tuple[list[Any], int]:
    """(policies, SQL statements issued): each policy's actions read after the session closed."""
    runtime = app.state.runtime
    with statements_on(runtime.engine, runtime.environments.engine) as statements:
        async with runtime.sessions() as session:
            policies = await service.policies_for_application(
                session, uuid.UUID(env), uuid.UUID(application), acr_values
            )
    return policies, len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


async def test_without_assignments_the_environment_default_applies(
    app: Any, env: str, web_app: str
) -> None:
    policies, _ = await _policies_for(app, env, web_app)
    assert [p.name for p in policies] == ["Single_Factor"]
    assert [a.type for a in policies[0].actions] == ["LOGIN"]


async def test_assigned_policies_come_by_priority_with_actions_in_few_queries(
    app: Any, admin: Api, env: str, web_app: str
) -> None:
    names = ["Third", "First", "Second"]
    for priority, name in zip((3, 1, 2), names, strict=True):
        policy = await _policy(admin, env, name)
        actions = f"/environments/{env}/signOnPolicies/{policy['id']}/actions"
        await admin.create(actions, {"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 2})
        await admin.create(actions, {"type": "LOGIN", "priority": 1})
        await admin.create(
            _assignments(env, web_app), {"signOnPolicy": {"id": policy["id"]}, "priority": priority}
        )
    policies, selects = await _policies_for(app, env, web_app)
    assert [p.name for p in policies] == ["First", "Second", "Third"]
    for policy in policies:
        assert [a.type for a in policy.actions] == ["LOGIN", "MULTI_FACTOR_AUTHENTICATION"]
    # the environment (its configuration version), the policies, then every policy's actions
    assert selects == 3
    cached, selects = await _policies_for(app, env, web_app)
    assert [p.name for p in cached] == ["First", "Second", "Third"]
    assert selects == 1  # once read, only the environment's version is checked


async def test_acr_values_pick_assigned_policies_in_the_order_given(
    app: Any, admin: Api, env: str, web_app: str
) -> None:
    for priority, name in enumerate(("Alpha", "Beta", "Gamma"), start=1):
        policy = await _policy(admin, env, name)
        await admin.create(
            _assignments(env, web_app), {"signOnPolicy": {"id": policy["id"]}, "priority": priority}
        )
    policies, _ = await _policies_for(app, env, web_app, ["Gamma", "Unknown", "Alpha", "Gamma"])
    assert [p.name for p in policies] == ["Gamma", "Alpha"]
    # the environment default is not assigned to this application, so it cannot be asked for
    with pytest.raises(Problem) as caught:
        await _policies_for(app, env, web_app, ["Single_Factor"])
    assert caught.value.code == "REQUEST_FAILED"


async def test_acr_values_without_assignments_match_the_default(
    app: Any, env: str, web_app: str
) -> None:
    policies, _ = await _policies_for(app, env, web_app, ["Single_Factor"])
    assert [p.name for p in policies] == ["Single_Factor"]
    with pytest.raises(Problem):
        await _policies_for(app, env, web_app, ["single_factor"])
    empty, _ = await _policies_for(app, env, web_app, [])
    assert [p.name for p in empty] == ["Single_Factor"]


async def test_another_environments_assignments_are_not_used(
    app: Any, admin: Api, env: str, web_app: str
) -> None:
    policy = await _policy(admin, env, "Mine")
    await admin.create(
        _assignments(env, web_app), {"signOnPolicy": {"id": policy["id"]}, "priority": 1}
    )
    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
    )
    policies, _ = await _policies_for(app, other["id"], web_app)
    assert [p.name for p in policies] == ["Single_Factor"]
    assert all(str(p.environment_id) == other["id"] for p in policies)
