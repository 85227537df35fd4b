"""The hot routers are matched first (app.HOT_ROUTERS); every request still reaches the route it
reached in ROUTERS order."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import compile_path

from gatehouse.app import HOT_ROUTERS
from gatehouse.routers import ROUTERS

pytestmark = pytest.mark.anyio

Route = tuple[str, frozenset[str], str]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
SAMPLE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _app_of(routers: list[APIRouter]) -> FastAPI:
    app = FastAPI()
    for router in routers:
        app.include_router(router)
    return app


def _routes(app: FastAPI) -> list[Route]:
    """Every route the routers give, in matching order, as (path, methods, name)."""
    found: list[Route] = []
    for included in app.router.routes:
        if not hasattr(included, "effective_route_contexts"):
            continue  # FastAPI's own (/openapi.json, /docs)
        for context in included.effective_route_contexts():  # type: ignore[attr-defined]
            route = context.starlette_route or context
            methods = getattr(route, "methods", None) or context.original_route.methods
            found.append((route.path, frozenset(methods or ()), context.original_route.name))
    return found


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SAMPLE_ID, re.sub(r"\{[^}]+:path\}", "a/b", path))


def _selected(routes: list[Route], path: str, method: str) -> tuple[str, ...]:
    """What Starlette picks: the first full match, else the first route matching the path only."""
    partial: tuple[str, ...] = ("NONE",)
    for route_path, methods, name in routes:
        if compile_path(route_path)[0].match(path):
            if not methods or method in methods:
                return ("FULL", route_path, name)
            if partial == ("NONE",):
                partial = ("PARTIAL", route_path, name, *sorted(methods))
    return partial


async def test_hot_routers_come_first_and_change_no_route(app: FastAPI) -> None:
    original, reordered = _routes(_app_of(ROUTERS)), _routes(app)
    assert reordered[0][0] == "/{environment_id}/as/token"
    assert sorted(original) == sorted(reordered)
    paths = {_sample(path) for path, _, _ in original} | {"/v1/as/token", "/v1/flows/x"}
    for path in sorted(paths):
        for method in METHODS:
            assert _selected(original, path, method) == _selected(reordered, path, method), (
                method,
                path,
            )
    included = [
        route.original_router for route in app.router.routes if hasattr(route, "original_router")
    ]
    assert included[: len(HOT_ROUTERS)] == list(HOT_ROUTERS)
