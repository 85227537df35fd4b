"""Helpers of the DaVinci admin tests: a second environment, and resources made through the API."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.support.api import Api


@pytest.fixture
async def other_env(admin: Api) -> str:
    """A second environment the bootstrap worker administers, for isolation checks."""
    body = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"},
    )
    return body["id"]


async def create_app(admin: Api, env: str, name: str = "Sign-on app") -> dict[str, Any]:
    return await admin.create(f"/environments/{env}/davinciApplications", {"name": name})


def node(node_id: str, connector: str, capability: str, **properties: object) -> dict[str, Any]:
    """A CONNECTION node as DaVinci exports it."""
    return {
        "data": {
            "id": node_id,
            "nodeType": "CONNECTION",
            "connectionId": "867ed4363b2bc21c860085ad2baa817d",
            "connectorId": connector,
            "capabilityName": capability,
            "type": "action",
            "properties": {key: {"value": value} for key, value in properties.items()},
        },
        "position": {"x": 0, "y": 0},
        "group": "nodes",
    }


def edge(edge_id: str, source: str, target: str) -> dict[str, Any]:
    return {"data": {"id": edge_id, "source": source, "target": target}, "group": "edges"}


def graph(nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "elements": {"nodes": nodes, "edges": edges or []},
        "zoom": 1,
        "pan": {"x": 0, "y": 0},
        "renderer": {"name": "null"},
    }


SIMPLE_GRAPH = graph(
    [
        node("form", "httpConnector", "customHtmlMessage", message="Hello"),
        node("done", "httpConnector", "createSuccessResponse"),
    ],
    [edge("e1", "form", "done")],
)


async def create_flow(
    admin: Api, env: str, name: str = "Sign on", graph_data: dict[str, Any] | None = None
) -> dict[str, Any]:
    return await admin.create(
        f"/environments/{env}/flows", {"name": name, "graphData": graph_data or SIMPLE_GRAPH}
    )
