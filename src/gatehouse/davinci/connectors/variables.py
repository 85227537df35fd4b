"""variablesConnector: save values into variables. Each entry of `saveVariables` /
`saveFlowVariables` is `{name, type, value}`; its label (`"name (type - context)"`, as DaVinci
writes it) names the variable's context, else the capability's: saveValue -> flowInstance,
saveFlowValue -> flow, saveValueUserInfo -> user. company and flow variables are written to the
environment's variables (a variable that does not exist, is not mutable, or refuses the value
fails the node); flowInstance and user ones live in the interaction. The value is converted to the
entry's type first. The node outputs what it saved, by name."""

from __future__ import annotations

import json
import re
from typing import Any

from gatehouse.davinci.connectors.base import Done, NodeCall, NodeError, Result
from gatehouse.davinci.connectors.registry import capability
from gatehouse.davinci.engine.values import as_text

VARIABLES = "variablesConnector"
CONTEXT_IN_LABEL = re.compile(r"\(\s*\w+\s*-\s*(company|flow|flowInstance|user)\s*\)\s*$")
CONTEXTS = frozenset({"company", "flow", "flowInstance", "user"})


class _Unconvertible(ValueError):
    pass


def convert(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    match kind:
        case "number":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
            try:
                number = float(as_text(value).strip())
            except ValueError:
                raise _Unconvertible(f"{value!r} is not a number") from None
            return int(number) if number.is_integer() else number
        case "boolean":
            if isinstance(value, bool):
                return value
            text = as_text(value).strip().lower()
            if text not in ("true", "false"):
                raise _Unconvertible(f"{value!r} is not a boolean")
            return text == "true"
        case "object":
            if isinstance(value, dict | list):
                return value
            try:
                return json.loads(as_text(value))
            except (ValueError, RecursionError):
                raise _Unconvertible(f"{value!r} is not JSON") from None
    return as_text(value)


def _context(entry: dict[str, Any], default: str) -> str:
    found = CONTEXT_IN_LABEL.search(str(entry.get("label") or ""))
    context = found.group(1) if found else entry.get("context")
    return context if context in CONTEXTS else default


async def _save(call: NodeCall, entries: Any, default_context: str) -> Result:
    saved: dict[str, Any] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name = entry["name"]
        try:
            value = convert(entry.get("type"), entry.get("value"))
        except _Unconvertible as error:
            return Done(False, saved, NodeError("invalidValue", f"{name}: {error}."))
        context = _context(entry, default_context)
        if context == "flowInstance":
            call.state.flow_instance[name] = value
        elif context == "user":
            call.state.user[name] = value
        else:
            flow_id = call.flow_id if context == "flow" else None
            if not await call.ctx.variables.set(name, value, flow_id):
                message = f"The {context} variable {name!r} does not exist or refuses the value."
                return Done(False, saved, NodeError("variableNotSaved", message))
        saved[name] = value
    return Done(True, saved)


@capability(VARIABLES, "saveValue")
async def save_value(call: NodeCall) -> Result:
    return await _save(call, call.prop("saveVariables"), "flowInstance")


@capability(VARIABLES, "saveFlowValue")
async def save_flow_value(call: NodeCall) -> Result:
    return await _save(call, call.prop("saveFlowVariables"), "flow")


@capability(VARIABLES, "saveValueUserInfo")
async def save_value_user_info(call: NodeCall) -> Result:
    return await _save(call, call.prop("saveVariables"), "user")
