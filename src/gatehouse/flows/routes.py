"""/{envId}/flows/{flowId}: read a sign-on flow, perform its actions (pingone/09)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.common.bodies import media_type_of, read_json
from gatehouse.common.errors import Problem, unsupported_media_type
from gatehouse.common.urls import urls_for
from gatehouse.flows import service
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import (
    KNOWN_ACTIONS,
    MEDIA_TYPE_PREFIX,
    MEDIA_TYPE_SUFFIX,
    action_of,
)
from gatehouse.oauth.routes import environment_or_404
from gatehouse.runtime import runtime_of

router = APIRouter(tags=["Flows"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
ACTIONS_DOC = {
    "requestBody": {
        "required": False,
        "content": {
            f"{MEDIA_TYPE_PREFIX}{action}{MEDIA_TYPE_SUFFIX}": {"schema": {"type": "object"}}
            for action in sorted(KNOWN_ACTIONS)
        },
    }
}


@router.get("/{environment_id}/flows/{flow_id}")
async def read_flow(
    environment_id: str, flow_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    flow = await service.load_flow(
        session, runtime, environment.id, flow_id, service.interaction_secret(request)
    )
    return await _render(session, request, flow)


@router.post("/{environment_id}/flows/{flow_id}", openapi_extra=ACTIONS_DOC)
async def perform_flow_action(
    environment_id: str, flow_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    """The action is chosen by the Content-Type; a refusal is answered without rolling back what
    it recorded (a counted password failure, a spent code)."""
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    flow = await service.load_flow(
        session,
        runtime,
        environment.id,
        flow_id,
        service.interaction_secret(request),
    )
    media_type = media_type_of(request)
    if action_of(media_type) is None:
        raise unsupported_media_type(media_type)
    outcome = await service.perform_action(session, runtime, flow, media_type, await _body(request))
    if isinstance(outcome, Problem):
        return JSONResponse(outcome.render(), status_code=outcome.status, headers=NO_STORE)
    return await _render(session, request, outcome)


async def _body(request: Request) -> Any:
    """The JSON body, or None when there is none (the bodiless actions)."""
    return await read_json(request) if (await request.body()).strip() else None


async def _render(session: AsyncSession, request: Request, flow: Flow) -> Response:
    runtime = runtime_of(request)
    auth_base = urls_for(request, runtime.settings).auth
    body = await service.render_flow(session, runtime, flow, auth_base)
    return JSONResponse(body, headers=NO_STORE)
