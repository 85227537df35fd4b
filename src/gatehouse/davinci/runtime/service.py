"""Interactions: start a flow, load an interaction for a continue request, give the waiting node
what the user submitted, and sign the user on when the flow completes. No HTTP types here.

- `start(...)` runs a new interaction up to its first pause (or its end) and returns the
  `Progress`: the interaction row, its token (only its digest is stored) and the engine outcome.
- `load(...)` finds the interaction named by the `interactionId` header and checks the
  `interactionToken` against the stored digest (constant time), its status and its idle expiry;
  each refusal is an `InteractionError` carrying the DaVinci error to answer with.
- `submit(...)` checks that the request is for the node the interaction waits on (node id,
  connection, capability) and resumes the engine. When the flow then fails, the stored state is
  left as it was (the interaction still waits on the same screen, as DaVinci rewinds to the last
  screen), so the client may submit again; a flow that fails before showing any screen ends.
- `sign_on(...)` establishes (or keeps) the browser's session for the user a completed flow
  signed on, and returns what codes and tokens are minted from.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.common import clock
from gatehouse.common.ids import new_id
from gatehouse.davinci import lookup
from gatehouse.davinci.connectors.authentication import methods_of
from gatehouse.davinci.connectors.base import NodeError, Submission
from gatehouse.davinci.engine.context import Browser, Effects, RunContext
from gatehouse.davinci.engine.runner import Completed, Failed, FlowRunner, Outcome, Waiting
from gatehouse.davinci.engine.state import InteractionState, new_state
from gatehouse.davinci.runtime.models import COMPLETED, FAILED, RUNNING, DavinciInteraction
from gatehouse.environments.models import Environment
from gatehouse.oauth import issuance
from gatehouse.oauth.errors import OAuthError
from gatehouse.oauth.requests import Authentication, AuthorizeRequest
from gatehouse.runtime import Runtime
from gatehouse.sessions import service as sessions
from gatehouse.sessions.models import Session

PI_FLOW = "pi.flow"  # /as/authorize with response_mode=pi.flow: JSON screens
AUTHORIZE = "authorize"  # /as/authorize in the other response modes: HTML screens
API = "api"  # /davinci/policy/{id}/start
OIDC = "oidc"  # DaVinci as an OpenID provider: HTML screens


class InteractionError(Exception):
    def __init__(self, error: NodeError) -> None:
        super().__init__(error.message)
        self.error = error


def refusal(code: str, message: str, status: int = 400) -> InteractionError:
    return InteractionError(NodeError(code, message, http_status=status))


@dataclass
class Progress:
    interaction: DavinciInteraction
    token: str
    state: dict[str, Any]  # the interaction's state now (as stored)
    outcome: Outcome
    effects: Effects
    rewound: bool = False  # the flow failed after a screen: the interaction still waits on it


class DatabaseFlows:
    """Sub-flows and resumed flows come from the admin side's saved versions."""

    def __init__(self, db: AsyncSession, environment_id: uuid.UUID) -> None:
        self.db, self.environment_id = db, environment_id

    async def load(self, flow_id: str, version: int | None) -> lookup.RunnableFlow | None:
        if version is None:
            return await lookup.deployed_flow(self.db, self.environment_id, flow_id)
        return await lookup.flow_version(self.db, self.environment_id, flow_id, version)


class DatabaseVariables:
    def __init__(self, db: AsyncSession, runtime: Runtime, environment_id: uuid.UUID) -> None:
        self.db, self.runtime, self.environment_id = db, runtime, environment_id

    async def values(self, flow_id: str) -> dict[str, Any]:
        return await lookup.variable_values(
            self.db, self.runtime.sealer, self.environment_id, flow_id
        )

    async def set(self, name: str, value: Any, flow_id: str | None) -> bool:
        return await lookup.set_variable_value(
            self.db, self.runtime.sealer, self.environment_id, name, value, flow_id
        )


