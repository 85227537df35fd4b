"""A flow's `graphData` (a Cytoscape.js document, as DaVinci exports it) read into what the engine
walks: CONNECTION nodes that run a connector capability, EVAL nodes that decide which of their
targets run from how their triggers ended, ANNOTATION nodes (canvas notes, never run), and edges.

An EVAL node's `properties` are keyed by the id of a downstream node, each `{value: <rule>}`; a
target without one uses `allTriggersTrue` (as DaVinci's own state machine does). The entry nodes
are the CONNECTION nodes no edge leads to, except nodeConnector `startNode` nodes, which only a
`goToNode` enters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONNECTION = "CONNECTION"
EVAL = "EVAL"
ANNOTATION = "ANNOTATION"

ALL_TRUE = "allTriggersTrue"
ALL_FALSE = "allTriggersFalse"
ANY_TRUE = "anyTriggersTrue"
ANY_FALSE = "anyTriggersFalse"
ALL_COMPLETE = "allTriggersComplete"
RULES = frozenset({ALL_TRUE, ALL_FALSE, ANY_TRUE, ANY_FALSE, ALL_COMPLETE})


class GraphError(ValueError):
    """graphData that cannot be run; the message says why."""


@dataclass(frozen=True)
class Node:
    id: str
    node_type: str
    connector_id: str | None = None
    capability_name: str | None = None
    connection_id: str | None = None
    label: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def is_annotation(self) -> bool:
        return self.node_type == ANNOTATION or self.connector_id == "annotationConnector"

    def property_value(self, name: str) -> Any:
        """The raw (unresolved) value of a property: `{value: ...}` unwrapped."""
        entry = self.properties.get(name)
        if isinstance(entry, dict):
            return entry.get("value")
        return entry

    def rule_for(self, target_id: str) -> str:
        """An EVAL node's rule for one of its targets."""
        rule = self.property_value(target_id)
        return rule if isinstance(rule, str) and rule in RULES else ALL_TRUE


@dataclass
class Graph:
    nodes: dict[str, Node]
    order: list[str]  # node ids in document order
    successors: dict[str, list[str]]
    predecessors: dict[str, list[str]]

    def entry_nodes(self) -> list[str]:
        return [
            node_id
            for node_id in self.order
            if self.nodes[node_id].node_type == CONNECTION
            and not self.nodes[node_id].is_annotation
            and not self.predecessors.get(node_id)
            and not (
                self.nodes[node_id].connector_id == "nodeConnector"
                and self.nodes[node_id].capability_name == "startNode"
            )
        ]

    def triggers_of(self, eval_id: str) -> list[str]:
        return [source for source in self.predecessors.get(eval_id, []) if source in self.nodes]


def parse_graph(graph_data: Any) -> Graph:
    if not isinstance(graph_data, dict):
        raise GraphError("graphData must be an object.")
    elements = graph_data.get("elements") or {}
    if not isinstance(elements, dict):
        raise GraphError("graphData.elements must be an object.")
    nodes: dict[str, Node] = {}
    order: list[str] = []
    for raw in elements.get("nodes") or []:
        node = _node(raw)
        if node.id in nodes:
            raise GraphError(f"The node id {node.id!r} is used twice.")
        nodes[node.id] = node
        order.append(node.id)
    successors: dict[str, list[str]] = {}
    predecessors: dict[str, list[str]] = {}
    for raw in elements.get("edges") or []:
        data = raw.get("data") if isinstance(raw, dict) else None
        if not isinstance(data, dict):
            raise GraphError("Every edge needs data.")
        source, target = data.get("source"), data.get("target")
        if source not in nodes or target not in nodes:
            raise GraphError(f"The edge {data.get('id')!r} joins nodes that do not exist.")
        if nodes[source].is_annotation or nodes[target].is_annotation:
            continue
        successors.setdefault(source, []).append(target)
        predecessors.setdefault(target, []).append(source)
    return Graph(nodes, order, successors, predecessors)


def _node(raw: Any) -> Node:
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise GraphError("Every node needs data with an id.")
    node_type = data.get("nodeType")
    if node_type not in (CONNECTION, EVAL, ANNOTATION):
        raise GraphError(f"The node {data['id']!r} has an unknown nodeType {node_type!r}.")
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        raise GraphError(f"The properties of node {data['id']!r} must be an object.")
    return Node(
        id=data["id"],
        node_type=node_type,
        connector_id=_text(data.get("connectorId")),
        capability_name=_text(data.get("capabilityName")),
        connection_id=_text(data.get("connectionId")),
        label=_text(data.get("label")) or _text(data.get("name")),
        properties=properties,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
