"""The browser's return from an identity provider, shared by the OpenID Connect and social round
trip (federation.callback_routes) and the SAML one (federation.saml.routes):

- `take_record`: the flow's record of the sign-on it sent the browser on (STATE_KEY), used up;
  the secret the browser brings back must match its digest;
- `ensure_still_waiting`: the flow is where it was when the provider's answer came in;
- `identity_signed_on`: the provider's subject and attributes sign the linked or provisioned
  user on (the action completes), or the flow asks for confirmation or account linking;
- `onwards`: the browser goes to the flow's resumeUrl when it is COMPLETED, else back to the
  application's sign-on page.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gatehouse.applications.models import Application
from gatehouse.common.errors import request_failed
from gatehouse.common.urls import urls_for
from gatehouse.federation.models import IdentityProvider
from gatehouse.flows import engine
from gatehouse.flows import service as flows
from gatehouse.flows.actions import linking
from gatehouse.flows.context import Step
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import (
    ACTION_COMPLETED,
    COMPLETED,
    EXTERNAL_AUTHENTICATION_REQUIRED,
    SIGN_ON_REQUIRED,
    USERNAME_PASSWORD_REQUIRED,
)
from gatehouse.oauth.responses import NO_STORE
from gatehouse.runtime import runtime_of

STATE_KEY = "external"  # flow state: the record of the sign-on at the provider
FAILURE = linking.FAILURE
MOVED_ON = "The flow moved on during the sign-on at the identity provider."
# Where a flow offers identity providers: an IDENTITY_PROVIDER action, a LOGIN action's and an
# IDENTIFIER_FIRST action's socialProviders (and its discovery rules).
WAITING = frozenset(
    {EXTERNAL_AUTHENTICATION_REQUIRED, USERNAME_PASSWORD_REQUIRED, SIGN_ON_REQUIRED}
)


def take_record(step: Step, secret: str, waiting: Set[str], unknown: str) -> dict[str, Any]:
    """The flow's record, removed from the flow (single use); 400 with `unknown` when the flow
    does not wait for the provider or the secret does not match."""
    record = step.flow.state.get(STATE_KEY)
    if (
        step.flow.status not in waiting
        or not isinstance(record, dict)
        or not secret
        or not step.runtime.sealer.matches(secret, record.get("state", ""))
    ):
        raise request_failed(unknown)
    step.flow.state = {key: value for key, value in step.flow.state.items() if key != STATE_KEY}
    return record


def ensure_still_waiting(step: Step, position: dict[str, Any], waiting: Set[str]) -> None:
    if step.flow.position != position or step.flow.status not in waiting:
        raise request_failed(MOVED_ON)


async def identity_signed_on(
    step: Step, provider: IdentityProvider, subject: str, attributes: dict[str, Any]
) -> None:
    status = await linking.identity_received(step, provider, subject, attributes)
    if status == ACTION_COMPLETED:
        await engine.action_completed(step)
    else:
        step.flow.status = status


async def onwards(
    session: AsyncSession, request: Request, flow: Flow, status_code: int
) -> Response:
    auth_base = urls_for(request, runtime_of(request).settings).auth
    if flow.status == COMPLETED:
        location = flows.resume_url(auth_base, flow)
    else:
        application = await session.get(Application, flow.application_id)
        if application is None:
            raise request_failed("The flow's application no longer exists.")
        location = flows.sign_on_url(auth_base, application, flow)
    return RedirectResponse(location, status_code=status_code, headers=NO_STORE)
