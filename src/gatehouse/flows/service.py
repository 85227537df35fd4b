"""Sign-on flows (pingone/09): start one for an authorization request, load it for the browser
that started it, perform its actions, render it, and complete it into a session.

Public API (the flows API routes, /as/authorize and /as/resume, and the hosted sign-on pages in
gatehouse.ui call these directly):

- `load_flow(session, runtime, environment_id, flow_id, interaction_secret)`: the flow for this
  browser, its idle time restarted and its row locked for the transaction. An unknown, expired or
  used flow, or one another browser started (its interaction cookie value is
  `interaction_secret`), raises the 404 NOT_FOUND Problem. `flow_in_query(session, runtime,
  environment_id, request)`:
  the same for the flow the request's `flowId` query parameter names and the browser's cookie.
- `resume_failure(flow)`: at a resumeUrl, a FAILED flow's message (the flow is used up), None
  for a COMPLETED one; 400 REQUEST_FAILED for a flow still in progress.
- `perform_action(session, runtime, flow, media_type, body)`: run the action the media type
  selects (`application/vnd.pingidentity.<action>+json`) with `body` (the parsed JSON, or None
  for the bodiless ones). Returns the updated flow, or the Problem to answer with: 415 for a
  media type that names no action, 400 INVALID_REQUEST for one the flow does not offer now,
  400 INVALID_DATA for bad input or refused credentials. It never raises a Problem, and whatever
  a refusal wrote (a counted password failure) stays: commit the unit of work either way.
- `render_flow(session, runtime, flow, auth_base)`: the flows API body (`auth_base` is the public
  base URL of the auth prefix, `urls_for(request, settings).auth`).
- `sign_on_url(auth_base, application, flow)`: where /as/authorize sends the browser.
- Cookies: `INTERACTION_COOKIE`, `SESSION_COOKIE` (names), `interaction_secret(request)` and
  `set_interaction_cookie(response, request, settings, environment_id, secret)`.

And for the authorization server: `reusable_session`, `sign_on_policy`, `start_flow` (and
`start_browser_flow`, bound to the requesting browser), `complete_flow`, `mark_used`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from gatehouse.applications.models import Application
from gatehouse.common import clock
from gatehouse.common.errors import Problem, not_found, request_failed, unsupported_media_type
from gatehouse.directory.models import User
from gatehouse.flows import engine
from gatehouse.flows.actions.common import usable
from gatehouse.flows.context import Step
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import COMPLETED, FAILED, action_of
from gatehouse.oauth.clients import application_of
from gatehouse.oauth.requests import Authentication, AuthorizeRequest
from gatehouse.policies.models import SignOnPolicy
from gatehouse.policies.service import policies_for_application
from gatehouse.runtime import Runtime
from gatehouse.sessions import service as sessions
from gatehouse.sessions.cookies import (
    INTERACTION_COOKIE,
    SESSION_COOKIE,
    interaction_secret,
    set_interaction_cookie,
)
from gatehouse.sessions.models import Session
from gatehouse.store import rows

__all__ = [
    "INTERACTION_COOKIE",
    "SESSION_COOKIE",
    "Completion",
    "complete_flow",
    "flow_in_query",
    "interaction_secret",
    "load_flow",
    "mark_used",
    "perform_action",
    "render_flow",
    "resume_failure",
    "reusable_session",
    "set_interaction_cookie",
    "sign_on_policy",
    "sign_on_url",
    "start_browser_flow",
    "start_flow",
]

FLOW_NOT_FOUND = "The flow was not found, has expired, or belongs to another browser."


@dataclass(frozen=True)
class Completion:
    authentication: Authentication
    session: Session
    secret: str | None  # the session cookie's new value; None: the browser's cookie stays


# --- starting ----------------------------------------------------------------------------------


async def reusable_session(
    db: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    secret: str | None,
    request: AuthorizeRequest,
) -> Session | None:
    """The browser's live session, if the request lets it count (no prompt=login, within
    max_age) and its user may still sign on."""
    row = await sessions.find_session(db, runtime.sealer, environment_id, secret)
    if row is None or "login" in request.prompt:
        return None
    if request.max_age is not None:
        age = (clock.now() - clock.as_utc(row.authenticated_at)).total_seconds()
        if age > request.max_age:
            return None
    user = await rows.get(db, User, row.user_id)
    return row if user is not None and usable(user) else None


async def sign_on_policy(
    db: AsyncSession, environment_id: uuid.UUID, application_id: uuid.UUID, acr_values: list[str]
) -> SignOnPolicy | None:
    """The policy a flow runs: the first candidate (REQUEST_FAILED Problem when acr_values names
    no policy assigned to the application); None when the environment has none at all."""
    policies = await policies_for_application(db, environment_id, application_id, acr_values)
    return policies[0] if policies else None


async def start_flow(
    db: AsyncSession,
    runtime: Runtime,
    *,
    application: Application,
    request: AuthorizeRequest,
    policy: SignOnPolicy,
    browser_session: Session | None,
    remote_ip: str | None,
    interaction: str,
) -> Flow:
    """A new flow, run up to its first question (or to its end: single sign-on), bound to the
    browser whose interaction cookie value is `interaction`. The user is the browser session's,
    else the one the request's login_hint_token named (identified, not yet authenticated)."""
    now = clock.now()
    if browser_session is not None:
        user_id: uuid.UUID | None = browser_session.user_id
    else:
        user_id = uuid.UUID(request.hinted_user_id) if request.hinted_user_id else None
    user = await rows.get(db, User, user_id) if user_id is not None else None
    flow = Flow(
        environment_id=application.environment_id,
        application_id=application.id,
        request=request.to_dict(),
        policies=[{"id": str(policy.id), "name": policy.name}],
        position={},
        state={},
        authenticators={},
        prompted=[],
        user_id=user.id if user is not None else None,
        session_id=browser_session.id if browser_session is not None else None,
        remote_ip=remote_ip,
        interaction_digest=runtime.sealer.digest(interaction),
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.flow_idle_seconds),
    )
    step = Step(db, runtime, flow, list(policy.actions), None, user, browser_session)
    await engine.begin(step)
    db.add(flow)
    await db.flush()
    return flow


