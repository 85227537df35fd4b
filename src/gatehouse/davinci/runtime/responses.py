"""Turning an interaction's progress into the HTTP answer of the JSON runtime (pi.flow and API
starts): the next screen, the DaVinci error, or, once the flow completes, the sign-on (the ST
cookie and, for pi.flow, the authorization response minted by oauth.issuance)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.common.urls import urls_for
from gatehouse.davinci.connectors.base import NodeError
from gatehouse.davinci.engine.context import Browser
from gatehouse.davinci.engine.graph import Node
from gatehouse.davinci.engine.runner import Completed, Failed, Waiting
from gatehouse.davinci.runtime import render, service
from gatehouse.davinci.runtime.models import FAILED, DavinciInteraction
from gatehouse.environments.models import Environment
from gatehouse.oauth.responses import NO_STORE
from gatehouse.runtime import Runtime, runtime_of
from gatehouse.sessions.cookies import session_secret, set_session_cookie


def browser_of(request: Request) -> Browser:
    return Browser(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        origin=request.headers.get("origin"),
        session_secret=session_secret(request),
    )


def is_sdk(request: Request) -> bool:
    return request.headers.get(render.SDK_HEADER, "").lower() == render.SDK_VALUE


def error_response(
    row: DavinciInteraction | None, error: NodeError, node: dict[str, Any] | None = None
) -> JSONResponse:
    status = error.http_status if 400 <= error.http_status <= 599 else 400
    return JSONResponse(render.error_body(row, error, node), status_code=status, headers=NO_STORE)


def node_fields(node: Node | None, flow_id: Any) -> dict[str, Any] | None:
    if node is None:
        return None
    return render.node_of(
        node.connection_id, node.connector_id, node.id, node.capability_name, flow_id
    )


async def respond(
    request: Request,
    db: AsyncSession,
    environment: Environment,
    progress: service.Progress,
) -> Response:
    runtime = runtime_of(request)
    row, outcome = progress.interaction, progress.outcome
    auth_base = urls_for(request, runtime.settings).auth
    flow_id = row.flow_id.hex
    match outcome:
        case Waiting():
            body = render.screen_body(
                row, progress.state, progress.token, auth_base, concise=is_sdk(request)
            )
            response: Response = JSONResponse(body, headers=NO_STORE)
        case Failed(error=error, node=node):
            response = error_response(row, error, node_fields(node, flow_id))
        case Completed():
            response = await _completed(request, db, runtime, environment, progress, outcome)
    if progress.effects.session_secret is not None and "set-cookie" not in response.headers:
        set_session_cookie(
            response, request, runtime.settings, environment.id, progress.effects.session_secret
        )
    return response


async def _completed(
    request: Request,
    db: AsyncSession,
    runtime: Runtime,
    environment: Environment,
    progress: service.Progress,
    outcome: Completed,
) -> Response:
    row = progress.interaction
    node = node_fields(outcome.node, row.flow_id.hex) or {}
    browser = browser_of(request)
    if row.kind == service.API and service.signed_on_user(outcome) is None:
        body = render.success_body(
            row,
            progress.token,
            node,
            session_id=None,
            session_token=None,
            session_max_age=runtime.settings.session_max_seconds,
            authorize_response=None,
            data=outcome.data,
        )
        return JSONResponse(body, headers=NO_STORE)
    if row.kind == service.PI_FLOW:
        issuer = urls_for(request, runtime.settings).issuer(environment.id)
        authorized = await service.authorize_application(
            db, runtime, environment, row, outcome, browser, progress.effects, issuer
        )
        if isinstance(authorized, NodeError):
            return error_response(row, authorized, node)
        session, secret = authorized.session, authorized.secret
        authorize_response = render.authorize_response_json(authorized.params)
    else:
        signed_on = await service.sign_on(db, runtime, row, outcome, browser, progress.effects)
        if signed_on is None:
            row.status = FAILED
            error = NodeError("noUser", "The flow completed without signing a user on.")
            return error_response(row, error, node)
        session, secret, _ = signed_on
        authorize_response = None
    body = render.success_body(
        row,
        progress.token,
        node,
        session_id=session.id,
        session_token=secret,
        session_max_age=runtime.settings.session_max_seconds,
        authorize_response=authorize_response,
    )
    response = JSONResponse(body, headers=NO_STORE)
    if secret is not None:
        set_session_cookie(response, request, runtime.settings, environment.id, secret)
    return response
