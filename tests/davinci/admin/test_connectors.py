"""The connector catalog (/connectors, /connectors/{id}, /details) and connector instances:
create, read, list, replace, clone (media type), delete; secret properties sealed, masked in
responses, kept on PUT when masked, and unsealed for the runtime; bad input, isolation, roles."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.davinci import lookup
from gatehouse.davinci.connectors import catalog
from gatehouse.davinci.models import DavinciConnectorInstance
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

CLONE = "application/vnd.pingidentity.connectorInstance.clone+json"
PROPERTIES = {
    "baseUrl": {"type": "string", "value": "https://api.example.com"},
    "apiToken": {"type": "secret", "value": "tok-123456789"},
}


async def create_instance(admin: Api, env: str, **extra: Any) -> dict[str, Any]:
    body = {"name": "Example API", "connector": {"id": "httpConnector"}, "properties": PROPERTIES}
    return await admin.create(f"/environments/{env}/connectorInstances", {**body, **extra})


async def test_catalog_lists_what_gatehouse_runs(admin: Api, env: str) -> None:
    listed = (await admin.get(f"/environments/{env}/connectors")).json()
    ids = [item["id"] for item in listed["_embedded"]["connectors"]]
    assert ids == [spec.id for spec in catalog.connectors()]
    http = (await admin.get(f"/environments/{env}/connectors/httpConnector")).json()
    assert http["name"] == catalog.find("httpConnector").name
    assert http["metadata"]["type"] == "core" and http["environment"] == {"id": env}
    pingone = (await admin.get(f"/environments/{env}/connectors/pingOneSSOConnector")).json()
    assert pingone["metadata"]["type"] == "ping"
    details = (await admin.get(f"/environments/{env}/connectors/httpConnector/details")).json()
    template = details["capabilities"]["customHTMLTemplate"]
    assert template["pauses"] is True and "customHTML" in template["properties"]
    assert details["capabilities"]["createSuccessResponse"]["pauses"] is False
    assert "customHTML" in details["properties"]
    assert_error(await admin.get(f"/environments/{env}/connectors/acmeConnector"), 404, "NOT_FOUND")


async def test_instance_secrets_are_masked_sealed_and_kept(admin: Api, env: str, app: Any) -> None:
    body = await create_instance(admin, env)
    assert len(body["id"]) == 32 and body["connector"] == {"id": "httpConnector"}
    assert body["properties"]["baseUrl"] == PROPERTIES["baseUrl"]
    assert body["properties"]["apiToken"] == {"type": "secret", "value": "******"}
    assert body["_links"]["connectorInstance.clone"]["href"] == body["_links"]["self"]["href"]
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        row = await session.scalar(
            sa.select(DavinciConnectorInstance).where(
                DavinciConnectorInstance.id == uuid.UUID(body["id"])
            )
        )
        assert row is not None and "tok-123456789" not in str(row.properties)
        assert "tok-123456789" not in (row.secret_properties_sealed or "")
    href = f"/environments/{env}/connectorInstances/{body['id']}"
    masked_back = {**PROPERTIES, "apiToken": {"type": "secret", "value": "******"}}
    replaced = await admin.put(
        href,
        json={"name": "Renamed", "connector": {"id": "httpConnector"}, "properties": masked_back},
    )
    assert replaced.status_code == 200, replaced.text
    async with runtime.sessions() as session:
        found = await lookup.connector_instance_properties(
            session, runtime.sealer, uuid.UUID(env), body["id"]
        )
        assert found == ("httpConnector", PROPERTIES)
        assert (
            await lookup.connector_instance_properties(
                session, runtime.sealer, uuid.uuid4(), body["id"]
            )
            is None
        )
    new_secret = {**PROPERTIES, "apiToken": {"type": "secret", "value": "tok-new"}}
    await admin.put(
        href,
        json={"name": "Renamed", "connector": {"id": "httpConnector"}, "properties": new_secret},
    )
    async with runtime.sessions() as session:
        found = await lookup.connector_instance_properties(
            session, runtime.sealer, uuid.UUID(env), body["id"]
        )
        assert found is not None and found[1]["apiToken"]["value"] == "tok-new"


async def test_clone_copies_properties_and_secrets(admin: Api, env: str, app: Any) -> None:
    body = await create_instance(admin, env)
    href = f"/environments/{env}/connectorInstances/{body['id']}"
    response = await admin.post(href, json={"name": "Copy"}, media_type=CLONE)
    assert response.status_code == 201, response.text
    clone = response.json()
    assert clone["id"] != body["id"] and clone["name"] == "Copy"
    assert clone["properties"] == body["properties"]
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        found = await lookup.connector_instance_properties(
            session, runtime.sealer, uuid.UUID(env), clone["id"]
        )
        assert found == ("httpConnector", PROPERTIES)
    assert_error(
        await admin.post(href, json={}, media_type="application/json"), 415, "INVALID_REQUEST"
    )
    listed = (await admin.get(f"/environments/{env}/connectorInstances")).json()
    assert listed["count"] == 2


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"connector": {"id": "httpConnector"}}, "name"),
        ({"name": "x"}, "connector"),
        ({"name": "x", "connector": {"id": "acmeConnector"}}, "connector.id"),
        ({"name": "<b>", "connector": {"id": "httpConnector"}}, "name"),
        ({"name": "x", "connector": {"id": "httpConnector"}, "properties": []}, "properties"),
    ],
)
async def test_create_rejects_bad_input(
    admin: Api, env: str, body: dict[str, Any], target: str
) -> None:
    response = await admin.post(f"/environments/{env}/connectorInstances", json=body)
    assert_error(response, 400, "INVALID_DATA", target=target)
    assert (await admin.get(f"/environments/{env}/connectorInstances")).json()["count"] == 0


async def test_connector_cannot_change(admin: Api, env: str) -> None:
    body = await create_instance(admin, env)
    response = await admin.put(
        f"/environments/{env}/connectorInstances/{body['id']}",
        json={"name": "x", "connector": {"id": "errorConnector"}},
    )
    assert_error(response, 400, "INVALID_DATA", target="connector.id")


async def test_delete_isolation_and_roles(admin: Api, env: str, other_env: str, app: Any) -> None:
    body = await create_instance(admin, env)
    href = f"/environments/{env}/connectorInstances/{body['id']}"
    foreign = f"/environments/{other_env}/connectorInstances/{body['id']}"
    assert_error(await admin.get(foreign), 404, "NOT_FOUND")
    assert_error(await admin.post(foreign, json={}, media_type=CLONE), 404, "NOT_FOUND")
    assert_error(await admin.delete(foreign), 404, "NOT_FOUND")
    reader = await worker(app, admin, env, [("DaVinci Admin Read Only", "ENVIRONMENT", env)])
    assert (await reader.get(href)).status_code == 200
    assert (await reader.get(f"/environments/{env}/connectors")).status_code == 200
    assert_error(await reader.delete(href), 403, "ACCESS_FAILED")
    assert_error(await reader.post(href, json={}, media_type=CLONE), 403, "ACCESS_FAILED")
    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")
