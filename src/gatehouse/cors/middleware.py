"""The CORS answers of the endpoints in cors.rules, as an ASGI middleware in front of the routes.

- A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here: 204 with
  the endpoint's methods and headers when the origin is allowed, 204 without any CORS header when
  it is not (the browser then blocks the request; nothing is said about why). A preflight has no
  body, credentials or header values, so the application is read from the query or the path
  (authorize's client_id, resume's flowId, /flows/{flowId}, signoff's client_id or
  id_token_hint); where it cannot be (token, revoke, introspect, DaVinci continue), the origin
  must be allowed by some application of the environment, and the actual request decides again.
- Any other request goes to the routes unchanged; its answer gets `Vary: Origin`, and the CORS
  headers when its origin is allowed for the application the request names. That includes the
  500 of an unexpected error, answered here for an allowed origin (Starlette's outermost error
  middleware would answer without the headers, and the page could not read why it failed).

Allowed origins are echoed (never `*` with credentials) with `Access-Control-Allow-Credentials:
true`, except on the public endpoints (discovery, JWKS, the management API), which answer `*`
without credentials.
"""

from __future__ import annotations

import re
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gatehouse.applications.models import Application
from gatehouse.cors import rules
from gatehouse.cors.rules import Access, Endpoint, Naming
from gatehouse.davinci.runtime.models import DavinciInteraction
from gatehouse.flows.models import Flow
from gatehouse.oauth.clients import find_application, presented_credentials
from gatehouse.oauth.errors import OAuthError
from gatehouse.oauth.tokens import verify_signature
from gatehouse.runtime import Runtime

MAX_FORM_BYTES = 65536
FORM = "application/x-www-form-urlencoded"


ErrorRenderer = Callable[[Request, Exception], Awaitable[Response]]


