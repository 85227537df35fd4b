"""nodeConnector: `goToNode` continues at another node of the flow (a `startNode`), which outputs
what the goToNode node passed it (its properties other than the target and titles)."""

from __future__ import annotations

from gatehouse.davinci.connectors.base import Done, Jump, NodeCall, Result, failure
from gatehouse.davinci.connectors.registry import capability

NODE = "nodeConnector"
NOT_PASSED = frozenset({"nodeInstanceId", "nodeTitle", "nodeDescription"})


@capability(NODE, "startNode")
async def start_node(call: NodeCall) -> Result:
    return Done(True, dict(call.input))


@capability(NODE, "goToNode")
async def go_to_node(call: NodeCall) -> Result:
    target = call.text("nodeInstanceId")
    if not target:
        return failure("invalidProperty", "goToNode needs nodeInstanceId.")
    passed = {name: call.prop(name) for name in call.node.properties if name not in NOT_PASSED}
    return Jump(target, passed)
