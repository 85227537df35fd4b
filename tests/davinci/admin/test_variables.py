"""DaVinci variables: the four contexts, dataType checks (number within min..max), uniqueness per
context, secret values sealed and never returned; what the runtime reads and writes through
davinci.lookup; isolation and roles."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.davinci import lookup
from gatehouse.davinci.models import DavinciVariable
from tests.davinci.admin.conftest import create_flow
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def create_variable(admin: Api, env: str, **body: Any) -> dict[str, Any]:
    defaults = {"context": "company", "dataType": "string", "mutable": True}
    return await admin.create(f"/environments/{env}/variables", {**defaults, **body})


async def test_create_read_replace_delete(admin: Api, env: str) -> None:
    body = await create_variable(admin, env, name="greeting", displayName="Greeting", value="hello")
    assert uuid.UUID(body["id"]) and body["environment"] == {"id": env}
    assert body["context"] == "company" and body["dataType"] == "string"
    assert body["value"] == "hello" and body["min"] == 0 and body["max"] == 2000
    assert body["displayName"] == "Greeting" and "flow" not in body
    href = f"/environments/{env}/variables/{body['id']}"
    assert (await admin.get(href)).json() == body
    replaced = await admin.put(
        href,
        json={
            "name": "greeting",
            "context": "company",
            "dataType": "string",
            "mutable": False,
            "value": "bonjour",
        },
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["value"] == "bonjour" and replaced.json()["mutable"] is False
    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")


async def test_secret_values_are_sealed_and_never_returned(admin: Api, env: str, app: Any) -> None:
    flow = await create_flow(admin, env)
    body = await create_variable(
        admin, env, name="apiKey", dataType="secret", mutable=False, value="k-987654321"
    )
    assert "value" not in body
    listed = await admin.get(f"/environments/{env}/variables")
    assert "k-987654321" not in listed.text
    # a PUT without a value keeps the secret
    await admin.put(
        f"/environments/{env}/variables/{body['id']}",
        json={"name": "apiKey", "context": "company", "dataType": "secret", "mutable": False},
    )
    runtime = app.state.runtime
    async with runtime.sessions() as session:
        row = await session.get(DavinciVariable, uuid.UUID(body["id"]))
        assert row is not None and row.value is None
        assert row.value_sealed and "k-987654321" not in row.value_sealed
        values = await lookup.variable_values(session, runtime.sealer, uuid.UUID(env), flow["id"])
        assert values["apiKey"] == "k-987654321"


async def test_lookup_reads_company_and_flow_values_and_writes_mutable_ones(
    admin: Api, env: str, app: Any
) -> None:
    flow = await create_flow(admin, env)
    other = await create_flow(admin, env, name="Other")
    await create_variable(admin, env, name="shared", value="company")
    await create_variable(admin, env, name="locked", mutable=False, value="fixed")
    await create_variable(
        admin, env, name="shared", context="flow", flow={"id": flow["id"]}, value="flow"
    )
    await create_variable(
        admin,
        env,
        name="count",
        context="flow",
        flow={"id": flow["id"]},
        dataType="number",
        min=1,
        max=5,
        value=2,
    )
    await create_variable(
        admin, env, name="elsewhere", context="flow", flow={"id": other["id"]}, value="x"
    )
    runtime = app.state.runtime
    environment_id = uuid.UUID(env)
    async with runtime.sessions() as session, session.begin():
        values = await lookup.variable_values(session, runtime.sealer, environment_id, flow["id"])
        assert values == {"shared": "flow", "locked": "fixed", "count": 2}
        set_value = lookup.set_variable_value
        assert await set_value(session, runtime.sealer, environment_id, "count", 4, flow["id"])
        assert not await set_value(session, runtime.sealer, environment_id, "count", 9, flow["id"])
        assert not await set_value(
            session, runtime.sealer, environment_id, "count", "4", flow["id"]
        )
        assert not await set_value(session, runtime.sealer, environment_id, "locked", "new")
        assert await set_value(session, runtime.sealer, environment_id, "shared", "changed")
        assert not await set_value(session, runtime.sealer, uuid.uuid4(), "shared", "x")
    async with runtime.sessions() as session:
        values = await lookup.variable_values(session, runtime.sealer, environment_id, other["id"])
        assert values == {"shared": "changed", "locked": "fixed", "elsewhere": "x"}
        count = await session.scalar(
            sa.select(DavinciVariable.value).where(DavinciVariable.name == "count")
        )
        assert count == 4


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"context": "company", "dataType": "string", "mutable": True}, "name"),
        ({"name": "v", "dataType": "string", "mutable": True}, "context"),
        ({"name": "v", "context": "galaxy", "dataType": "string", "mutable": True}, "context"),
        ({"name": "v", "context": "company", "dataType": "date", "mutable": True}, "dataType"),
        ({"name": "v", "context": "company", "dataType": "string"}, "mutable"),
        ({"name": "v", "context": "flow", "dataType": "string", "mutable": True}, "flow"),
        (
            {
                "name": "v",
                "context": "flow",
                "dataType": "string",
                "mutable": True,
                "flow": {"id": uuid.uuid4().hex},
            },
            "flow.id",
        ),
        (
            {
                "name": "v",
                "context": "company",
                "dataType": "string",
                "mutable": True,
                "flow": {"id": uuid.uuid4().hex},
            },
            "flow",
        ),
        (
            {
                "name": "v",
                "context": "company",
                "dataType": "number",
                "mutable": True,
                "value": "ten",
            },
            "value",
        ),
        (
            {
                "name": "v",
                "context": "company",
                "dataType": "number",
                "mutable": True,
                "max": 5,
                "value": 6,
            },
            "value",
        ),
        (
            {"name": "v", "context": "company", "dataType": "boolean", "mutable": True, "value": 1},
            "value",
        ),
        (
            {
                "name": "v",
                "context": "company",
                "dataType": "string",
                "mutable": True,
                "min": 9,
                "max": 3,
            },
            "min",
        ),
        (
            {"name": "v", "context": "company", "dataType": "string", "mutable": True, "min": -1},
            "min",
        ),
        (
            {
                "name": "v",
                "context": "company",
                "dataType": "number",
                "mutable": True,
                "max": 10**12,
            },
            "max",
        ),
    ],
)
async def test_create_rejects_bad_input(
    admin: Api, env: str, body: dict[str, Any], target: str
) -> None:
    response = await admin.post(f"/environments/{env}/variables", json=body)
    assert_error(response, 400, "INVALID_DATA", target=target)
    assert (await admin.get(f"/environments/{env}/variables")).json()["count"] == 0


async def test_names_are_unique_per_context_and_flow(admin: Api, env: str) -> None:
    flow = await create_flow(admin, env)
    await create_variable(admin, env, name="v")
    again = await admin.post(
        f"/environments/{env}/variables",
        json={"name": "v", "context": "company", "dataType": "string", "mutable": True},
    )
    assert_error(again, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    await create_variable(admin, env, name="v", context="user")
    await create_variable(admin, env, name="v", context="flow", flow={"id": flow["id"]})


async def test_isolation_and_roles(admin: Api, env: str, other_env: str, app: Any) -> None:
    body = await create_variable(admin, env, name="v")
    foreign = f"/environments/{other_env}/variables/{body['id']}"
    assert_error(await admin.get(foreign), 404, "NOT_FOUND")
    assert_error(await admin.delete(foreign), 404, "NOT_FOUND")
    flow = await create_flow(admin, env)
    cross = await admin.post(
        f"/environments/{other_env}/variables",
        json={
            "name": "v",
            "context": "flow",
            "dataType": "string",
            "mutable": True,
            "flow": {"id": flow["id"]},
        },
    )
    assert_error(cross, 400, "INVALID_DATA", target="flow.id")
    href = f"/environments/{env}/variables/{body['id']}"
    reader = await worker(app, admin, env, [("DaVinci Admin Read Only", "ENVIRONMENT", env)])
    assert (await reader.get(href)).status_code == 200
    assert_error(await reader.delete(href), 403, "ACCESS_FAILED")
