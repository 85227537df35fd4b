"""Flows: create (version 1), read, list, replace (each save a new version), delete; clone, deploy
and validate by media type; enabled; versions (list, read, details, alias, delete); what the
runtime reads through davinci.lookup; bad input, roles and environment isolation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gatehouse.common import clock
from gatehouse.davinci import lookup
from gatehouse.davinci.models import DavinciFlowVersion
from tests.davinci.admin.conftest import SIMPLE_GRAPH, create_flow, graph, node
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

CLONE = "application/vnd.pingidentity.flow.clone+json"
DEPLOY = "application/vnd.pingidentity.flow.deploy+json"


async def deploy(admin: Api, env: str, flow_id: str) -> dict[str, Any]:
    response = await admin.post(
        f"/environments/{env}/flows/{flow_id}", content=b"", media_type=DEPLOY
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_and_read(admin: Api, env: str) -> None:
    body = await admin.create(
        f"/environments/{env}/flows",
        {
            "name": "Sign on",
            "description": "Username and password",
            "color": "#E3F0FF",
            "graphData": SIMPLE_GRAPH,
            "settings": {"logLevel": 2},
            "inputSchema": [{"propertyName": "username", "preferredDataType": "string"}],
            "trigger": {"type": "AUTHENTICATION"},
        },
    )
    assert len(body["id"]) == 32 and body["environment"] == {"id": env}
    assert body["name"] == "Sign on" and body["description"] == "Username and password"
    assert body["color"] == "#E3F0FF" and body["enabled"] is True
    assert body["currentVersion"] == 1 and "publishedVersion" not in body
    assert body["graphData"] == SIMPLE_GRAPH
    assert body["connectors"] == [{"id": "httpConnector"}]
    assert body["settings"] == {"logLevel": 2}
    assert body["inputSchema"] == [{"propertyName": "username", "preferredDataType": "string"}]
    assert body["trigger"] == {"type": "AUTHENTICATION"}
    href = body["_links"]["self"]["href"]
    assert href.endswith(f"/environments/{env}/flows/{body['id']}")
    assert body["_links"]["versions"]["href"] == f"{href}/versions"
    assert body["_links"]["version"]["href"] == f"{href}/versions/1"
    assert body["_links"]["flow.deploy"]["href"] == href
    assert body["_links"]["flow.enabled"]["href"] == f"{href}/enabled"
    read = await admin.get(f"/environments/{env}/flows/{body['id']}")
    assert read.status_code == 200 and read.json() == body
    listed = (await admin.get(f"/environments/{env}/flows")).json()
    assert [item["id"] for item in listed["_embedded"]["flows"]] == [body["id"]]


async def test_replace_saves_a_new_version_and_keeps_the_old(admin: Api, env: str) -> None:
    body = await create_flow(admin, env)
    changed = graph([node("only", "httpConnector", "createSuccessResponse")])
    response = await admin.put(
        f"/environments/{env}/flows/{body['id']}", json={"name": "Renamed", "graphData": changed}
    )
    assert response.status_code == 200, response.text
    assert response.json()["currentVersion"] == 2 and response.json()["graphData"] == changed
    # left out: carried over from the current version
    again = await admin.put(f"/environments/{env}/flows/{body['id']}", json={"name": "Again"})
    assert again.json()["currentVersion"] == 3 and again.json()["graphData"] == changed
    versions = (await admin.get(f"/environments/{env}/flows/{body['id']}/versions")).json()
    assert [item["version"] for item in versions["_embedded"]["versions"]] == [3, 2, 1]
    first = await admin.get(f"/environments/{env}/flows/{body['id']}/versions/1/details")
    assert first.status_code == 200 and first.json()["graphData"] == SIMPLE_GRAPH
    assert first.json()["flow"] == {"id": body["id"], "name": "Again"}


async def test_deploy_runs_that_version_until_the_next_deploy(
    admin: Api, env: str, app: Any
) -> None:
    body = await create_flow(admin, env)
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        assert await lookup.deployed_flow(session, uuid.UUID(env), body["id"]) is None
    deployed = await deploy(admin, env, body["id"])
    assert deployed["publishedVersion"] == 1 and deployed["deployedAt"].endswith("Z")
    await admin.put(
        f"/environments/{env}/flows/{body['id']}",
        json={
            "name": "v2",
            "graphData": graph([node("x", "httpConnector", "createSuccessResponse")]),
        },
    )
    async with runtime.sessions() as session:
        runnable = await lookup.deployed_flow(session, uuid.UUID(env), body["id"])
        assert runnable is not None and runnable.version == 1
        assert runnable.graph_data == SIMPLE_GRAPH and runnable.flow_id == body["id"]
        assert await lookup.deployed_flow(session, uuid.uuid4(), body["id"]) is None
    await deploy(admin, env, body["id"])
    disabled = await admin.put(
        f"/environments/{env}/flows/{body['id']}/enabled", json={"enabled": False}
    )
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    async with runtime.sessions() as session:
        assert await lookup.deployed_flow(session, uuid.UUID(env), body["id"]) is None
    await admin.put(f"/environments/{env}/flows/{body['id']}/enabled", json={"enabled": True})
    async with runtime.sessions() as session:
        runnable = await lookup.deployed_flow(session, uuid.UUID(env), body["id"])
        assert runnable is not None and runnable.version == 2


async def test_clone_copies_the_current_version(admin: Api, env: str) -> None:
    body = await create_flow(admin, env)
    response = await admin.post(
        f"/environments/{env}/flows/{body['id']}", json={"name": "Copy"}, media_type=CLONE
    )
    assert response.status_code == 201, response.text
    clone = response.json()
    assert clone["id"] != body["id"] and clone["name"] == "Copy"
    assert clone["graphData"] == SIMPLE_GRAPH and clone["currentVersion"] == 1
    assert "publishedVersion" not in clone
    unnamed = await admin.post(
        f"/environments/{env}/flows/{body['id']}", content=b"", media_type=CLONE
    )
    assert unnamed.json()["name"] == "Sign on (copy)"


async def test_versions_delete_rules_and_alias(admin: Api, env: str) -> None:
    body = await create_flow(admin, env)
    href = f"/environments/{env}/flows/{body['id']}"
    await deploy(admin, env, body["id"])
    await admin.put(href, json={"name": "v2"})
    await admin.put(href, json={"name": "v3"})
    assert_error(await admin.delete(f"{href}/versions/3"), 400, "REQUEST_FAILED")
    assert_error(await admin.delete(f"{href}/versions/1"), 400, "REQUEST_FAILED")
    assert (await admin.delete(f"{href}/versions/2")).status_code == 204
    assert_error(await admin.get(f"{href}/versions/2"), 404, "NOT_FOUND")
    assert_error(await admin.get(f"{href}/versions/abc"), 404, "NOT_FOUND")
    alias = await admin.put(f"{href}/versions/1/alias", json={"alias": "golden"})
    assert alias.status_code == 200 and alias.json()["alias"] == "golden"
    one = (await admin.get(f"{href}/versions/1")).json()
    assert one["alias"] == "golden" and one["deployedAt"].endswith("Z")


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 257}, "name"),
        ({"name": "f", "graphData": {"elements": {"nodes": "no"}}}, "graphData.elements.nodes"),
        ({"name": "f", "inputSchema": [{"propertyName": "a"}]}, "inputSchema.preferredDataType"),
        ({"name": "f", "description": "d" * 1025}, "description"),
    ],
)
async def test_create_rejects_bad_input(
    admin: Api, env: str, body: dict[str, Any], target: str
) -> None:
    response = await admin.post(f"/environments/{env}/flows", json=body)
    assert_error(response, 400, "INVALID_DATA", target=target)
    assert (await admin.get(f"/environments/{env}/flows")).json()["count"] == 0


async def test_unknown_action_media_type_is_415(admin: Api, env: str) -> None:
    body = await create_flow(admin, env)
    response = await admin.post(
        f"/environments/{env}/flows/{body['id']}", json={}, media_type="application/json"
    )
    assert_error(response, 415, "INVALID_REQUEST")


async def test_delete_then_404(admin: Api, env: str) -> None:
    body = await create_flow(admin, env)
    href = f"/environments/{env}/flows/{body['id']}"
    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.get(f"{href}/versions"), 404, "NOT_FOUND")


async def test_another_environments_flow_is_404(admin: Api, env: str, other_env: str) -> None:
    body = await create_flow(admin, env)
    href = f"/environments/{other_env}/flows/{body['id']}"
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.put(href, json={"name": "x"}), 404, "NOT_FOUND")
    assert_error(await admin.post(href, content=b"", media_type=DEPLOY), 404, "NOT_FOUND")
    assert_error(await admin.get(f"{href}/versions/1"), 404, "NOT_FOUND")
    assert_error(await admin.delete(href), 404, "NOT_FOUND")
    assert (await admin.get(f"/environments/{env}/flows/{body['id']}")).status_code == 200


async def test_roles(admin: Api, env: str, app: Any) -> None:
    body = await create_flow(admin, env)
    href = f"/environments/{env}/flows/{body['id']}"
    reader = await worker(app, admin, env, [("DaVinci Admin Read Only", "ENVIRONMENT", env)])
    assert (await reader.get(href)).status_code == 200
    for response in (
        await reader.post(href, content=b"", media_type=DEPLOY),
        await reader.post(href, content=b"", media_type=CLONE),
        await reader.put(href, json={"name": "x"}),
        await reader.delete(href),
    ):
        assert_error(response, 403, "ACCESS_FAILED")
    outsider = await worker(app, admin, env, [("Client Application Developer", "ENVIRONMENT", env)])
    assert_error(await outsider.get(href), 403, "ACCESS_FAILED")


async def test_a_version_number_taken_meanwhile_is_a_clean_error(
    admin: Api, env: str, app: Any
) -> None:
    body = await create_flow(admin, env)
    runtime = app.state.runtime
    async with runtime.sessions() as session, session.begin():
        session.add(
            DavinciFlowVersion(
                environment_id=uuid.UUID(env),
                flow_id=uuid.UUID(body["id"]),
                version=2,
                graph_data={},
                settings={},
                input_schema=[],
                extras={},
                created_at=clock.now(),
            )
        )
    response = await admin.put(f"/environments/{env}/flows/{body['id']}", json={"name": "x"})
    assert_error(response, 400, "REQUEST_FAILED")
    read = (await admin.get(f"/environments/{env}/flows/{body['id']}")).json()
    assert read["name"] == "Sign on" and read["currentVersion"] == 1
