"""/{envId}/as/token, jwks, userinfo, introspect, revoke and .well-known/openid-configuration."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.applications.models import Application
from gatehouse.common.errors import not_found
from gatehouse.common.urls import urls_for
from gatehouse.crypto.keys import jwks
from gatehouse.environments.models import Environment
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.oauth import token
from gatehouse.oauth.clients import authenticate_client, presented_credentials
from gatehouse.oauth.discovery import openid_configuration
from gatehouse.oauth.errors import invalid_request, render_oauth_error, unsupported_grant_type
from gatehouse.oauth.introspection import authenticate_introspector, introspect
from gatehouse.oauth.revocation import revoke
from gatehouse.oauth.userinfo import presented_token, userinfo
from gatehouse.runtime import Runtime, runtime_of
from gatehouse.store import config_cache
from gatehouse.store.db import transaction

router = APIRouter(tags=["Authorization server"])

FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

Grant = Callable[
    [AsyncSession, Runtime, Environment, str, Application, Mapping[str, str]],
    Awaitable[dict[str, Any]],
]
GRANTS: dict[str, Grant] = {
    "authorization_code": token.authorization_code,
    "refresh_token": token.refresh_token,
    "client_credentials": token.client_credentials,
}

CLIENT_AUTH = {
    "client_id": {"type": "string"},
    "client_secret": {"type": "string"},
    "client_assertion_type": {"type": "string"},
    "client_assertion": {"type": "string"},
}


def form_doc(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": properties}
    return {"requestBody": {"required": True, "content": {FORM: {"schema": schema}}}}


TOKEN_FORM_DOC = form_doc(
    ["grant_type"],
    {
        "grant_type": {"type": "string", "enum": list(GRANTS)},
        "code": {"type": "string"},
        "redirect_uri": {"type": "string"},
        "code_verifier": {"type": "string"},
        "refresh_token": {"type": "string"},
        "scope": {"type": "string"},
        **CLIENT_AUTH,
    },
)
TOKEN_PARAMETER_DOC = form_doc(
    ["token"],
    {
        "token": {"type": "string"},
        "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
        **CLIENT_AUTH,
    },
)
USERINFO_FORM_DOC = form_doc([], {"access_token": {"type": "string"}})
USERINFO_FORM_DOC["requestBody"]["required"] = False


async def environment_or_404(session: AsyncSession, environment_id: str) -> Environment:
    try:
        environment = await config_cache.environment_of(session, uuid.UUID(environment_id))
    except ValueError:
        environment = None
    if environment is None:
        raise not_found("The environment was not found.")
    return environment


async def read_form(request: Request, *, required: bool = True) -> dict[str, str]:
    """The form body; RFC 6749 3.2: parameters must not repeat. Without `required`, a request
    without a body reads as an empty form."""
    body = await request.body()
    if not body and not required:
        return {}
    if (request.headers.get("content-type") or "").split(";")[0].strip().lower() != FORM:
        raise invalid_request(f"This endpoint takes {FORM}.")
    form: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        if name in form:
            raise invalid_request(f"The parameter {name!r} is repeated.")
        form[name] = value
    return form


UserinfoClaims = Callable[[AsyncSession, Request, Environment, str], Awaitable[dict[str, Any]]]


def add_userinfo_endpoint(router: APIRouter, path: str, claims_of: UserinfoClaims) -> None:
    """GET and POST `path` (OIDC Core 5.3): the claims `claims_of` finds for the access token,
    presented as a bearer token (RFC 6750 2.1) or, in a POST, the access_token form field (2.2).
    The authorization server and DaVinci's OpenID provider both serve one."""

    async def respond(
        environment_id: str, request: Request, session: AsyncSession, form: Mapping[str, str]
    ) -> JSONResponse:
        environment = await environment_or_404(session, environment_id)
        access_token = presented_token(request.headers.get("authorization"), form)
        claims = await claims_of(session, request, environment, access_token)
        return JSONResponse(claims, headers=NO_STORE)

    # The unit of work is opened here rather than by dependency injection (a hot path).
    @router.get(path)
    async def userinfo_get(environment_id: str, request: Request) -> JSONResponse:
        async with transaction(runtime_of(request).sessions) as session:
            return await respond(environment_id, request, session, {})

    @router.post(path, openapi_extra=USERINFO_FORM_DOC)
    async def userinfo_post(environment_id: str, request: Request) -> JSONResponse:
        form = await read_form(request, required=False)
        async with transaction(runtime_of(request).sessions) as session:
            return await respond(environment_id, request, session, form)


