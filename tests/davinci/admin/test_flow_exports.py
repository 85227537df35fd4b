"""DaVinci flow exports: the five reference exports (one flow, and the multi-flow form) import,
export back equal to the original but for ids and timestamps, and validate (nodes of connectors
or capabilities Gatehouse lacks named by node id); bad exports change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatehouse.davinci.connectors import catalog
from tests.davinci.admin.conftest import create_flow, graph, node
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

EXPORTS = Path("/work/shared/pingone-specs/terraform-provider-davinci/internal/acctest/flows")
SINGLE = ["full-minimal.json", "full-basic.json", "full-basic-vars.json", "p1sessionmainflow.json"]
IMPORT = "application/vnd.pingidentity.flow.import+json"
EXPORT = "application/vnd.pingidentity.flowversion.export+json"
VALIDATE = "application/vnd.pingidentity.flow.validate+json"
TIMESTAMPS = ("createdDate", "updatedDate", "deployedDate", "savedDate")


def reference(name: str) -> dict[str, Any]:
    return json.loads((EXPORTS / name).read_text())


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """A flow document without its timestamps and customerId, variables without their ids
    (id, customerId) and creation date, in name order."""
    flow = {key: value for key, value in document.items() if key not in (*TIMESTAMPS, "customerId")}
    flow["variables"] = sorted(
        (
            {
                key: value
                for key, value in variable.items()
                if key not in ("id", "customerId", "createdDate")
            }
            for variable in document.get("variables", [])
        ),
        key=lambda variable: variable["name"],
    )
    return flow


def renamed(document: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(document)
    for new, old in renames.items():
        text = text.replace(new, old)
    return json.loads(text)


async def import_export(admin: Api, env: str, document: dict[str, Any]) -> dict[str, Any]:
    response = await admin.post(f"/environments/{env}/flows", json=document, media_type=IMPORT)
    assert response.status_code == 201, response.text
    return response.json()


async def export(admin: Api, env: str, flow: dict[str, Any], **options: bool) -> dict[str, Any]:
    response = await admin.post(
        f"/environments/{env}/flows/{flow['id']}/versions/{flow['currentVersion']}",
        json=options,
        media_type=EXPORT,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("name", SINGLE)
async def test_single_flow_export_round_trips(admin: Api, env: str, name: str) -> None:
    original = reference(name)
    flow = await import_export(admin, env, original)
    assert flow["id"] != original["flowId"] and flow["name"] == original["name"]
    assert flow["currentVersion"] == original["versionId"]
    assert flow["publishedVersion"] == original["publishedVersion"]
    # the reference exports carry variable values: they were made with includeVariableValues
    exported = await export(admin, env, flow, includeVariableValues=True)
    assert exported["flowId"] == flow["id"] and exported["companyId"] == env
    back = renamed(exported, {flow["id"]: original["flowId"], env: original["companyId"]})
    assert comparable(back) == comparable(original)
    # and the export imports again to the same document
    again = await import_export(admin, env, exported)
    second = await export(admin, env, again, includeVariableValues=True)
    assert comparable(renamed(second, {again["id"]: flow["id"]})) == comparable(exported)


async def test_multi_flow_export_round_trips(admin: Api, env: str) -> None:
    original = reference("multiple-flows.json")
    body = await import_export(admin, env, original)
    imported = body["_embedded"]["flows"]
    assert [flow["name"] for flow in imported] == [flow["name"] for flow in original["flows"]]
    renames = {env: original["companyId"]}
    renames.update(
        {flow["id"]: source["flowId"] for flow, source in zip(imported, original["flows"])}
    )
    # the main flow's sub-flow calls now name the imported sub-flows
    main_graph = json.dumps(imported[0]["graphData"])
    assert imported[1]["id"] in main_graph and imported[2]["id"] in main_graph
    exported = await export(
        admin, env, imported[0], includeSubFlows=True, includeVariableValues=True
    )
    assert set(exported) == {"flows", "companyId", "customerId"}
    back = renamed(exported, renames)
    assert back["companyId"] == original["companyId"]
    assert [comparable(flow) for flow in back["flows"]] == [
        comparable(flow) for flow in original["flows"]
    ]


async def test_export_includes_variable_values_only_when_asked(admin: Api, env: str) -> None:
    flow = await import_export(admin, env, reference("full-basic.json"))
    variable = await admin.create(
        f"/environments/{env}/variables",
        {
            "name": "greeting",
            "context": "flow",
            "dataType": "string",
            "mutable": True,
            "flow": {"id": flow["id"]},
            "value": "hello",
        },
    )
    secret = await admin.create(
        f"/environments/{env}/variables",
        {
            "name": "token",
            "context": "flow",
            "dataType": "secret",
            "mutable": False,
            "flow": {"id": flow["id"]},
            "value": "s3cr3t-value",
        },
    )
    assert variable["value"] == "hello" and "value" not in secret
    plain = await export(admin, env, flow)
    assert all("value" not in item["fields"] for item in plain["variables"])
    valued = await export(admin, env, flow, includeVariableValues=True)
    values = {
        item["name"].split("##SK##")[0]: item["fields"].get("value") for item in valued["variables"]
    }
    assert values["greeting"] == "hello" and values["token"] is None
    assert "s3cr3t-value" not in json.dumps(valued)


def unsupported_nodes(document: dict[str, Any]) -> set[str]:
    """The nodes of a reference export whose connector or capability the catalog lacks."""
    found = set()
    for element in document["graphData"]["elements"]["nodes"]:
        data = element["data"]
        if data["nodeType"] not in ("CONNECTION", "ANNOTATION"):
            continue
        spec = catalog.find(data["connectorId"])
        if spec is None or data["capabilityName"] not in spec.capabilities:
            found.add(data["id"])
    return found


@pytest.mark.parametrize("name", [*SINGLE, "multiple-flows.json"])
async def test_reference_exports_validate(admin: Api, env: str, name: str) -> None:
    original = reference(name)
    body = await import_export(admin, env, original)
    flows = body["_embedded"]["flows"] if "flows" in original else [body]
    sources = original.get("flows", [original])
    for flow, source in zip(flows, sources):
        response = await admin.post(
            f"/environments/{env}/flows/{flow['id']}", content=b"", media_type=VALIDATE
        )
        assert response.status_code == 200, response.text
        result = response.json()
        errors = [e for e in result["graphData"]["allLinterErrors"] if e["type"] == "error"]
        assert {e["nodeId"] for e in errors} == unsupported_nodes(source)
        assert result["dvlinterErrorCount"] == len(errors)
        for element in result["graphData"]["elements"]["nodes"]:
            data = element["data"]
            assert all(e["nodeId"] == data["id"] for e in data["linterError"])


@pytest.mark.parametrize(
    ("document", "target"),
    [
        ({"graphData": {"elements": {"nodes": []}}}, "name"),
        ({"name": "x", "graphData": {"elements": {"nodes": {}}}}, "graphData.elements.nodes"),
        ({"name": "x"}, "graphData"),
        ({"name": "x", "graphData": {"elements": {"nodes": []}}, "versionId": "4"}, "versionId"),
        ({"name": "x", "graphData": {"elements": {"nodes": []}}, "versionId": -1}, "versionId"),
        ({"name": "x", "graphData": {"elements": {}}, "settings": "loud"}, "settings"),
        ({"name": "x", "graphData": {"elements": {}}, "inputSchema": {}}, "inputSchema"),
        ({"name": "x", "graphData": {"elements": {}}, "description": "d" * 1025}, "description"),
        ({"name": "x", "graphData": {"elements": {}}, "flowColor": 5}, "flowColor"),
        ({"flows": []}, "flows"),
        (
            {
                "flows": [
                    {"flowId": "a" * 32, "name": "one", "graphData": {"elements": {"nodes": []}}},
                    {"flowId": "a" * 32, "name": "two", "graphData": {"elements": {"nodes": []}}},
                ]
            },
            "flows[1].flowId",
        ),
        (
            {"flows": [{"name": "ok", "graphData": {"elements": {"nodes": []}}}, {"name": "bad"}]},
            "flows[1].graphData",
        ),
    ],
)
async def test_bad_exports_are_rejected_whole(
    admin: Api, env: str, document: dict[str, Any], target: str
) -> None:
    response = await admin.post(f"/environments/{env}/flows", json=document, media_type=IMPORT)
    assert_error(response, 400, "INVALID_DATA", target=target)
    assert (await admin.get(f"/environments/{env}/flows")).json()["count"] == 0


async def test_free_form_ids_are_not_rewritten_in_text(admin: Api, env: str) -> None:
    document = {
        "flowId": "a",
        "companyId": "b",
        "name": "a flow about bees",
        "description": "a b c",
        "graphData": {"elements": {"nodes": [{"data": 5}, {"data": {"id": "n"}}], "edges": []}},
    }
    flow = await import_export(admin, env, document)
    assert flow["name"] == "a flow about bees" and flow["description"] == "a b c"
    exported = await export(admin, env, flow)
    assert exported["graphData"] == document["graphData"]
    validated = await admin.post(
        f"/environments/{env}/flows/{flow['id']}", content=b"", media_type=VALIDATE
    )
    assert validated.status_code == 200 and validated.json()["dvlinterErrorCount"] == 0


def sub_flow_call(node_id: str, flow_id: str, version: int) -> dict[str, Any]:
    call = node(node_id, "flowConnector", "startUiSubFlow")
    call["data"]["properties"] = {
        "subFlowId": {"value": {"label": "sub", "value": flow_id}},
        "subFlowVersionId": {"value": version},
    }
    return call


async def test_export_with_sub_flows_follows_calls_and_pinned_versions(
    admin: Api, env: str
) -> None:
    leaf = await create_flow(admin, env, name="Leaf")
    await admin.put(f"/environments/{env}/flows/{leaf['id']}", json={"name": "Leaf"})
    middle = await create_flow(
        admin, env, name="Middle", graph_data=graph([sub_flow_call("m", leaf["id"], 1)])
    )
    top = await create_flow(
        admin,
        env,
        name="Top",
        graph_data=graph(
            [sub_flow_call("t1", middle["id"], -1), sub_flow_call("t2", leaf["id"], 1)]
        ),
    )
    exported = await export(admin, env, top, includeSubFlows=True)
    assert [(doc["name"], doc["versionId"]) for doc in exported["flows"]] == [
        ("Top", 1),
        ("Middle", 1),
        ("Leaf", 1),
    ]
    assert exported["companyId"] == env
    alone = await export(admin, env, top)
    assert alone["flowId"] == top["id"] and "flows" not in alone