async def start_browser_flow(
    db: AsyncSession,
    runtime: Runtime,
    browser: Request,
    *,
    application: Application,
    request: AuthorizeRequest,
    policy: SignOnPolicy,
    browser_session: Session | None,
) -> tuple[Flow, str]:
    """`start_flow` for the browser making the `browser` request: bound to its interaction
    cookie's value, or a new one (returned with the flow: set it with set_interaction_cookie),
    with its IP address."""
    interaction = interaction_secret(browser) or sessions.new_secret()
    flow = await start_flow(
        db,
        runtime,
        application=application,
        request=request,
        policy=policy,
        browser_session=browser_session,
        remote_ip=browser.client.host if browser.client else None,
        interaction=interaction,
    )
    return flow, interaction


# --- the browser's requests --------------------------------------------------------------------


async def load_flow(
    db: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    flow_id: str | uuid.UUID,
    secret: str | None,
) -> Flow:
    """One UPDATE ... RETURNING: it finds the flow (live, this browser's: its interaction digest
    is the secret's), restarts its idle time and locks the row until the transaction ends, so
    concurrent steps of one flow take turns; no row, no write."""
    try:
        parsed = flow_id if isinstance(flow_id, uuid.UUID) else uuid.UUID(flow_id)
    except ValueError:
        raise not_found(FLOW_NOT_FOUND) from None
    if not secret:
        raise not_found(FLOW_NOT_FOUND)
    now = clock.now()
    touched = (
        sa.update(Flow)
        .where(
            Flow.id == parsed,
            Flow.environment_id == environment_id,
            Flow.resumed_at.is_(None),
            Flow.expires_at > now,
            # a keyed digest (crypto/sealing.py): comparing it leaks nothing of the secret
            Flow.interaction_digest == runtime.sealer.digest(secret),
        )
        .values(expires_at=now + timedelta(seconds=runtime.settings.flow_idle_seconds))
        .returning(Flow)
    )
    flow = await db.scalar(
        sa.select(Flow).from_statement(touched).execution_options(populate_existing=True)
    )
    if flow is None:
        raise not_found(FLOW_NOT_FOUND)
    return flow


async def flow_in_query(
    db: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    request: Request,
) -> Flow:
    """`load_flow` for the flow the query's flowId names, bound to the browser's cookie."""
    flow_id = request.query_params.get("flowId") or ""
    secret = interaction_secret(request)
    return await load_flow(db, runtime, environment_id, flow_id, secret)


async def perform_action(
    db: AsyncSession, runtime: Runtime, flow: Flow, media_type: str | None, body: Any
) -> Flow | Problem:
    action = action_of(media_type)
    if action is None:
        return unsupported_media_type(media_type)
    try:
        async with db.begin_nested():
            step = await engine.load_step(db, runtime, flow)
            refusal = await engine.dispatch(step, action, body)
    except Problem as problem:
        await db.refresh(flow)
        return problem
    return refusal or flow


