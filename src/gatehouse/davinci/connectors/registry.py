"""Where the engine finds the implementation of a node's connector capability. Each connector
module registers its capabilities with `capability(connector_id, name)`; the catalog
(`catalog.py`) describes the same set, and a test keeps the two equal."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from gatehouse.davinci.connectors.base import Capability, Run, Submit

MODULES = (
    "http",
    "pingone",
    "authentication",
    "functions",
    "variables",
    "errors",
    "flow",
    "node",
    "annotation",
)

_IMPLEMENTATIONS: dict[tuple[str, str], Capability] = {}
_loaded = False


def capability(
    connector_id: str, name: str, *, submit: Submit | None = None
) -> Callable[[Run], Run]:
    def register(run: Run) -> Run:
        _IMPLEMENTATIONS[(connector_id, name)] = Capability(run, submit)
        return run

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in MODULES:
            importlib.import_module(f"gatehouse.davinci.connectors.{module}")
        _loaded = True


def find(connector_id: str | None, name: str | None) -> Capability | None:
    _load()
    if connector_id is None or name is None:
        return None
    return _IMPLEMENTATIONS.get((connector_id, name))


def implemented() -> set[tuple[str, str]]:
    _load()
    return set(_IMPLEMENTATIONS)
