"""The hosted sign-on page, /{envId}/signon/?flowId=... (pingone/08 section 3, pingone/09 section 1):
server-rendered HTML that drives a sign-on flow through gatehouse.flows.service.

GET shows the page of the flow's status. Each form POSTs back to the same URL with a CSRF token
and an `action` (ui.actions maps it to the flow action's media type and body). A refused action
shows the same page again with the errors next to their fields; an accepted one redirects (303)
to the page of the next status, or, once the flow is COMPLETED, to its resumeUrl, which answers
the application. An unknown, expired or foreign flow is a friendly 404 page.
"""

from __future__ import annotations

import uuid
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.common.bodies import media_type_of
from gatehouse.common.errors import Problem
from gatehouse.common.urls import urls_for
from gatehouse.flows import service as flows
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import COMPLETED
from gatehouse.runtime import Runtime, runtime_of
from gatehouse.ui import csrf, pages
from gatehouse.ui.actions import ACTIONS, Form
from gatehouse.ui.messages import Errors, Message, errors_from

router = APIRouter(tags=["Hosted sign-on"], include_in_schema=False)

FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 65_536
MAX_FORM_FIELDS = 64
STYLESHEET = "/static/ui/signon.css"
WEBAUTHN_SCRIPT = "/static/ui/webauthn.js"
# Never shown again after a refused attempt.
SECRET_FIELDS = frozenset({"password", "newPassword", "currentPassword", "csrf"})
NOTICES = {
    "resendVerification": "We sent a new verification code.",
    "resendRecovery": "If the account can be recovered, we sent a new recovery code.",
}