async def render_flow(
    db: AsyncSession, runtime: Runtime, flow: Flow, auth_base: str
) -> dict[str, Any]:
    step = await engine.load_step(db, runtime, flow)
    step.auth_base = auth_base
    application = await application_of(db, flow.environment_id, flow.application_id)
    href = f"{auth_base}/{flow.environment_id}/flows/{flow.id}"
    body: dict[str, Any] = {
        "id": str(flow.id),
        "environment": {"id": str(flow.environment_id)},
        "application": {
            "id": str(flow.application_id),
            "name": application.name if application else None,
        },
        "status": flow.status,
        "resumeUrl": resume_url(auth_base, flow),
        "createdAt": clock.isoformat(flow.created_at),
        "expiresAt": clock.isoformat(flow.expires_at),
        "_links": {
            "self": {"href": href},
            **{action: {"href": href} for action in engine.offered(step)},
        },
    }
    if flow.session_id is not None:
        body["session"] = {"id": str(flow.session_id)}
    if flow.failure:
        body["error"] = dict(flow.failure)
    embedded = {**_user_view(step), **await engine.embedded(step)}
    body["_links"].update(embedded.pop("_links", {}))  # an action's own links (authenticate)
    if embedded:
        body["_embedded"] = embedded
    return body


def resume_url(auth_base: str, flow: Flow) -> str:
    """/as/resume, or /saml20/resume for a flow a SAML AuthnRequest started (saml.routes)."""
    path = "saml20/resume" if flow.request.get("response_mode") == "saml" else "as/resume"
    return f"{auth_base}/{flow.environment_id}/{path}?{urlencode({'flowId': str(flow.id)})}"


def sign_on_url(auth_base: str, application: Application, flow: Flow) -> str:
    """The application's own sign-on page (loginPageUrl, with environmentId and flowId), else the
    hosted one."""
    page = application.config.get("loginPageUrl")
    if page:
        query = urlencode({"environmentId": str(flow.environment_id), "flowId": str(flow.id)})
        return f"{page}{'&' if '?' in page else '?'}{query}"
    return f"{auth_base}/{flow.environment_id}/signon/?{urlencode({'flowId': str(flow.id)})}"


# --- completing --------------------------------------------------------------------------------


async def complete_flow(
    db: AsyncSession, runtime: Runtime, flow: Flow, session_secret: str | None
) -> Completion | None:
    """Use up a COMPLETED flow: the session it signed on to (established or kept) and what it
    established about the user. None when the flow signed on through the browser's session and
    that session is gone."""
    assert flow.status == COMPLETED and flow.user_id is not None
    current = await sessions.find_session(db, runtime.sealer, flow.environment_id, session_secret)
    secret: str | None = None
    if flow.authenticators:
        row, secret = await sessions.establish(
            db,
            runtime.sealer,
            runtime.settings,
            environment_id=flow.environment_id,
            user_id=flow.user_id,
            authenticators=flow.authenticators,
            remote_ip=flow.remote_ip,
            current=current,
        )
    elif current is not None and current.user_id == flow.user_id:
        sessions.touch(current, runtime.settings)
        row = current
    else:
        return None
    mark_used(flow)
    flow.session_id = row.id
    authentication = Authentication(
        user_id=str(flow.user_id),
        session_id=str(row.id),
        auth_time=int(clock.as_utc(row.authenticated_at).timestamp()),
        acr=flow.policies[0]["name"] if flow.policies else None,
        amr=tuple(row.amr),
    )
    return Completion(authentication, row, secret)


def mark_used(flow: Flow) -> None:
    flow.resumed_at = clock.now()


def resume_failure(flow: Flow) -> str | None:
    """Why a flow at its resumeUrl does not sign on: a FAILED flow's message (the flow is used
    up now); None for a COMPLETED flow; any other status is a REQUEST_FAILED Problem."""
    if flow.status == FAILED:
        mark_used(flow)
        return (flow.failure or {}).get("message", "The sign-on failed.")
    if flow.status != COMPLETED:
        raise request_failed(f"The flow is not complete: its status is {flow.status}.")
    return None


def _user_view(step: Step) -> dict[str, Any]:
    """`_embedded.user`: id and username once the flow knows the user, else the username typed
    or hinted (never whether it exists)."""
    if step.user is not None:
        return {"user": {"id": str(step.user.id), "username": step.user.username}}
    username = step.state.get("username") or step.flow.request.get("login_hint")
    return {"user": {"username": username}} if username else {}
