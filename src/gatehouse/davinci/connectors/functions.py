"""functionsConnector: comparisons (the node succeeds when the comparison holds, so an EVAL can
branch on it; the output is `{result}`) and common value functions (`{result}`). Operands are
compared as numbers when both read as numbers, else as text."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from typing import Any

from gatehouse.davinci.connectors.base import Done, NodeCall, NodeError, Result
from gatehouse.davinci.connectors.registry import capability
from gatehouse.davinci.engine.values import as_text

FUNCTIONS = "functionsConnector"
MAX_RANDOM_LENGTH = 1024


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _equal(a: Any, b: Any) -> bool:
    left, right = _number(a), _number(b)
    if left is not None and right is not None:
        return left == right
    return as_text(a) == as_text(b)


def _ordered(holds: Callable[[float, float], bool]) -> Callable[[Any, Any], bool | None]:
    def compare(a: Any, b: Any) -> bool | None:
        left, right = _number(a), _number(b)
        if left is None or right is None:
            return None
        return holds(left, right)

    return compare


def _contains(a: Any, b: Any) -> bool:
    if isinstance(a, list):
        return any(_equal(item, b) for item in a)
    return as_text(b) in as_text(a)


def _empty(a: Any) -> bool:
    return a is None or a == "" or a == [] or a == {}


def _outcome(call: NodeCall, result: bool | None) -> Result:
    if result is None:
        return Done(False, {}, NodeError("notANumber", "Both values must be numbers."))
    if result:
        return Done(True, {"result": True})
    message = f"The condition {call.node.capability_name} does not hold."
    return Done(False, {"result": False}, NodeError("conditionNotMet", message))


def _comparison(name: str, compare: Callable[[Any, Any], bool | None]) -> None:
    async def run(call: NodeCall) -> Result:
        return _outcome(call, compare(call.prop("leftValueA"), call.prop("rightValueB")))

    capability(FUNCTIONS, name)(run)


_comparison("AEqualsB", _equal)
_comparison("ANotEqualsB", lambda a, b: not _equal(a, b))
_comparison("AGreaterThanB", _ordered(lambda a, b: a > b))
_comparison("AGreaterThanOrEqualToB", _ordered(lambda a, b: a >= b))
_comparison("ALessThanB", _ordered(lambda a, b: a < b))
_comparison("ALessThanOrEqualToB", _ordered(lambda a, b: a <= b))
_comparison("AContainsB", _contains)


@capability(FUNCTIONS, "AEqualsMultipleB")
async def a_equals_multiple_b(call: NodeCall) -> Result:
    candidates = call.prop("rightValueMultipleB") or []
    if not isinstance(candidates, list):
        candidates = [candidates]
    a = call.prop("leftValueA")
    return _outcome(call, any(_equal(a, candidate) for candidate in candidates))


@capability(FUNCTIONS, "AIsEmpty")
async def a_is_empty(call: NodeCall) -> Result:
    return _outcome(call, _empty(call.prop("leftValueA")))


def _value_function(name: str, apply: Callable[[str], Any]) -> None:
    async def run(call: NodeCall) -> Result:
        return Done(True, {"result": apply(as_text(call.prop("value")))})

    capability(FUNCTIONS, name)(run)


_value_function("toLowerCase", str.lower)
_value_function("toUpperCase", str.upper)
_value_function("trim", str.strip)
_value_function("length", len)


@capability(FUNCTIONS, "concatenate")
async def concatenate(call: NodeCall) -> Result:
    values = call.prop("values") or []
    if not isinstance(values, list):
        values = [values]
    parts = [as_text(v.get("value") if isinstance(v, dict) else v) for v in values]
    return Done(True, {"result": call.text("separator").join(parts) if parts else ""})


@capability(FUNCTIONS, "generateRandomString")
async def generate_random_string(call: NodeCall) -> Result:
    length = _number(call.prop("length", 16))
    if length is None or not 1 <= length <= MAX_RANDOM_LENGTH:
        return Done(False, {}, NodeError("invalidProperty", "length must be 1 to 1024."))
    alphabet = string.ascii_letters + string.digits
    return Done(True, {"result": "".join(secrets.choice(alphabet) for _ in range(int(length)))})
