"""In-memory flow sources and variable stores for engine tests, and the reference exports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPORTS = Path("/work/shared/pingone-specs/terraform-provider-davinci/internal/acctest/flows")


def export(name: str) -> dict[str, Any]:
    return json.loads((EXPORTS / name).read_text())


@dataclass(frozen=True)
class Flow:
    flow_id: str
    version: int
    graph_data: dict[str, Any]


@dataclass
class Flows:
    flows: dict[str, Flow] = field(default_factory=dict)

    def add(self, flow_id: str, graph_data: dict[str, Any], version: int = 1) -> Flow:
        self.flows[flow_id] = Flow(flow_id, version, graph_data)
        return self.flows[flow_id]

    async def load(self, flow_id: str, version: int | None) -> Flow | None:
        flow = self.flows.get(flow_id)
        if flow is None or (version is not None and version != flow.version):
            return None
        return flow


@dataclass
class Variable:
    data_type: str
    value: Any = None
    flow_id: str | None = None
    mutable: bool = True


@dataclass
class Variables:
    defined: dict[str, Variable] = field(default_factory=dict)

    async def values(self, flow_id: str) -> dict[str, Any]:
        return {
            name: variable.value
            for name, variable in self.defined.items()
            if variable.flow_id in (None, flow_id)
        }

    async def set(self, name: str, value: Any, flow_id: str | None) -> bool:
        variable = self.defined.get(name)
        if variable is None or variable.flow_id != flow_id or not variable.mutable:
            return False
        variable.value = value
        return True


def node(node_id: str, connector: str, capability: str, **properties: Any) -> dict[str, Any]:
    return {
        "data": {
            "id": node_id,
            "nodeType": "CONNECTION",
            "connectorId": connector,
            "capabilityName": capability,
            "connectionId": f"conn-{connector}",
            "properties": {name: {"value": value} for name, value in properties.items()},
        }
    }


def evaluator(node_id: str, **rules: str) -> dict[str, Any]:
    return {
        "data": {
            "id": node_id,
            "nodeType": "EVAL",
            "properties": {target: {"value": rule} for target, rule in rules.items()},
        }
    }


def graph(nodes: list[dict[str, Any]], edges: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "elements": {
            "nodes": nodes,
            "edges": [
                {"data": {"id": f"e{i}", "source": source, "target": target}}
                for i, (source, target) in enumerate(edges)
            ],
        }
    }
