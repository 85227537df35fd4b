"""Flow validation (DaVinci's "dvlinter"): what in a flow graph Gatehouse cannot run.

Errors, by node id: a CONNECTION or ANNOTATION node whose connectorId the connector catalog lacks,
or whose capabilityName that connector lacks; an edge whose source or target is not a node (the
error names the edge's existing end, or the edge id when neither exists); a cycle none of whose
nodes pauses for the user (it would loop forever). Warnings: a node naming a connection
(connector instance) that does not exist in the environment (the runtime then runs the
connector with no connection properties); a node without a value for a property its capability
requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gatehouse.davinci.connectors import catalog
from gatehouse.davinci.connectors.catalog import CapabilitySpec

CONNECTOR_NODES = ("CONNECTION", "ANNOTATION")


@dataclass(frozen=True)
class LinterError:
    code: str
    message: str
    type: str  # error | warning
    recommendation: str
    flow_id: str
    node_id: str | None

    def render(self) -> dict[str, Any]:
        body = {
            "code": self.code,
            "message": self.message,
            "type": self.type,
            "recommendation": self.recommendation,
            "flowId": self.flow_id,
        }
        if self.node_id is not None:
            body["nodeId"] = self.node_id
        return body


@dataclass(frozen=True)
class LintResult:
    errors: list[LinterError]

    @property
    def error_count(self) -> int:
        return sum(1 for item in self.errors if item.type == "error")

    @property
    def warning_count(self) -> int:
        return sum(1 for item in self.errors if item.type == "warning")

    def annotate(self, graph_data: dict[str, Any]) -> dict[str, Any]:
        """A copy of the graph with `linterError` on each node's data and `allLinterErrors`."""
        by_node: dict[str, list[dict[str, Any]]] = {}
        for item in self.errors:
            if item.node_id is not None:
                by_node.setdefault(item.node_id, []).append(item.render())
        nodes = []
        for node in nodes_of(graph_data):
            data = dict(data_of(node))
            data["linterError"] = by_node.get(str(data.get("id")), [])
            nodes.append({**node, "data": data})
        elements = dict(graph_data.get("elements") or {})
        elements["nodes"] = nodes
        return {
            **graph_data,
            "elements": elements,
            "allLinterErrors": [item.render() for item in self.errors],
        }


def _elements(graph_data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    elements = graph_data.get("elements")
    found = elements.get(kind) if isinstance(elements, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def nodes_of(graph_data: dict[str, Any]) -> list[dict[str, Any]]:
    """The graph's nodes that are objects (a stored graph is taken as it came)."""
    return _elements(graph_data, "nodes")


def _edges(graph_data: dict[str, Any]) -> list[dict[str, Any]]:
    return _elements(graph_data, "edges")


def data_of(element: dict[str, Any]) -> dict[str, Any]:
    data = element.get("data")
    return data if isinstance(data, dict) else {}


def lint(flow_id: str, graph_data: dict[str, Any], connection_ids: set[str]) -> LintResult:
    """Validate a graph; `connection_ids` are the environment's connector instances (32 hex)."""
    nodes = {str(data_of(node).get("id")): data_of(node) for node in nodes_of(graph_data)}
    errors = [
        *_connector_errors(flow_id, nodes, connection_ids),
        *_edge_errors(flow_id, nodes, _edges(graph_data)),
        *_cycle_errors(flow_id, nodes, _edges(graph_data)),
    ]
    return LintResult(errors)


def _connector_errors(
    flow_id: str, nodes: dict[str, dict[str, Any]], connection_ids: set[str]
) -> Iterator[LinterError]:
    for node_id, data in nodes.items():
        if data.get("nodeType") not in CONNECTOR_NODES:
            continue
        connector_id = str(data.get("connectorId") or "")
        spec = catalog.find(connector_id)
        if spec is None:
            yield LinterError(
                "dv-er-connector-001",
                f"Connector '{connector_id}' is not available in Gatehouse.",
                "error",
                "Replace the node with one of a connector listed at /connectors.",
                flow_id,
                node_id,
            )
            continue
        capability = str(data.get("capabilityName") or "")
        if capability not in spec.capabilities:
            yield LinterError(
                "dv-er-capability-001",
                f"Connector '{connector_id}' has no capability '{capability}' in Gatehouse.",
                "error",
                f"Use one of: {', '.join(sorted(spec.capabilities))}.",
                flow_id,
                node_id,
            )
        else:
            yield from _missing_properties(flow_id, node_id, data, spec.capabilities[capability])
        connection = str(data.get("connectionId") or "")
        if data.get("nodeType") == "CONNECTION" and connection and connection not in connection_ids:
            yield LinterError(
                "dv-wr-connection-001",
                f"Connection '{connection}' does not exist in this environment.",
                "warning",
                "Create the connector instance, or pick an existing one for the node.",
                flow_id,
                node_id,
            )


def _missing_properties(
    flow_id: str, node_id: str, data: dict[str, Any], capability: CapabilitySpec
) -> Iterator[LinterError]:
    properties = data.get("properties")
    given = properties if isinstance(properties, dict) else {}
    for name, description in capability.properties.items():
        if not description.get("required"):
            continue
        value = given.get(name)
        if isinstance(value, dict):
            value = value.get("value")
        if value in (None, "", []):
            yield LinterError(
                "dv-wr-property-001",
                f"The node has no value for the required property '{name}'.",
                "warning",
                f"Set '{name}' on the node.",
                flow_id,
                node_id,
            )


def _edge_errors(
    flow_id: str, nodes: dict[str, dict[str, Any]], edges: list[dict[str, Any]]
) -> Iterator[LinterError]:
    for edge in edges:
        data = data_of(edge)
        ends = {"source": str(data.get("source")), "target": str(data.get("target"))}
        missing = [role for role, node_id in ends.items() if node_id not in nodes]
        if not missing:
            continue
        present = [node_id for node_id in ends.values() if node_id in nodes]
        yield LinterError(
            "dv-er-edge-001",
            f"Edge '{data.get('id')}' has a {' and '.join(missing)} that is not a node of the flow.",
            "error",
            "Remove the edge or connect it to existing nodes.",
            flow_id,
            present[0] if present else str(data.get("id")),
        )


def _pauses(data: dict[str, Any]) -> bool:
    spec = catalog.find(str(data.get("connectorId") or ""))
    if spec is None:
        return False
    capability = spec.capabilities.get(str(data.get("capabilityName") or ""))
    return capability is not None and capability.pauses


def _cycle_errors(
    flow_id: str, nodes: dict[str, dict[str, Any]], edges: list[dict[str, Any]]
) -> Iterator[LinterError]:
    successors: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for edge in edges:
        data = data_of(edge)
        source, target = str(data.get("source")), str(data.get("target"))
        if source in nodes and target in nodes:
            successors[source].append(target)
    for component in strongly_connected(successors):
        looping = len(component) > 1 or component[0] in successors[component[0]]
        if not looping or any(_pauses(nodes[node_id]) for node_id in component):
            continue
        members = ", ".join(sorted(component))
        for node_id in sorted(component):
            yield LinterError(
                "dv-er-cycle-001",
                f"Nodes {members} form a loop that never waits for the user.",
                "error",
                "Break the loop, or put a node that shows a screen in it.",
                flow_id,
                node_id,
            )


def strongly_connected(successors: dict[str, list[str]]) -> Iterable[list[str]]:
    """Tarjan's strongly connected components, iteratively (graphs may be deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in successors:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            children = successors[node]
            if child < len(children):
                work.append((node, child + 1))
                nxt = children[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components
