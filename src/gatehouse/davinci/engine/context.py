"""What a run of the engine works with besides the interaction state: the database unit of work
and process runtime (for connectors that use Gatehouse's directory or send requests), where flows
and variables come from, the browser's request, and what the run leaves for the HTTP response
(a new session cookie)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.runtime import Runtime


class RunnableGraph(Protocol):
    flow_id: str
    version: int
    graph_data: dict[str, Any]


class FlowSource(Protocol):
    async def load(self, flow_id: str, version: int | None) -> RunnableGraph | None:
        """A flow's graph: that version, or the deployed one when `version` is None."""


class VariableStore(Protocol):
    async def values(self, flow_id: str) -> dict[str, Any]:
        """Company variables, then the flow's (a flow variable wins)."""

    async def set(self, name: str, value: Any, flow_id: str | None) -> bool:
        """Write a mutable company (flow_id None) or flow variable; False when refused."""


@dataclass(frozen=True)
class Browser:
    ip: str | None = None
    user_agent: str | None = None
    origin: str | None = None
    session_secret: str | None = None  # the ST cookie the request carried


@dataclass
class Effects:
    """What connectors did that the HTTP response must carry."""

    session_secret: str | None = None  # a session was established: the new ST cookie value
    session_id: uuid.UUID | None = None


@dataclass
class RunContext:
    environment_id: uuid.UUID
    flows: FlowSource
    variables: VariableStore
    db: AsyncSession | None = None
    runtime: Runtime | None = None
    browser: Browser = field(default_factory=Browser)
    effects: Effects = field(default_factory=Effects)
    http_timeout_seconds: float | None = None

    def database(self) -> tuple[AsyncSession, Runtime]:
        if self.db is None or self.runtime is None:
            raise RuntimeError("This capability needs the database.")
        return self.db, self.runtime