def _context(
    db: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    browser: Browser,
    settings: dict[str, Any],
) -> RunContext:
    timeout = settings.get("flowHttpTimeoutInSeconds") if isinstance(settings, dict) else None
    return RunContext(
        environment_id=environment_id,
        flows=DatabaseFlows(db, environment_id),
        variables=DatabaseVariables(db, runtime, environment_id),
        db=db,
        runtime=runtime,
        browser=browser,
        http_timeout_seconds=float(timeout) if isinstance(timeout, int | float) else None,
    )


def new_token() -> str:
    return secrets.token_hex(32)


async def start(
    db: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    chosen: tuple[lookup.FlowPolicyRef, lookup.RunnableFlow],
    *,
    kind: str,
    browser: Browser,
    application_id: uuid.UUID | None = None,
    request: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> Progress:
    """A new interaction running the flow lookup.choose_flow chose for the policy; `request` is
    what the interaction keeps of the request that started it, `parameters` the flow's input."""
    policy, flow = chosen
    now = clock.now()
    token = new_token()
    row = DavinciInteraction(
        id=new_id(),
        environment_id=environment_id,
        token_digest=runtime.sealer.digest(token),
        kind=kind,
        status=RUNNING,
        flow_id=uuid.UUID(flow.flow_id),
        flow_policy_id=uuid.UUID(policy.id),
        application_id=application_id,
        policy_name=policy.name,
        request=request or {},
        amr=[],
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(seconds=runtime.settings.flow_idle_seconds),
    )
    state = new_state(
        flow.flow_id,
        flow.version,
        parameters or {},
        {
            "ip": browser.ip,
            "userAgent": browser.user_agent,
            "origin": browser.origin,
            "companyId": str(environment_id),
            "environmentId": str(environment_id),
            "flowId": flow.flow_id,
            "policyId": policy.id,
            "policyName": policy.name,
            "interactionId": str(row.id),
        },
    )
    ctx = _context(db, runtime, environment_id, browser, flow.settings)
    outcome = await FlowRunner(ctx).start(state)
    stored = state.to_json()
    row.write_state(runtime.sealer, stored)
    _settle(row, outcome)
    db.add(row)
    await db.flush()
    return Progress(row, token, stored, outcome, ctx.effects)


async def load(
    db: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    interaction_id: str | None,
    token: str | None,
) -> DavinciInteraction:
    if not interaction_id or not token:
        raise refusal(
            "invalidInteraction",
            "The interactionId and interactionToken headers are required.",
            401,
        )
    try:
        parsed = uuid.UUID(interaction_id)
    except ValueError:
        raise refusal("invalidInteraction", "The interaction was not found.", 401) from None
    row = await db.scalar(
        sa.select(DavinciInteraction)
        .where(DavinciInteraction.id == parsed, DavinciInteraction.environment_id == environment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or not runtime.sealer.matches(token, row.token_digest):
        raise refusal(
            "invalidInteraction", "The interaction was not found or the token is wrong.", 401
        )
    if row.status != RUNNING:
        raise refusal("interactionEnded", "The interaction has already ended.")
    if row.expires_at <= clock.now():
        raise refusal("requestTimedOut", "The interaction has expired.")
    return row


async def submit(
    db: AsyncSession,
    runtime: Runtime,
    row: DavinciInteraction,
    token: str,
    *,
    connection_id: str | None,
    capability_name: str | None,
    node_id: Any,
    submission: Submission,
    browser: Browser,
) -> Progress:
    """`connection_id` and `capability_name` come from the continue URL (None: a page of the
    interaction, which can only be for the waiting node)."""
    stored = row.read_state(runtime.sealer)
    state = InteractionState.from_json(stored)
    waiting = state.waiting
    if waiting is None:
        raise refusal("interactionNotWaiting", "The interaction is not waiting for input.")
    if node_id != waiting["nodeId"]:
        raise refusal("invalidNode", "The node id is not the one the interaction waits on.")
    if (capability_name, connection_id) != (None, None) and (
        capability_name != waiting["capabilityName"] or connection_id != waiting["connectionId"]
    ):
        raise refusal(
            "invalidCapability",
            "The connection or capability is not the one the interaction waits on.",
        )
    main = state.frames[0]
    flow = await DatabaseFlows(db, row.environment_id).load(main.flow_id, main.version)
    ctx = _context(db, runtime, row.environment_id, browser, flow.settings if flow else {})
    outcome = await FlowRunner(ctx).submit(state, submission)
    row.expires_at = clock.now() + timedelta(seconds=runtime.settings.flow_idle_seconds)
    if isinstance(outcome, Failed):
        return Progress(row, token, stored, outcome, ctx.effects, rewound=True)
    stored = state.to_json()
    row.write_state(runtime.sealer, stored)
    _settle(row, outcome)
    return Progress(row, token, stored, outcome, ctx.effects)


def _settle(row: DavinciInteraction, outcome: Outcome) -> None:
    if isinstance(outcome, Waiting):
        return
    row.status = COMPLETED if isinstance(outcome, Completed) else FAILED
    row.completed_at = clock.now()


def signed_on_user(outcome: Completed) -> tuple[uuid.UUID, list[str]] | None:
    """The user (and methods) a completed flow signed on: returnSuccessResponseRedirect, or a
    success response carrying a userId."""
    user_id = outcome.data.get("userId")
    try:
        parsed = uuid.UUID(str(user_id))
    except ValueError:
        return None
    return parsed, methods_of(outcome.data.get("authenticationMethods"))


async def sign_on(
    db: AsyncSession,
    runtime: Runtime,
    row: DavinciInteraction,
    outcome: Completed,
    browser: Browser,
    effects: Effects,
) -> tuple[Session, str | None, Authentication] | None:
    """The session the completed flow signs the user on to (a new secret for its cookie, or None
    when setSession already set one this request), and the Authentication for issuance."""
    signed_on = signed_on_user(outcome)
    if signed_on is None:
        return None
    user_id, methods = signed_on
    now = clock.now().isoformat()
    current_secret = effects.session_secret or browser.session_secret
    current = await sessions.find_session(db, runtime.sealer, row.environment_id, current_secret)
    session, secret = await sessions.establish(
        db,
        runtime.sealer,
        runtime.settings,
        environment_id=row.environment_id,
        user_id=user_id,
        authenticators={method: now for method in methods},
        remote_ip=browser.ip,
        current=current,
    )
    row.user_id, row.session_id, row.amr = user_id, session.id, sorted(session.amr)
    authentication = Authentication(
        user_id=str(user_id),
        session_id=str(session.id),
        auth_time=int(clock.as_utc(session.authenticated_at).timestamp()),
        acr=row.policy_name,
        amr=tuple(session.amr),
    )
    return session, secret, authentication


@dataclass(frozen=True)
class Authorized:
    session: Session
    secret: str | None  # the ST cookie's new value
    params: dict[str, str]  # the authorization response parameters (code, tokens, state)


async def authorize_application(
    db: AsyncSession,
    runtime: Runtime,
    environment: Environment,
    row: DavinciInteraction,
    outcome: Completed,
    browser: Browser,
    effects: Effects,
    issuer: str,
) -> Authorized | NodeError:
    """For an interaction /as/authorize started: sign the user on and mint the authorization
    response of the stored request through oauth.issuance; or the error to answer with (the
    interaction then counts as failed)."""
    application = await db.get(Application, row.application_id)
    if application is None or not application.enabled:
        return _completion_error(row, "invalidClient", "The application is gone or disabled.")
    signed_on = await sign_on(db, runtime, row, outcome, browser, effects)
    if signed_on is None:
        return _completion_error(row, "noUser", "The flow completed without signing a user on.")
    session, secret, authentication = signed_on
    try:
        params = await issuance.authorization_response(
            db,
            runtime,
            environment,
            application,
            AuthorizeRequest.from_dict(row.request),
            authentication,
            issuer,
        )
    except OAuthError as error:
        return _completion_error(row, error.error, error.description)
    return Authorized(session, secret, params)


def _completion_error(row: DavinciInteraction, code: str, message: str) -> NodeError:
    row.status = FAILED
    return NodeError(code, message, category="Unexpected", expected=False)
