"""flowConnector (Flow Conductor): call a sub-flow (startUiSubFlow, startSubFlow; the calling node
ends when the sub-flow returns, with its output) and return from one (returnSuccessResponse with
its `returnFields`, returnErrorResponse). `subFlowVersionId` -1 or absent runs the deployed
version."""

from __future__ import annotations

from typing import Any

from gatehouse.davinci.connectors.base import (
    CallFlow,
    NodeCall,
    NodeError,
    Result,
    Return,
    failure,
)
from gatehouse.davinci.connectors.http import named_values
from gatehouse.davinci.connectors.registry import capability

FLOW = "flowConnector"


def _flow_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) and value else None


def _version(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        version = int(value)
    except (TypeError, ValueError):
        return None
    return version if version >= 0 else None


async def _start(call: NodeCall) -> Result:
    flow_id = _flow_id(call.prop("subFlowId"))
    if flow_id is None:
        return failure("invalidProperty", "The node names no sub-flow.")
    return CallFlow(
        flow_id,
        _version(call.prop("subFlowVersionId")),
        named_values(call.prop("subFlowParameters")),
    )


capability(FLOW, "startUiSubFlow")(_start)
capability(FLOW, "startSubFlow")(_start)


@capability(FLOW, "returnSuccessResponse")
async def return_success_response(call: NodeCall) -> Result:
    return Return(True, named_values(call.prop("returnFields")))


@capability(FLOW, "returnErrorResponse")
async def return_error_response(call: NodeCall) -> Result:
    message = call.text("errorMessage", "The sub-flow returned an error.")
    return Return(False, {}, NodeError("subFlowError", message))
