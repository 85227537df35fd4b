"""The browser's side of federated sign-on (pingone/05 section 5, pingone/09
EXTERNAL_AUTHENTICATION_REQUIRED):

- GET /{envId}/rp/authenticate?flowId&identityProviderId: the `authenticate` link of a flow. The
  provider must be one the flow's current action offers; 302 to the provider's authorization
  endpoint. The `state` sent is `<flowId>.<secret>`: the flow keeps the secret's digest, the nonce
  and the (sealed) PKCE verifier, and the flow is bound to the browser's interaction cookie.
- GET /{envId}/rp/callback/{type} (type lowercased, e.g. openid_connect): the provider's answer.
  The state is used up at once (a replayed or unknown state: 400, nothing happens). An error from
  the provider, or a code whose ID token does not verify (signature, iss, aud, exp, nonce), fails
  the flow: nothing is created or linked. Otherwise the user linked to the provider's subject
  signs on, or one is provisioned just in time (linked_accounts), and the flow goes on. The browser
  goes to /as/resume when the flow is COMPLETED, else back to the sign-on page.

Only OPENID_CONNECT providers make the round trip here; SAML providers make theirs through
federation.saml.routes (/saml20/sp/acs); the other types are refused at authenticate.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.applications.models import Application
from gatehouse.common.errors import Problem, request_failed
from gatehouse.common.urls import urls_for
from gatehouse.federation import provisioning, signon
from gatehouse.federation.models import IdentityProvider
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.federation.saml import routes as saml_sign_on
from gatehouse.federation.schemas import OidcProvider, SamlProvider
from gatehouse.federation.service import provider_secret, provider_settings
from gatehouse.flows import engine
from gatehouse.flows import service as flows
from gatehouse.flows.actions import external
from gatehouse.flows.context import Step
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import (
    COMPLETED,
    EXTERNAL_AUTHENTICATION_REQUIRED,
    USERNAME_PASSWORD_REQUIRED,
)
from gatehouse.oauth.routes import environment_or_404
from gatehouse.runtime import Runtime, runtime_of

router = APIRouter(tags=["Federated sign-on"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
STATE_KEY = "external"
WAITING = frozenset({EXTERNAL_AUTHENTICATION_REQUIRED, USERNAME_PASSWORD_REQUIRED})
FAILURE = "EXTERNAL_AUTHENTICATION_FAILED"
BAD_STATE = "The state is unknown, belongs to another sign-on, or was used already."


@router.get("/{environment_id}/rp/authenticate")
async def authenticate(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    flow = await flows.load_flow(
        session,
        runtime,
        environment.id,
        request.query_params.get("flowId") or "",
        flows.interaction_secret(request),
        for_update=True,
    )
    step = await engine.load_step(session, runtime, flow)
    provider_id = request.query_params.get("identityProviderId") or ""
    provider = (
        await external.offered_provider(step, provider_id) if flow.status in WAITING else None
    )
    if provider is None:
        raise request_failed("The flow does not offer this identity provider now.")
    settings = provider_settings(provider)
    if isinstance(settings, SamlProvider):
        return await saml_sign_on.authenticate(session, request, step, provider, settings)
    if not isinstance(settings, OidcProvider):
        raise request_failed(f"Signing on through a {provider.type} provider is not available.")
    secret = secrets.token_urlsafe(32)
    upstream = signon.authorization_request(
        settings, callback_url(request, runtime, environment.id, provider), f"{flow.id}.{secret}"
    )
    verifier = upstream.code_verifier
    step.keep(
        **{
            STATE_KEY: {
                "provider": str(provider.id),
                "state": runtime.sealer.digest(secret),
                "nonce": upstream.nonce,
                "verifier": runtime.sealer.seal(verifier, context=str(flow.id))
                if verifier
                else None,
            }
        }
    )
    return RedirectResponse(upstream.url, status_code=302, headers=NO_STORE)


@router.get("/{environment_id}/rp/callback/{provider_type}")
async def callback(environment_id: str, provider_type: str, request: Request) -> Response:
    """Three steps, each in its own unit of work: the state is used up and committed first; the
    upstream calls run with no transaction open (the upstream may be this very server, and SQLite
    has one writer); then the flow is locked again and finished."""
    runtime = runtime_of(request)
    flow_id, _, secret = (request.query_params.get("state") or "").partition(".")
    async with runtime.sessions() as session, session.begin():
        environment = await environment_or_404(session, environment_id)
        step = await _locked_step(session, request, environment.id, flow_id)
        record = _take_record(step, secret)
        position = dict(step.flow.position)
        provider = await external.offered_provider(step, record["provider"])
        flow = step.flow
    if provider is None or provider.type.lower() != provider_type.lower():
        outcome: Identity | str = "The identity provider is no longer offered."
    else:
        outcome = await _upstream(request, runtime, flow, provider, record)
    async with runtime.sessions() as session, session.begin():
        step = await _locked_step(session, request, environment.id, flow_id)
        if step.flow.position != position or step.flow.status not in WAITING:
            raise request_failed("The flow moved on during the sign-on at the identity provider.")
        if isinstance(outcome, str):
            step.flow.status = step.fail(FAILURE, outcome)
        else:
            assert provider is not None
            await _signed_on(step, await session.merge(provider, load=True), outcome)
        return await _back_to_sign_on(session, request, step.flow)


@dataclass(frozen=True)
class Identity:
    subject: str
    claims: dict[str, Any]  # the userinfo claims overlaid with the ID token's


async def _locked_step(
    session: AsyncSession, request: Request, environment_id: uuid.UUID, flow_id: str
) -> Step:
    runtime = runtime_of(request)
    try:
        flow = await flows.load_flow(
            session,
            runtime,
            environment_id,
            flow_id,
            flows.interaction_secret(request),
            for_update=True,
        )
    except Problem:
        raise request_failed(BAD_STATE) from None
    return await engine.load_step(session, runtime, flow)


def _take_record(step: Step, secret: str) -> dict[str, Any]:
    """The state's record, removed from the flow (single use); 400 when there is none."""
    record = step.flow.state.get(STATE_KEY)
    sealer = step.runtime.sealer
    if (
        step.flow.status not in WAITING
        or not isinstance(record, dict)
        or not secret
        or not sealer.matches(secret, record.get("state", ""))
    ):
        raise request_failed(BAD_STATE)
    step.flow.state = {key: value for key, value in step.flow.state.items() if key != STATE_KEY}
    return record


