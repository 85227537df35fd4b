"""The ASGI application: settings, database, routers, and the error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from gatehouse import __version__, housekeeping
from gatehouse.common.bodies import documented_models
from gatehouse.common.errors import Detail, Problem, not_found
from gatehouse.cors.middleware import CorsMiddleware
from gatehouse.flows.routes import router as flows
from gatehouse.oauth.errors import OAuthError, render_oauth_error
from gatehouse.oauth.routes import router as oauth
from gatehouse.oauth.signon_routes import router as signon
from gatehouse.routers import ROUTERS
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings, get_settings

log = logging.getLogger("gatehouse")

# Matched first: the authorization server and the flows API (the hot paths). Routes are tried in
# order, one regular expression each, so after ~150 management routes a token request spent a
# fifth of its time in routing. No management path matches theirs (`/{envId}/as/...`,
# `/{envId}/flows/...`), so each request still reaches the same route.
HOT_ROUTERS = (oauth, signon, flows)


def routers_in_matching_order() -> list[APIRouter]:
    return [*HOT_ROUTERS, *(router for router in ROUTERS if router not in HOT_ROUTERS)]


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = Runtime.from_settings(settings or get_settings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with housekeeping.running(runtime):
            yield
        await runtime.close()

    app = FastAPI(
        title="Gatehouse",
        version=__version__,
        description="A self-hostable identity platform compatible with the PingOne Platform API.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    for router in routers_in_matching_order():
        app.include_router(router)
    app.add_middleware(CorsMiddleware, on_unexpected_error=render_unexpected)
    app.add_exception_handler(Problem, render_problem)
    app.add_exception_handler(OAuthError, render_oauth_error)
    app.add_exception_handler(RequestValidationError, render_validation_error)
    app.add_exception_handler(HTTPException, render_http_exception)
    app.add_exception_handler(ClientDisconnect, render_client_disconnect)
    app.add_exception_handler(Exception, render_unexpected)
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
    return app


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(problem.render(), status_code=problem.status, headers=problem.headers)


async def render_problem(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def render_validation_error(_request: Request, exc: Exception) -> Response:
    """FastAPI's own parameter validation (query and path parameters) in the PingOne shape."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error["loc"][0] == "path" for error in errors):
        return problem_response(not_found())
    details = [
        Detail(
            "INVALID_VALUE", str(error["msg"]), ".".join(str(p) for p in error["loc"][1:]) or None
        )
        for error in errors
    ]
    return problem_response(
        Problem(
            400,
            "INVALID_DATA",
            "The request could not be completed. One or more validation errors were in the request.",
            details,
        )
    )


async def render_http_exception(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return problem_response(not_found("The requested resource was not found."))
    if exc.status_code == 405:
        return problem_response(
            Problem(
                405, "METHOD_NOT_ALLOWED", "The request method is not supported for this resource."
            )
        )
    return problem_response(Problem(exc.status_code, "INVALID_REQUEST", str(exc.detail)))


async def render_client_disconnect(_request: Request, _exc: Exception) -> Response:
    """The client went away while sending its body: nobody reads the answer, nothing is wrong."""
    return Response(status_code=400)


async def render_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(Problem(500, "UNEXPECTED_ERROR", "An unexpected error occurred."))


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in documented_models().items():
        model_schema = model.model_json_schema(
            ref_template="#/components/schemas/{model}", by_alias=True
        )
        for def_name, definition in model_schema.pop("$defs", {}).items():
            components.setdefault(def_name, definition)
        components[name] = model_schema
    app.openapi_schema = schema
    return schema
