"""Flow policies of DaVinci applications (CRUD, distributions checked against the environment's
flows, /flowPolicies/{id}), PingOne application -> flow policy assignments, and what the runtime
reads: choose_flow (weights, pinned versions, disabled policies) and
flow_policy_for_application (priority)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from gatehouse.davinci import lookup
from tests.davinci.admin.conftest import create_app, create_flow, graph, node
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

DEPLOY = "application/vnd.pingidentity.flow.deploy+json"


async def deployed_flow(admin: Api, env: str, name: str) -> dict[str, Any]:
    flow = await create_flow(admin, env, name=name)
    response = await admin.post(
        f"/environments/{env}/flows/{flow['id']}", content=b"", media_type=DEPLOY
    )
    assert response.status_code == 201, response.text
    return response.json()


async def create_policy(admin: Api, env: str, app_id: str, **body: Any) -> dict[str, Any]:
    return await admin.create(
        f"/environments/{env}/davinciApplications/{app_id}/flowPolicies", body
    )


async def oidc_application(admin: Api, env: str) -> str:
    body = await admin.create(
        f"/environments/{env}/applications",
        {
            "enabled": True,
            "name": f"Web {uuid.uuid4().hex[:6]}",
            "type": "WEB_APP",
            "protocol": "OPENID_CONNECT",
            "grantTypes": ["AUTHORIZATION_CODE"],
            "responseTypes": ["CODE"],
            "redirectUris": ["https://app.example.com/cb"],
            "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
        },
    )
    return body["id"]


async def test_policy_crud(admin: Api, env: str) -> None:
    flow = await deployed_flow(admin, env, "Sign on")
    app = await create_app(admin, env)
    policy = await create_policy(
        admin, env, app["id"], flowDistributions=[{"id": flow["id"], "version": -1}]
    )
    assert len(policy["id"]) == 32 and policy["name"] == "New Policy"
    assert policy["status"] == "enabled" and policy["application"] == {"id": app["id"]}
    assert policy["flowDistributions"] == [{"id": flow["id"], "version": -1}]
    assert policy["_links"]["flow.0"]["href"] == flow["_links"]["self"]["href"]
    href = f"/environments/{env}/davinciApplications/{app['id']}/flowPolicies/{policy['id']}"
    assert (await admin.get(href)).json() == policy
    replaced = await admin.put(
        href,
        json={
            "name": "Login",
            "status": "disabled",
            "trigger": {"type": "AUTHENTICATION"},
            "flowDistributions": [
                {"id": flow["id"], "version": 1, "weight": 100, "successNodes": [{"id": "done"}]}
            ],
        },
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["status"] == "disabled" and replaced.json()["name"] == "Login"
    assert replaced.json()["flowDistributions"][0]["successNodes"] == [{"id": "done"}]
    platform = await admin.get(f"/environments/{env}/flowPolicies/{policy['id']}")
    assert platform.status_code == 200
    assert platform.json()["enabled"] is False and platform.json()["name"] == "Login"
    assert platform.json()["application"] == {"id": app["id"], "name": app["name"]}
    listed = await admin.get(f"/environments/{env}/davinciApplications/{app['id']}/flowPolicies")
    assert [item["id"] for item in listed.json()["_embedded"]["flowPolicies"]] == [policy["id"]]
    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(
        await admin.get(f"/environments/{env}/flowPolicies/{policy['id']}"), 404, "NOT_FOUND"
    )


@pytest.mark.parametrize(
    ("distributions", "target"),
    [
        (lambda flow_id: [], "flowDistributions"),
        (lambda flow_id: [{"id": uuid.uuid4().hex, "version": -1}], "flowDistributions[0]"),
        (lambda flow_id: [{"id": flow_id, "version": 7}], "flowDistributions[0].version"),
        (lambda flow_id: [{"version": 1}], "flowDistributions.id"),
        (lambda flow_id: [{"id": flow_id, "version": 1.5}], "flowDistributions[0].version"),
        (lambda flow_id: [{"id": flow_id, "version": -2}], "flowDistributions.version"),
        (lambda flow_id: [{"id": flow_id, "version": 1e20}], "flowDistributions.version"),
        (
            lambda flow_id: [{"id": flow_id, "version": 1, "weight": 101}],
            "flowDistributions.weight",
        ),
    ],
)
async def test_policy_rejects_bad_distributions(
    admin: Api, env: str, distributions: Callable[[str], list[Any]], target: str
) -> None:
    flow = await create_flow(admin, env)
    app = await create_app(admin, env)
    href = f"/environments/{env}/davinciApplications/{app['id']}/flowPolicies"
    response = await admin.post(href, json={"flowDistributions": distributions(flow["id"])})
    assert_error(response, 400, "INVALID_DATA", target=target)
    assert (await admin.get(href)).json()["count"] == 0


async def test_choose_flow_by_weight_and_version(admin: Api, env: str, app: Any) -> None:
    first = await deployed_flow(admin, env, "A")
    second = await deployed_flow(admin, env, "B")
    await admin.put(
        f"/environments/{env}/flows/{second['id']}",
        json={
            "name": "B",
            "graphData": graph([node("v2", "httpConnector", "createSuccessResponse")]),
        },
    )
    dv_app = await create_app(admin, env)
    policy = await create_policy(
        admin,
        env,
        dv_app["id"],
        flowDistributions=[
            {"id": first["id"], "version": -1, "weight": 90},
            {"id": second["id"], "version": 2, "weight": 10},
        ],
    )
    runtime = app.state.runtime
    picks: Counter[tuple[str, int]] = Counter()
    async with runtime.sessions() as session:
        for _ in range(300):
            chosen = await lookup.choose_flow(session, uuid.UUID(env), policy["id"])
            assert chosen is not None
            ref, flow = chosen
            assert ref == lookup.FlowPolicyRef(policy["id"], "New Policy", dv_app["id"])
            picks[(flow.name, flow.version)] += 1
        assert await lookup.choose_flow(session, uuid.uuid4(), policy["id"]) is None
    assert set(picks) == {("A", 1), ("B", 2)}
    assert picks[("A", 1)] > picks[("B", 2)]
    href = f"/environments/{env}/davinciApplications/{dv_app['id']}/flowPolicies/{policy['id']}"
    await admin.put(
        href,
        json={"status": "disabled", "flowDistributions": [{"id": first["id"], "version": -1}]},
    )
    async with runtime.sessions() as session:
        assert await lookup.choose_flow(session, uuid.UUID(env), policy["id"]) is None
        client = await lookup.oauth_client(session, runtime.sealer, uuid.UUID(env), dv_app["id"])
        assert client is not None and client.policy_ids == [policy["id"]]


async def test_application_assignments(admin: Api, env: str, app: Any) -> None:
    flow = await deployed_flow(admin, env, "Sign on")
    dv_app = await create_app(admin, env)
    first = await create_policy(
        admin,
        env,
        dv_app["id"],
        name="First",
        flowDistributions=[{"id": flow["id"], "version": -1}],
    )
    second = await create_policy(
        admin,
        env,
        dv_app["id"],
        name="Second",
        flowDistributions=[{"id": flow["id"], "version": -1}],
    )
    application_id = await oidc_application(admin, env)
    base = f"/environments/{env}/applications/{application_id}/flowPolicyAssignments"
    late = await admin.create(base, {"flowPolicy": {"id": first["id"]}, "priority": 2})
    early = await admin.create(base, {"flowPolicy": {"id": second["id"]}, "priority": 1})
    assert early["flowPolicy"] == {"id": second["id"]} and early["priority"] == 1
    assert early["application"] == {"id": application_id}
    listed = (await admin.get(base)).json()["_embedded"]["flowPolicyAssignments"]
    assert [item["id"] for item in listed] == [early["id"], late["id"]]
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        found = await lookup.flow_policy_for_application(session, uuid.UUID(env), application_id)
        assert found == second["id"]
    duplicate = await admin.post(base, json={"flowPolicy": {"id": second["id"]}})
    assert_error(duplicate, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION")
    unknown = await admin.post(base, json={"flowPolicy": {"id": uuid.uuid4().hex}})
    assert_error(unknown, 400, "INVALID_DATA", target="flowPolicy.id")
    moved = await admin.put(
        f"{base}/{early['id']}", json={"flowPolicy": {"id": second["id"]}, "priority": 5}
    )
    assert moved.status_code == 200 and moved.json()["priority"] == 5
    async with runtime.sessions() as session:
        found = await lookup.flow_policy_for_application(session, uuid.UUID(env), application_id)
        assert found == first["id"]
    assert (await admin.delete(f"{base}/{late['id']}")).status_code == 204
    assert_error(await admin.get(f"{base}/{late['id']}"), 404, "NOT_FOUND")


async def test_isolation_and_roles(admin: Api, env: str, other_env: str, app: Any) -> None:
    flow = await deployed_flow(admin, env, "Sign on")
    dv_app = await create_app(admin, env)
    policy = await create_policy(
        admin, env, dv_app["id"], flowDistributions=[{"id": flow["id"], "version": -1}]
    )
    foreign_app = await create_app(admin, other_env)
    # another environment's flow cannot be distributed, nor its policy read or assigned
    response = await admin.post(
        f"/environments/{other_env}/davinciApplications/{foreign_app['id']}/flowPolicies",
        json={"flowDistributions": [{"id": flow["id"], "version": -1}]},
    )
    assert_error(response, 400, "INVALID_DATA", target="flowDistributions[0]")
    assert_error(
        await admin.get(
            f"/environments/{other_env}/davinciApplications/{dv_app['id']}/flowPolicies/{policy['id']}"
        ),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await admin.get(
            f"/environments/{env}/davinciApplications/{foreign_app['id']}/flowPolicies"
        ),
        404,
        "NOT_FOUND",
    )
    assert_error(
        await admin.get(f"/environments/{other_env}/flowPolicies/{policy['id']}"), 404, "NOT_FOUND"
    )
    foreign_application = await oidc_application(admin, other_env)
    assign = await admin.post(
        f"/environments/{other_env}/applications/{foreign_application}/flowPolicyAssignments",
        json={"flowPolicy": {"id": policy["id"]}},
    )
    assert_error(assign, 400, "INVALID_DATA", target="flowPolicy.id")
    local_application = await oidc_application(admin, env)
    assert_error(
        await admin.get(
            f"/environments/{other_env}/applications/{local_application}/flowPolicyAssignments"
        ),
        404,
        "NOT_FOUND",
    )
    reader = await worker(app, admin, env, [("DaVinci Admin Read Only", "ENVIRONMENT", env)])
    href = f"/environments/{env}/davinciApplications/{dv_app['id']}/flowPolicies/{policy['id']}"
    assert (await reader.get(href)).status_code == 200
    assert_error(await reader.delete(href), 403, "ACCESS_FAILED")


async def test_a_distributed_flow_cannot_be_deleted(admin: Api, env: str) -> None:
    flow = await deployed_flow(admin, env, "Sign on")
    dv_app = await create_app(admin, env)
    policy = await create_policy(
        admin, env, dv_app["id"], flowDistributions=[{"id": flow["id"], "version": -1}]
    )
    href = f"/environments/{env}/flows/{flow['id']}"
    assert_error(await admin.delete(href), 400, "REQUEST_FAILED")
    assert (await admin.get(href)).status_code == 200
    # a version a policy pins cannot go either, once it is neither current nor deployed
    await admin.put(href, json={"name": "v2"})
    await admin.post(href, content=b"", media_type=DEPLOY)
    await admin.put(href, json={"name": "v3"})
    pinned = await create_policy(
        admin, env, dv_app["id"], flowDistributions=[{"id": flow["id"], "version": 1}]
    )
    assert_error(await admin.delete(f"{href}/versions/1"), 400, "REQUEST_FAILED")
    policy_href = f"/environments/{env}/davinciApplications/{dv_app['id']}/flowPolicies"
    assert (await admin.delete(f"{policy_href}/{pinned['id']}")).status_code == 204
    assert (await admin.delete(f"{href}/versions/1")).status_code == 204
    assert (await admin.delete(f"{policy_href}/{policy['id']}")).status_code == 204
    assert (await admin.delete(href)).status_code == 204


async def test_deleting_an_application_removes_its_policies_and_their_assignments(
    admin: Api, env: str, app: Any
) -> None:
    flow = await deployed_flow(admin, env, "Sign on")
    dv_app = await create_app(admin, env)
    policy = await create_policy(
        admin, env, dv_app["id"], flowDistributions=[{"id": flow["id"], "version": -1}]
    )
    application_id = await oidc_application(admin, env)
    base = f"/environments/{env}/applications/{application_id}/flowPolicyAssignments"
    await admin.create(base, {"flowPolicy": {"id": policy["id"]}})
    assert (
        await admin.delete(f"/environments/{env}/davinciApplications/{dv_app['id']}")
    ).status_code == 204
    assert (await admin.get(base)).json()["count"] == 0
    assert_error(
        await admin.get(f"/environments/{env}/flowPolicies/{policy['id']}"), 404, "NOT_FOUND"
    )
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        assert await lookup.choose_flow(session, uuid.UUID(env), policy["id"]) is None
        assert (
            await lookup.flow_policy_for_application(session, uuid.UUID(env), application_id)
            is None
        )
    # the flow is no longer distributed, so it can go
    assert (await admin.delete(f"/environments/{env}/flows/{flow['id']}")).status_code == 204


async def test_policy_events_count_the_runs_of_each_flow(admin: Api, env: str) -> None:
    done = await create_flow(
        admin,
        env,
        name="Done",
        graph_data=graph([node("ok", "httpConnector", "createSuccessResponse")]),
    )
    await admin.post(f"/environments/{env}/flows/{done['id']}", content=b"", media_type=DEPLOY)
    waits = await deployed_flow(admin, env, "Waits")
    dv_app = await create_app(admin, env)
    policy = await create_policy(
        admin,
        env,
        dv_app["id"],
        flowDistributions=[{"id": done["id"], "version": -1}],
    )
    href = f"/environments/{env}/davinciApplications/{dv_app['id']}/flowPolicies/{policy['id']}"
    empty = await admin.get(f"{href}/events")
    assert empty.status_code == 200 and empty.json()["_embedded"]["events"] == []
    start = f"/{env}/davinci/policy/{policy['id']}/start"
    headers = {"X-SK-API-KEY": dv_app["apiKey"]["value"]}
    for _ in range(2):
        assert (await admin.client.post(start, json={}, headers=headers)).status_code == 200
    await admin.put(href, json={"flowDistributions": [{"id": waits["id"], "version": -1}]})
    paused = await admin.client.post(start, json={}, headers=headers)
    assert paused.status_code == 200, paused.text
    events = (await admin.get(f"{href}/events")).json()["_embedded"]["events"]
    by_flow = {item["flow"]["id"]: item for item in events}
    assert by_flow[done["id"]]["totalCount"] == 2 and by_flow[done["id"]]["successCount"] == 2
    assert by_flow[waits["id"]]["totalCount"] == 1 and by_flow[waits["id"]]["successCount"] == 0
    assert len(by_flow[done["id"]]["events"]) == 2
    assert all(event["timestamp"].endswith("Z") for event in by_flow[done["id"]]["events"])
    assert_error(
        await admin.get(
            f"/environments/{env}/davinciApplications/{dv_app['id']}/flowPolicies/{uuid.uuid4().hex}/events"
        ),
        404,
        "NOT_FOUND",
    )