SECURITY_HEADERS = {
    # Forms may lead to the application's redirect URI (via /as/resume), so no form-action.
    "Content-Security-Policy": (
        "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}

templates = Environment(
    loader=PackageLoader("gatehouse.ui", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
STATIC = {
    "signon.css": (
        resources.files(__package__).joinpath("static", "signon.css").read_bytes(),
        "text/css; charset=utf-8",
    ),
    "webauthn.js": (
        resources.files(__package__).joinpath("static", "webauthn.js").read_bytes(),
        "text/javascript; charset=utf-8",
    ),
}


class BadForm(Exception):
    """A POST that is not a well-formed sign-on form: shown on the page, never a stack trace."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@router.get("/{environment_id}/signon/", response_class=HTMLResponse)
async def show_page(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    runtime = runtime_of(request)
    flow = await _flow(session, runtime, request, environment_id)
    if flow is None:
        return _not_found()
    body = await _render_flow(session, runtime, request, flow)
    if body["status"] == COMPLETED:
        return _see_other(body["resumeUrl"])
    view = pages.choose(body, request.query_params.get("view"))
    notice = NOTICES.get(request.query_params.get("notice") or "")
    return _page(request, runtime, body, view, notice=notice)


@router.post("/{environment_id}/signon/", response_class=HTMLResponse)
async def submit_page(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    runtime = runtime_of(request)
    flow = await _flow(session, runtime, request, environment_id)
    if flow is None:
        return _not_found()
    try:
        form = await _read_form(request)
        action_name = _checked_action(runtime, request, flow, form)
    except BadForm as bad:
        body = await _render_flow(session, runtime, request, flow)
        errors = Errors(general=[Message(bad.message)])
        view = pages.choose(body, None)
        return _page(request, runtime, body, view, errors=errors, status=bad.status)

    action = ACTIONS[action_name]
    outcome = await flows.perform_action(
        session, runtime, flow, action.media_type, action.body(form)
    )
    if isinstance(outcome, Problem):
        return await _refused(session, runtime, request, flow, action_name, form, outcome)
    body = await _render_flow(session, runtime, request, outcome)
    if body["status"] == COMPLETED:
        return _see_other(body["resumeUrl"])
    query = {"flowId": str(flow.id)}
    if action_name in NOTICES:
        query["notice"] = action_name
    return _see_other(f"{request.url.path}?{urlencode(query)}")


@router.get("/static/ui/{name}")
async def static_file(name: str) -> Response:
    if name not in STATIC:
        return _not_found()
    content, media_type = STATIC[name]
    return Response(
        content,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# --- the flow --------------------------------------------------------------------------------


async def _flow(
    session: AsyncSession,
    runtime: Runtime,
    request: Request,
    environment_id: str,
) -> Flow | None:
    """The flow in the query for this browser, or None (unknown, expired, another browser's)."""
    try:
        environment = uuid.UUID(environment_id)
        return await flows.flow_in_query(session, runtime, environment, request)
    except (ValueError, Problem):
        return None


async def _render_flow(
    session: AsyncSession, runtime: Runtime, request: Request, flow: Flow
) -> dict[str, Any]:
    return await flows.render_flow(session, runtime, flow, urls_for(request, runtime.settings).auth)


async def _refused(
    session: AsyncSession,
    runtime: Runtime,
    request: Request,
    flow: Flow,
    action_name: str,
    form: Form,
    problem: Problem,
) -> Response:
    """The page the form was on again, with the problem's errors beside their fields."""
    body = await _render_flow(session, runtime, request, flow)
    view = pages.choose(body, pages.ACTION_PAGES.get(action_name))
    policy = (body.get("_embedded") or {}).get("passwordPolicy")
    errors = errors_from(problem.render(), pages.fields_of(view, body), policy)
    values = {name: value for name, value in form.items() if name not in SECRET_FIELDS}
    return _page(request, runtime, body, view, errors=errors, values=values, status=problem.status)


# --- the form ----------------------------------------------------------------------------------


async def _read_form(request: Request) -> Form:
    if media_type_of(request) != FORM:
        raise BadForm(415, "The form could not be read. Please try again.")
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise BadForm(413, "The form is too large.")
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise BadForm(400, "The form could not be read. Please try again.") from None
    form: Form = {}
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise BadForm(400, "The form contains characters that are not allowed.")
        form.setdefault(name, value)
    return form


def _checked_action(runtime: Runtime, request: Request, flow: Flow, form: Form) -> str:
    """The form's action, once its CSRF token proved it came from this browser's page."""
    secret = flows.interaction_secret(request) or ""
    if not csrf.valid(runtime.sealer, form.get("csrf"), str(flow.id), secret):
        raise BadForm(403, "This page expired. Please try again.")
    action = form.get("action", "")
    if action not in ACTIONS:
        raise BadForm(400, "This action is not available. Please try again.")
    return action


# --- responses ---------------------------------------------------------------------------------


def _page(
    request: Request,
    runtime: Runtime,
    body: dict[str, Any],
    view: str,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    flow_id = str(body["id"])
    base = request.url.path
    context = pages.context_for(view, body)
    if view == "failed" and errors is None:
        errors = pages.failure_errors(body)
    context.update(
        stylesheet=STYLESHEET,
        webauthn_script=WEBAUTHN_SCRIPT,
        errors=errors or Errors(),
        values={**pages.prefilled(view, body), **(values or {})},
        notice=notice,
        csrf=csrf.token(runtime.sealer, flow_id, flows.interaction_secret(request) or ""),
        page_url=f"{base}?{urlencode({'flowId': flow_id})}",
        register_url=f"{base}?{urlencode({'flowId': flow_id, 'view': 'register'})}",
        forgot_url=f"{base}?{urlencode({'flowId': flow_id, 'view': 'forgot'})}",
    )
    return _html(f"{view}.html", context, status)


def _not_found() -> HTMLResponse:
    context = {
        "application": None,
        "stylesheet": STYLESHEET,
        "errors": Errors(),
        "notice": None,
    }
    return _html("not_found.html", context, 404)


def _html(template: str, context: dict[str, Any], status: int) -> HTMLResponse:
    content = templates.get_template(template).render(context)
    return HTMLResponse(content, status_code=status, headers=SECURITY_HEADERS)


def _see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)
