"""/{envId}/as/token and /{envId}/as/jwks."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse

from gatehouse.access.dependencies import db_session
from gatehouse.common.errors import not_found
from gatehouse.common.urls import urls_for
from gatehouse.crypto.keys import jwks
from gatehouse.environments.models import Environment
from gatehouse.oauth import token
from gatehouse.oauth.clients import authenticate_client, presented_credentials
from gatehouse.oauth.errors import invalid_request, unsupported_grant_type
from gatehouse.runtime import runtime_of

router = APIRouter(tags=["Authorization server"])

FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

TOKEN_FORM_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string"},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                    },
                }
            }
        },
    }
}


async def environment_or_404(session: AsyncSession, environment_id: str) -> Environment:
    try:
        environment = await session.get(Environment, uuid.UUID(environment_id))
    except ValueError:
        environment = None
    if environment is None:
        raise not_found("The environment was not found.")
    return environment


async def read_form(request: Request) -> dict[str, str]:
    """The form body; RFC 6749 3.2: parameters must not repeat."""
    if (request.headers.get("content-type") or "").split(";")[0].strip().lower() != FORM:
        raise invalid_request(f"The token endpoint takes {FORM}.")
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise invalid_request(f"The parameter {name!r} is repeated.")
        form[name] = value
    return form


@router.post("/{environment_id}/as/token", openapi_extra=TOKEN_FORM_DOC)
async def token_endpoint(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> JSONResponse:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    form = await read_form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required.")
    credentials = presented_credentials(request.headers.get("authorization"), form)
    application = await authenticate_client(session, runtime.sealer, environment.id, credentials)
    issuer = urls_for(request, runtime.settings).issuer(environment.id)
    if grant_type == "client_credentials":
        body = await token.client_credentials(
            session, runtime, environment, issuer, application, form
        )
    else:
        raise unsupported_grant_type(grant_type)
    return JSONResponse(body, headers=NO_STORE)


@router.get("/{environment_id}/as/jwks")
async def jwks_endpoint(environment_id: str, session: AsyncSession = db_session) -> JSONResponse:
    environment = await environment_or_404(session, environment_id)
    return JSONResponse(await jwks(session, environment.id), media_type="application/json")