async def _upstream(
    request: Request,
    runtime: Runtime,
    flow: Flow,
    provider: IdentityProvider,
    record: dict[str, Any],
) -> Identity | str:
    """Who the provider signed on, or why not (touches no database)."""
    params = request.query_params
    error = params.get("error")
    if error or not params.get("code"):
        description = params.get("error_description")
        reason = f"{error or 'no_code'}{': ' + description if description else ''}"
        return f"The identity provider {provider.name} did not sign the user on ({reason})."
    settings = provider_settings(provider)
    assert isinstance(settings, OidcProvider)
    policy = OutboundPolicy.from_settings(runtime.settings)
    verifier = record.get("verifier")
    try:
        tokens = await signon.exchange_code(
            settings,
            provider_secret(runtime.sealer, provider),
            params["code"],
            callback_url(request, runtime, flow.environment_id, provider),
            runtime.sealer.unseal(verifier, context=str(flow.id)) if verifier else None,
            policy,
        )
        claims = await signon.verify_id_token(tokens["id_token"], settings, record["nonce"], policy)
        userinfo = await signon.fetch_userinfo(
            settings, tokens.get("access_token"), claims["sub"], policy
        )
    except signon.SignOnError as failure:
        return failure.message
    return Identity(claims["sub"], {**userinfo, **claims})


async def _signed_on(step: Step, provider: IdentityProvider, identity: Identity) -> None:
    try:
        user = await provisioning.sign_on_user(
            step.session, step.runtime, provider, identity.subject, identity.claims
        )
    except signon.SignOnError as failure:
        step.flow.status = step.fail(FAILURE, failure.message)
        return
    step.identify(user)
    step.authenticated(external.FEDERATED)
    await engine.action_completed(step)


async def _back_to_sign_on(session: AsyncSession, request: Request, flow: Flow) -> Response:
    runtime = runtime_of(request)
    auth_base = urls_for(request, runtime.settings).auth
    if flow.status == COMPLETED:
        location = flows.resume_url(auth_base, flow)
    else:
        application = await session.get(Application, flow.application_id)
        if application is None:
            raise request_failed("The flow's application no longer exists.")
        location = flows.sign_on_url(auth_base, application, flow)
    return RedirectResponse(location, status_code=302, headers=NO_STORE)


def callback_url(
    request: Request, runtime: Runtime, environment_id: uuid.UUID, provider: IdentityProvider
) -> str:
    """The redirect_uri registered at the provider for this environment."""
    auth_base = urls_for(request, runtime.settings).auth
    return f"{auth_base}/{environment_id}/rp/callback/{provider.type.lower()}"
