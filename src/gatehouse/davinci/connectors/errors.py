"""errorConnector: customErrorMessage ends the flow with the administrator's message."""

from __future__ import annotations

from gatehouse.davinci.connectors.base import Fail, NodeCall, NodeError, Result
from gatehouse.davinci.connectors.registry import capability


@capability("errorConnector", "customErrorMessage")
async def custom_error_message(call: NodeCall) -> Result:
    return Fail(
        NodeError(
            "customErrorMessage",
            call.text("errorMessage", "The flow ended with an error."),
            cause=call.text("errorDescription") or None,
        )
    )