def assertion_audiences(issuer: str, endpoint: str) -> set[str]:
    """What a client assertion's aud may name: the issuer, the token endpoint (RFC 7523 3) or
    the endpoint it is sent to."""
    return {issuer, f"{issuer}/token", f"{issuer}/{endpoint}"}


# The token, userinfo and introspection endpoints open their unit of work themselves (commit before
# the response, roll back on any exception, as `db_session` does) without dependency injection.
@router.post("/{environment_id}/as/token", openapi_extra=TOKEN_FORM_DOC)
async def token_endpoint(environment_id: str, request: Request) -> Response:
    async with transaction(runtime_of(request).sessions) as session:
        return await _token(environment_id, request, session)


async def _token(environment_id: str, request: Request, session: AsyncSession) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    form = await read_form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required.")
    issuer = urls_for(request, runtime.settings).issuer(environment.id)
    credentials = presented_credentials(request.headers.get("authorization"), form)
    application = await authenticate_client(
        session,
        runtime.sealer,
        OutboundPolicy.from_settings(runtime.settings),
        environment.id,
        credentials,
        assertion_audiences(issuer, "token"),
    )
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise unsupported_grant_type(grant_type)
    try:
        body = await grant(session, runtime, environment, issuer, application, form)
    except token.RefusedAfterRevoking as refused:
        # Returned, not raised: the unit of work commits the revocations.
        return await render_oauth_error(request, refused.error)
    return JSONResponse(body, headers=NO_STORE)


@router.get("/{environment_id}/as/jwks")
async def jwks_endpoint(environment_id: str, session: AsyncSession = db_session) -> JSONResponse:
    environment = await environment_or_404(session, environment_id)
    return JSONResponse(await jwks(session, environment.id), media_type="application/json")


@router.get("/{environment_id}/as/.well-known/openid-configuration")
async def discovery_endpoint(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> JSONResponse:
    environment = await environment_or_404(session, environment_id)
    issuer = urls_for(request, runtime_of(request).settings).issuer(environment.id)
    return JSONResponse(await openid_configuration(session, environment, issuer))


async def _as_userinfo(
    session: AsyncSession, request: Request, environment: Environment, access_token: str
) -> dict[str, Any]:
    return await userinfo(session, environment, access_token)


add_userinfo_endpoint(router, "/{environment_id}/as/userinfo", _as_userinfo)


@router.post("/{environment_id}/as/introspect", openapi_extra=TOKEN_PARAMETER_DOC)
async def introspection_endpoint(environment_id: str, request: Request) -> JSONResponse:
    async with transaction(runtime_of(request).sessions) as session:
        return await _introspection(environment_id, request, session)


async def _introspection(
    environment_id: str, request: Request, session: AsyncSession
) -> JSONResponse:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    form = await read_form(request)
    issuer = urls_for(request, runtime.settings).issuer(environment.id)
    credentials = presented_credentials(request.headers.get("authorization"), form)
    caller = await authenticate_introspector(
        session,
        runtime.sealer,
        OutboundPolicy.from_settings(runtime.settings),
        environment.id,
        credentials,
        assertion_audiences(issuer, "introspect"),
    )
    if not form.get("token"):
        raise invalid_request("token is required.")
    body = await introspect(
        session, runtime.sealer, environment, caller, form["token"], form.get("token_type_hint")
    )
    return JSONResponse(body, headers=NO_STORE)


@router.post("/{environment_id}/as/revoke", openapi_extra=TOKEN_PARAMETER_DOC)
async def revocation_endpoint(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    form = await read_form(request)
    issuer = urls_for(request, runtime.settings).issuer(environment.id)
    credentials = presented_credentials(request.headers.get("authorization"), form)
    application = await authenticate_client(
        session,
        runtime.sealer,
        OutboundPolicy.from_settings(runtime.settings),
        environment.id,
        credentials,
        assertion_audiences(issuer, "revoke"),
    )
    if not form.get("token"):
        raise invalid_request("token is required.")
    await revoke(
        session,
        runtime.sealer,
        environment,
        application,
        form["token"],
        form.get("token_type_hint"),
    )
    return Response(status_code=200, headers=NO_STORE)
