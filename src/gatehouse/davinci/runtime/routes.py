"""The DaVinci JSON runtime on the auth host (pingone/10 section 2):

- `POST /{envId}/davinci/connections/{connectionId}/capabilities/{capabilityName}`: continue an
  interaction (headers `interactionId`, `interactionToken`; body `{id, eventName, interactionId,
  parameters: {eventType, data: {actionKey, formData}}}`);
- `POST /{envId}/davinci/policy/{policyId}/start`, and DaVinci's headless form
  `POST {orchestratePath}/company/{envId}/policy/{policyId}/start`: start a flow policy from a
  server (header `X-SK-API-KEY`: the API key of the DaVinci application owning the policy;
  optional JSON body: the flow's input parameters).

Answers are the bodies of `render` (verbose, or concise with `X-Requested-With: ping-sdk`). Every
refusal is a DaVinci error and changes nothing: a missing or wrong token, another interaction's
token, an ended or expired interaction, a node id or capability that is not the waiting one, a
body that is not JSON, too large, or with too many or unacceptable form values.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import db_session
from gatehouse.davinci import lookup
from gatehouse.davinci.connectors.base import Submission
from gatehouse.davinci.runtime import service
from gatehouse.davinci.runtime.responses import browser_of, error_response, respond
from gatehouse.davinci.runtime.service import InteractionError, refusal
from gatehouse.oauth.routes import environment_or_404
from gatehouse.runtime import runtime_of

router = APIRouter(tags=["DaVinci runtime"])

MAX_BODY_BYTES = 65536
MAX_FORM_FIELDS = 100
MAX_KEY_LENGTH = 256
EVENT_TYPES = frozenset({"submit", "action", "polling"})
API_KEY_HEADER = "x-sk-api-key"

CONTINUE_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "eventName": {"type": "string"},
                        "interactionId": {"type": "string"},
                        "parameters": {
                            "type": "object",
                            "properties": {
                                "eventType": {"type": "string", "enum": sorted(EVENT_TYPES)},
                                "data": {
                                    "type": "object",
                                    "properties": {
                                        "actionKey": {"type": "string"},
                                        "formData": {"type": "object"},
                                    },
                                },
                            },
                        },
                    },
                }
            }
        },
    },
    "parameters": [
        {"name": "interactionId", "in": "header", "required": True, "schema": {"type": "string"}},
        {
            "name": "interactionToken",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
        },
    ],
}
START_DOC = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "parameters": [
        {"name": "X-SK-API-KEY", "in": "header", "required": True, "schema": {"type": "string"}}
    ],
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The next screen, or the completed flow."},
    400: {"description": "A DaVinci error."},
    401: {"description": "The interaction or API key was not recognised."},
}


async def _json_body(request: Request, *, required: bool) -> dict[str, Any]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise refusal("requestTooLarge", "The request body is too large.", 413)
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise refusal("requestTooLarge", "The request body is too large.", 413)
    if not raw.strip():
        if required:
            raise refusal("invalidRequest", "The request needs a JSON body.")
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise refusal("invalidRequest", "The request body is not JSON.") from None
    if not isinstance(data, dict):
        raise refusal("invalidRequest", "The request body must be a JSON object.")
    if "\\u0000" in raw.decode("utf-8", "replace"):
        raise refusal("invalidRequest", "The request cannot contain the NUL character.")
    return data


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise refusal("invalidRequest", f"{name} must be an object.")
    return value


def submission_of(body: dict[str, Any]) -> Submission:
    parameters = _object(body.get("parameters"), "parameters")
    event_type = parameters.get("eventType", "submit")
    if event_type not in EVENT_TYPES:
        raise refusal("invalidRequest", "parameters.eventType must be submit, action or polling.")
    data = _object(parameters.get("data"), "parameters.data")
    form = _object(data.get("formData"), "parameters.data.formData")
    if len(form) > MAX_FORM_FIELDS or any(len(str(key)) > MAX_KEY_LENGTH for key in form):
        raise refusal("requestTooLarge", "The form has too many or too long fields.", 413)
    action_key = data.get("actionKey")
    if action_key is not None and (
        not isinstance(action_key, str) or len(action_key) > MAX_KEY_LENGTH
    ):
        raise refusal("invalidRequest", "parameters.data.actionKey must be a short string.")
    return Submission(event_type, action_key, form)


@router.post(
    "/{environment_id}/davinci/connections/{connection_id}/capabilities/{capability_name}",
    responses=RESPONSES,
    openapi_extra=CONTINUE_DOC,
)
async def continue_interaction(
    environment_id: str,
    connection_id: str,
    capability_name: str,
    request: Request,
    session: AsyncSession = db_session,
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    row = None
    try:
        row = await service.load(
            session,
            runtime,
            environment.id,
            request.headers.get("interactionId"),
            request.headers.get("interactionToken"),
        )
        body = await _json_body(request, required=True)
        if body.get("interactionId") not in (None, str(row.id)):
            raise refusal("invalidInteraction", "The body names another interaction.", 401)
        progress = await service.submit(
            session,
            runtime,
            row,
            request.headers["interactionToken"],
            connection_id=connection_id,
            capability_name=capability_name,
            node_id=body.get("id"),
            submission=submission_of(body),
            browser=browser_of(request),
        )
    except InteractionError as error:
        return error_response(row, error.error)
    return await respond(request, session, environment, progress)


@router.post(
    "/{environment_id}/davinci/policy/{policy_id}/start",
    responses=RESPONSES,
    openapi_extra=START_DOC,
)
@router.post(
    "/orchestrate/v1/company/{environment_id}/policy/{policy_id}/start",
    responses=RESPONSES,
    openapi_extra=START_DOC,
)
async def start_policy(
    environment_id: str, policy_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    try:
        api_key = request.headers.get(API_KEY_HEADER) or ""
        if not api_key or not await lookup.api_key_matches(
            session, runtime.sealer, environment.id, policy_id, api_key
        ):
            raise refusal("invalidApiKey", "The API key is missing or wrong.", 401)
        chosen = await lookup.choose_flow(session, environment.id, policy_id)
        if chosen is None:
            raise refusal("invalidPolicy", "The flow policy is disabled or has no flow to run.")
        parameters = await _json_body(request, required=False)
    except InteractionError as error:
        return error_response(None, error.error)
    progress = await service.start(
        session,
        runtime,
        environment.id,
        chosen,
        kind=service.API,
        browser=browser_of(request),
        parameters=parameters,
    )
    return await respond(request, session, environment, progress)
