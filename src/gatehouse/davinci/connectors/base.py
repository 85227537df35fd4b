"""What a capability implementation receives (`NodeCall`) and what it answers.

A capability's `run` answers one of:
- `Done(success, output, error)`: the node ended; its EVAL successors decide what runs next. A
  failure no successor handles ends the flow with the node's error.
- `Pause(screen)`: the node waits for the user; `submit` (required then) turns the submitted form
  into the node's `Done`.
- `Finish(kind, data)`: the flow completed (`success`: a success response; `authenticated`: a
  PingOne sign-on for `data["userId"]`). In a sub-flow, `success` returns to the caller.
- `Fail(error)`: the flow ends with this error (in a sub-flow: the calling node fails with it).
- `CallFlow(flow_id, version, parameters)`: run a sub-flow; its return ends this node.
- `Return(success, output, error)`: a sub-flow returns to its caller.
- `Jump(node_id, output)`: this node ended and the named node runs next, with `output` as input.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from gatehouse.davinci.engine.context import RunContext
from gatehouse.davinci.engine.graph import Node
from gatehouse.davinci.engine.state import InteractionState
from gatehouse.davinci.engine.values import Lookup, as_text, resolve


@dataclass
class NodeError:
    """An error as the DaVinci runtime reports it (`code`, `message`, `cause`, the HTTP status,
    `errorCategory`, whether it is `expected`, and `details`)."""

    code: str
    message: str
    cause: str | None = None
    http_status: int = 400
    category: str = "NotSet"
    expected: bool = True
    details: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "cause": self.cause,
            "httpResponseCode": self.http_status,
            "errorCategory": self.category,
            "expected": self.expected,
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeError:
        return cls(
            code=str(data.get("code")),
            message=str(data.get("message")),
            cause=data.get("cause"),
            http_status=int(data.get("httpResponseCode") or 400),
            category=str(data.get("errorCategory") or "NotSet"),
            expected=bool(data.get("expected", True)),
            details=list(data.get("details") or []),
        )


@dataclass
class Done:
    success: bool
    output: dict[str, Any] = field(default_factory=dict)
    error: NodeError | None = None


@dataclass
class Pause:
    screen: dict[str, Any]


@dataclass
class Finish:
    kind: str  # success | authenticated
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fail:
    error: NodeError


@dataclass
class CallFlow:
    flow_id: str
    version: int | None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class Return:
    success: bool
    output: dict[str, Any] = field(default_factory=dict)
    error: NodeError | None = None


@dataclass
class Jump:
    node_id: str
    output: dict[str, Any] = field(default_factory=dict)


Result = Done | Pause | Finish | Fail | CallFlow | Return | Jump


@dataclass(frozen=True)
class Submission:
    """What the user sent to a waiting node: the button (`actionKey`) and the form values."""

    event_type: str
    action_key: str | None
    form_data: dict[str, Any]


@dataclass
class NodeCall:
    ctx: RunContext
    node: Node
    state: InteractionState
    input: dict[str, Any]
    lookup: Lookup
    flow_id: str

    def prop(self, name: str, default: Any = None) -> Any:
        """The property's value with its references resolved (`default` when unset or empty)."""
        raw = self.node.property_value(name)
        if raw is None:
            return default
        value = resolve(raw, self.lookup)
        return default if value in (None, "") else value

    def text(self, name: str, default: str = "") -> str:
        value = self.prop(name)
        return default if value is None else as_text(value).strip() or default


Run = Callable[[NodeCall], Awaitable[Result]]
Submit = Callable[[NodeCall, Submission], Awaitable[Result]]


@dataclass(frozen=True)
class Capability:
    run: Run
    submit: Submit | None = None


def failure(code: str, message: str, **extra: Any) -> Done:
    return Done(False, {}, NodeError(code, message, **extra))
