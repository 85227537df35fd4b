"""Flow validation (validate media type): unknown connectors and capabilities, edges to missing
nodes and loops that never pause are errors named by node id; a missing connection is a warning;
validating a posted graph checks it without saving anything."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.davinci.admin.validation import strongly_connected
from tests.davinci.admin.conftest import create_flow, edge, graph, node
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

VALIDATE = "application/vnd.pingidentity.flow.validate+json"


async def validate(admin: Api, env: str, flow_id: str, body: Any = None) -> dict[str, Any]:
    response = await admin.post(
        f"/environments/{env}/flows/{flow_id}",
        json=body,
        content=None if body is not None else b"",
        media_type=VALIDATE,
    )
    assert response.status_code == 200, response.text
    return response.json()


def errors_by_node(result: dict[str, Any]) -> dict[str, set[str]]:
    """Error codes (not warnings) by node id."""
    found: dict[str, set[str]] = {}
    for item in result["graphData"]["allLinterErrors"]:
        if item["type"] == "error":
            found.setdefault(item["nodeId"], set()).add(item["code"])
    return found


async def test_a_supported_flow_has_no_errors(admin: Api, env: str) -> None:
    flow = await create_flow(admin, env)
    result = await validate(admin, env, flow["id"])
    assert result["dvlinterErrorCount"] == 0
    assert result["graphData"]["allLinterErrors"] == [
        item for item in result["graphData"]["allLinterErrors"] if item["type"] == "warning"
    ]


async def test_unknown_connector_and_capability_are_named_by_node(admin: Api, env: str) -> None:
    flow = await create_flow(
        admin,
        env,
        graph_data=graph(
            [
                node("start", "httpConnector", "customHTMLTemplate"),
                node("vendor", "acmeFraudConnector", "score"),
                node("typo", "httpConnector", "customHtmlTemplat"),
                {"data": {"id": "eval", "nodeType": "EVAL"}, "group": "nodes"},
            ],
            [edge("a", "start", "vendor"), edge("b", "vendor", "eval"), edge("c", "eval", "typo")],
        ),
    )
    result = await validate(admin, env, flow["id"])
    assert result["dvlinterErrorCount"] == 2
    errors = errors_by_node(result)
    assert errors == {"vendor": {"dv-er-connector-001"}, "typo": {"dv-er-capability-001"}}
    vendor = next(
        n for n in result["graphData"]["elements"]["nodes"] if n["data"]["id"] == "vendor"
    )
    (problem,) = [e for e in vendor["data"]["linterError"] if e["type"] == "error"]
    assert problem["flowId"] == flow["id"] and "acmeFraudConnector" in problem["message"]


async def test_edges_to_missing_nodes(admin: Api, env: str) -> None:
    flow = await create_flow(
        admin,
        env,
        graph_data=graph(
            [node("only", "httpConnector", "createSuccessResponse")],
            [edge("dangling", "only", "ghost"), edge("lost", "nowhere", "void")],
        ),
    )
    result = await validate(admin, env, flow["id"])
    errors = errors_by_node(result)
    assert errors["only"] == {"dv-er-edge-001"} and errors["lost"] == {"dv-er-edge-001"}
    assert result["dvlinterErrorCount"] == 2


async def test_loops_must_pause(admin: Api, env: str) -> None:
    looping = graph(
        [
            node("a", "httpConnector", "createSuccessResponse"),
            node("b", "functionsConnector", "AEqualsB"),
            node("out", "httpConnector", "createSuccessResponse"),
        ],
        [edge("1", "a", "b"), edge("2", "b", "a"), edge("3", "b", "out")],
    )
    flow = await create_flow(admin, env, graph_data=looping)
    errors = errors_by_node(await validate(admin, env, flow["id"]))
    assert errors == {"a": {"dv-er-cycle-001"}, "b": {"dv-er-cycle-001"}}
    pausing = graph(
        [
            node("a", "httpConnector", "customHTMLTemplate"),
            node("b", "functionsConnector", "AEqualsB"),
        ],
        [edge("1", "a", "b"), edge("2", "b", "a")],
    )
    assert errors_by_node(await validate(admin, env, flow["id"], {"graphData": pausing})) == {}
    self_loop = graph([node("s", "httpConnector", "createSuccessResponse")], [edge("1", "s", "s")])
    assert errors_by_node(await validate(admin, env, flow["id"], {"graphData": self_loop})) == {
        "s": {"dv-er-cycle-001"}
    }


async def test_missing_connection_is_a_warning(admin: Api, env: str) -> None:
    flow = await create_flow(admin, env)
    result = await validate(admin, env, flow["id"])
    warnings = [e for e in result["graphData"]["allLinterErrors"] if e["type"] == "warning"]
    assert {e["nodeId"] for e in warnings} == {"form", "done"}
    assert result["dvlinterWarningCount"] == 2
    instance = await admin.create(
        f"/environments/{env}/connectorInstances",
        {"name": "Http", "connector": {"id": "httpConnector"}},
    )
    fixed = graph([node("form", "httpConnector", "customHtmlMessage", message="Hi")])
    fixed["elements"]["nodes"][0]["data"]["connectionId"] = instance["id"]
    again = await validate(admin, env, flow["id"], {"graphData": fixed})
    assert again["dvlinterWarningCount"] == 0 and again["dvlinterErrorCount"] == 0


async def test_validating_a_posted_graph_saves_nothing(admin: Api, env: str) -> None:
    flow = await create_flow(admin, env)
    other = graph([node("x", "nopeConnector", "nothing")])
    result = await validate(admin, env, flow["id"], {"graphData": other})
    assert errors_by_node(result)["x"] == {"dv-er-connector-001"}
    read = (await admin.get(f"/environments/{env}/flows/{flow['id']}")).json()
    assert read["currentVersion"] == 1 and read["graphData"] == flow["graphData"]


async def test_validate_rejects_a_malformed_graph(admin: Api, env: str) -> None:
    flow = await create_flow(admin, env)
    response = await admin.post(
        f"/environments/{env}/flows/{flow['id']}",
        json={"graphData": {"elements": {"edges": 5}}},
        media_type=VALIDATE,
    )
    assert_error(response, 400, "INVALID_DATA", target="graphData.elements.edges")


def test_strongly_connected_components() -> None:
    successors = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": [], "e": ["e"]}
    components = {frozenset(c) for c in strongly_connected(successors)}
    assert components == {frozenset("abc"), frozenset("d"), frozenset("e")}
    chain = {str(i): [str(i + 1)] for i in range(5000)} | {"5000": []}
    assert len(list(strongly_connected(chain))) == 5001


async def test_a_required_property_left_empty_is_a_warning(admin: Api, env: str) -> None:
    flow = await create_flow(
        admin,
        env,
        graph_data=graph(
            [
                node("empty", "httpConnector", "customHtmlMessage", message=""),
                node("given", "httpConnector", "customHtmlMessage", message="Hi"),
            ]
        ),
    )
    result = await validate(admin, env, flow["id"])
    missing = [
        e for e in result["graphData"]["allLinterErrors"] if e["code"] == "dv-wr-property-001"
    ]
    assert [(e["nodeId"], e["type"]) for e in missing] == [("empty", "warning")]
    assert "message" in missing[0]["message"] and result["dvlinterErrorCount"] == 0