class CorsMiddleware:
    def __init__(self, app: ASGIApp, on_unexpected_error: ErrorRenderer) -> None:
        self.app = app
        self.on_unexpected_error = on_unexpected_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = rules.endpoint_for(scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        endpoint, match = found
        headers = Headers(scope=scope)
        origin_header = headers.get("origin")
        if not origin_header:  # not a CORS request: only Vary: Origin to add
            await self.app(scope, receive, with_cors(send, endpoint, None))
            return
        origin = rules.parse_origin(origin_header)
        request = CorsRequest(scope["app"].state.runtime, endpoint, match, scope, headers)
        if scope["method"] == "OPTIONS" and _asks_preflight(headers):
            allowed = origin is not None and await request.allows(origin, preflight=True)
            await preflight_response(endpoint, origin_header if allowed else None)(
                scope, receive, send
            )
            return
        if origin is not None and endpoint.naming in rules.FORM_NAMINGS:
            receive, request.form = await buffered_form(scope, receive, headers)
        allowed = origin is not None and await request.allows(origin, preflight=False)
        if not allowed:
            await self.app(scope, receive, with_cors(send, endpoint, None))
            return
        await self._answering_unexpected_errors(
            scope, receive, with_cors(send, endpoint, origin_header)
        )

    async def _answering_unexpected_errors(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:
                raise
            response = await self.on_unexpected_error(Request(scope), error)
            await response(scope, receive, send)


class CorsRequest:
    """A request to one of the endpoints, and the application it names."""

    def __init__(
        self,
        runtime: Runtime,
        endpoint: Endpoint,
        match: re.Match[str],
        scope: Scope,
        headers: Headers,
    ) -> None:
        self.runtime = runtime
        self.endpoint = endpoint
        self.match = match
        self.query = QueryParams(scope.get("query_string", b""))
        self.headers = headers
        self.form: dict[str, str] = {}

    async def allows(self, origin: rules.Origin, *, preflight: bool) -> bool:
        if self.endpoint.access is not Access.APPLICATION:
            return True
        environment_id = _uuid(self.match["env"])
        if environment_id is None:
            return False
        async with self.runtime.sessions() as session:
            named, config = await self._application(session, environment_id, preflight=preflight)
            legacy_any = self.endpoint.legacy_any
            if config is not None:
                return rules.application_allows(config, origin, legacy_any=legacy_any)
            if named or not preflight:
                return False
            configs = await session.scalars(
                sa.select(Application.config).where(Application.environment_id == environment_id)
            )
            return rules.any_application_allows(configs, origin, legacy_any=legacy_any)

    async def _application(
        self, session: AsyncSession, environment_id: uuid.UUID, *, preflight: bool
    ) -> tuple[bool, Mapping[str, Any] | None]:
        """(whether the request names an application, that application's settings or None)."""
        naming = self.endpoint.naming
        if preflight and naming not in rules.PREFLIGHT_NAMINGS:
            return False, None
        client_id: str | None = None
        match naming:
            case Naming.CLIENT_ID:
                client_id = self.query.get("client_id") or self.form.get("client_id")
            case Naming.CLIENT_CREDENTIALS:
                client_id = _authenticating_client(self.headers.get("authorization"), self.form)
            case Naming.SIGNOFF:
                client_id = await _signing_off_client(session, environment_id, self.query)
            case Naming.FLOW_QUERY | Naming.FLOW_PATH:
                in_path = naming is Naming.FLOW_PATH
                flow_id = self.match["flow"] if in_path else self.query.get("flowId")
                return True, await _flow_application(session, environment_id, flow_id)
            case Naming.INTERACTION:
                interaction_id = self.headers.get("interactionid")
                return True, await _interaction_application(session, environment_id, interaction_id)
        if client_id is None:
            return False, None
        application = await find_application(session, environment_id, client_id)
        return True, application.config if application is not None else None


def _asks_preflight(headers: Headers) -> bool:
    return "access-control-request-method" in headers


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def _authenticating_client(authorization: str | None, form: Mapping[str, str]) -> str | None:
    try:
        return presented_credentials(authorization, form).client_id
    except OAuthError:
        return None


async def _signing_off_client(
    session: AsyncSession, environment_id: uuid.UUID, query: QueryParams
) -> str | None:
    """client_id, else the first audience of an id_token_hint this environment signed."""
    if query.get("client_id"):
        return query["client_id"]
    hint = query.get("id_token_hint")
    verified = await verify_signature(session, hint) if hint else None
    if verified is None or verified[0] != environment_id:
        return None
    audiences = verified[1].get("aud")
    audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
    first = next(iter(audiences), None)
    return first if isinstance(first, str) else None


async def _flow_application(
    session: AsyncSession, environment_id: uuid.UUID, flow_id: str | None
) -> Mapping[str, Any] | None:
    flow_uuid = _uuid(flow_id)
    if flow_uuid is None:
        return None
    return await session.scalar(
        sa.select(Application.config)
        .join(Flow, Flow.application_id == Application.id)
        .where(Flow.id == flow_uuid, Flow.environment_id == environment_id)
    )


async def _interaction_application(
    session: AsyncSession, environment_id: uuid.UUID, interaction_id: str | None
) -> Mapping[str, Any] | None:
    interaction_uuid = _uuid(interaction_id)
    if interaction_uuid is None:
        return None
    return await session.scalar(
        sa.select(Application.config)
        .join(DavinciInteraction, DavinciInteraction.application_id == Application.id)
        .where(
            DavinciInteraction.id == interaction_uuid,
            DavinciInteraction.environment_id == environment_id,
        )
    )


async def buffered_form(
    scope: Scope, receive: Receive, headers: Headers
) -> tuple[Receive, dict[str, str]]:
    """The form of a POST (read up to MAX_FORM_BYTES), and a receive that hands the route the
    same body."""
    content_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    if scope["method"] != "POST" or content_type != FORM:
        return receive, {}
    messages: deque[Message] = deque()
    body, more = b"", True
    while more and len(body) <= MAX_FORM_BYTES:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)

    async def replay() -> Message:
        return messages.popleft() if messages else await receive()

    if more:
        return replay, {}
    pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return replay, form


def cors_headers(endpoint: Endpoint, origin: str) -> dict[str, str]:
    if endpoint.access is Access.PUBLIC:
        return {"Access-Control-Allow-Origin": "*"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}


def preflight_response(endpoint: Endpoint, origin: str | None) -> Response:
    response = Response(status_code=204)
    response.headers.add_vary_header("Origin")
    if origin is not None:
        response.headers.update(
            {
                **cors_headers(endpoint, origin),
                "Access-Control-Allow-Methods": endpoint.allow_methods,
                "Access-Control-Allow-Headers": rules.ALLOWED_HEADERS,
                "Access-Control-Max-Age": rules.PREFLIGHT_MAX_AGE,
            }
        )
    return response


def with_cors(send: Send, endpoint: Endpoint, origin: str | None) -> Send:
    """`send`, adding Vary: Origin to the answer and, for an allowed origin, the CORS headers."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.add_vary_header("Origin")
            if origin is not None:
                headers.update(cors_headers(endpoint, origin))
                headers["Access-Control-Expose-Headers"] = rules.EXPOSED_HEADERS
        await send(message)

    return sending
