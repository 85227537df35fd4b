"""What an interaction knows between requests, as plain JSON (stored in `davinci_interactions.state`,
so any process of a cluster can resume it on any node).

- `frames`: the flow running and the sub-flows it called (the last one runs). Each has the flow id
  and version (the graph is read again from that version on resume), the parameters it was called
  with, the result of every node that ran (`{success, output, error}`), the queue of nodes still
  to run (`[nodeId, input]`), and the node of the calling frame waiting for it.
- `globals`: `global.*` values fixed at the start (ip, userAgent, origin, policyId, ...).
- `flow_instance` and `user`: the flowInstance and user context variables set by the flow.
- `waiting`: the node the interaction waits on (its id, connection, capability and the screen
  shown), or None.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Frame:
    flow_id: str
    version: int
    parameters: dict[str, Any] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    queue: list[list[Any]] = field(default_factory=list)
    parent_node: str | None = None

    def record(
        self, node_id: str, success: bool, output: dict[str, Any], error: dict[str, Any] | None
    ) -> None:
        self.results[node_id] = {"success": success, "output": output, "error": error}


@dataclass
class InteractionState:
    frames: list[Frame]
    globals: dict[str, Any] = field(default_factory=dict)
    flow_instance: dict[str, Any] = field(default_factory=dict)
    user: dict[str, Any] = field(default_factory=dict)
    waiting: dict[str, Any] | None = None

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InteractionState:
        return cls(
            frames=[Frame(**frame) for frame in data["frames"]],
            globals=dict(data.get("globals") or {}),
            flow_instance=dict(data.get("flow_instance") or {}),
            user=dict(data.get("user") or {}),
            waiting=data.get("waiting"),
        )


def new_state(
    flow_id: str, version: int, parameters: dict[str, Any], globals_: dict[str, Any]
) -> InteractionState:
    return InteractionState(
        frames=[Frame(flow_id=flow_id, version=version, parameters=dict(parameters))],
        globals=dict(globals_),
    )
