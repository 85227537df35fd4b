"""The browser's side of federated sign-on (pingone/05 section 5, pingone/09
EXTERNAL_AUTHENTICATION_REQUIRED):

- GET /{envId}/rp/authenticate?flowId&providerId (PingOne's name; `identityProviderId` is taken
  too): the `authenticate` link of a flow. The provider must be one the flow's current action
  offers; 302 to the provider's authorization endpoint. The `state` sent is `<flowId>.<secret>`: the flow keeps the secret's digest, the nonce
  and the (sealed) PKCE verifier, and the flow is bound to the browser's interaction cookie.
- GET or POST /{envId}/rp/callback/{type} (type lowercased, e.g. openid_connect, facebook): the
  provider's answer, in the query or (Apple's form_post) a form. The state is used up at once (a replayed or unknown state: 400, nothing happens). An error from
  the provider, or a code whose ID token does not verify (signature, iss, aud, exp, nonce), fails
  the flow: nothing is created or linked. Otherwise the user linked to the provider's subject
  signs on, or one is provisioned just in time, or the flow asks for confirmation or account
  linking (flows.actions.linking). The browser
  goes to /as/resume when the flow is COMPLETED, else back to the sign-on page.

OPENID_CONNECT and the social types make the round trip (federation.roundtrip); SAML
providers make theirs through federation.saml.routes (/saml20/sp/acs).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.common.errors import Problem, request_failed
from gatehouse.common.urls import urls_for
from gatehouse.federation import returning, roundtrip, signon
from gatehouse.federation.models import IdentityProvider
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.federation.returning import FAILURE, STATE_KEY
from gatehouse.federation.roundtrip import Identity
from gatehouse.federation.saml import routes as saml_sign_on
from gatehouse.federation.schemas import SamlProvider
from gatehouse.federation.service import provider_secret, provider_settings
from gatehouse.flows import engine
from gatehouse.flows import service as flows
from gatehouse.flows.actions import external
from gatehouse.flows.context import Step
from gatehouse.flows.models import Flow
from gatehouse.oauth.responses import NO_STORE
from gatehouse.oauth.routes import environment_or_404, form_doc
from gatehouse.runtime import Runtime, runtime_of

router = APIRouter(tags=["Federated sign-on"])

MAX_FORM_BYTES = 65_536
BAD_STATE = "The state is unknown, belongs to another sign-on, or was used already."
TEXT = {"type": "string"}
ANSWER_DOC = form_doc(
    ["state"],
    {"state": TEXT, "code": TEXT, "error": TEXT, "error_description": TEXT, "user": TEXT},
)
REDIRECTS = {
    302: {"description": "To the provider (authenticate), or back to the sign-on (callback)"},
    400: {"description": "REQUEST_FAILED: not offered now, or an unknown or used state"},
}


@router.get("/{environment_id}/rp/authenticate", responses=REDIRECTS)
async def authenticate(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    flow = await flows.flow_in_query(session, runtime, environment.id, request)
    step = await engine.load_step(session, runtime, flow)
    query = request.query_params
    provider_id = query.get("providerId") or query.get("identityProviderId") or ""
    provider = (
        await external.offered_provider(step, provider_id)
        if flow.status in returning.WAITING
        else None
    )
    if provider is None:
        raise request_failed("The flow does not offer this identity provider now.")
    settings = provider_settings(provider)
    if isinstance(settings, SamlProvider):
        return await saml_sign_on.authenticate(session, request, step, provider, settings)
    target = roundtrip.upstream_for(provider, runtime.settings.federation_endpoints)
    if target is None:
        raise request_failed(f"Signing on through a {provider.type} provider is not available.")
    secret = secrets.token_urlsafe(32)
    upstream = signon.authorization_request(
        target,
        callback_url(request, runtime, environment.id, provider),
        f"{flow.id}.{secret}",
        login_hint=external.login_hint(step),
        acr_values=external.acr_values(step),
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


@router.post(
    "/{environment_id}/rp/callback/{provider_type}", responses=REDIRECTS, openapi_extra=ANSWER_DOC
)
async def form_post_callback(environment_id: str, provider_type: str, request: Request) -> Response:
    """The provider's answer as a form (response_mode form_post, as Apple sends it)."""
    return await callback(environment_id, provider_type, request)


@router.get("/{environment_id}/rp/callback/{provider_type}", responses=REDIRECTS)
async def callback(environment_id: str, provider_type: str, request: Request) -> Response:
    """Three steps, each in its own unit of work: the state is used up and committed first; the
    upstream calls run with no transaction open (the upstream may be this very server, and SQLite
    has one writer); then the flow is locked again and finished."""
    runtime = runtime_of(request)
    params = await _answer_of(request)
    flow_id, _, secret = (params.get("state") or "").partition(".")
    async with runtime.sessions() as session, session.begin():
        environment = await environment_or_404(session, environment_id)
        step = await _locked_step(session, request, environment.id, flow_id)
        record = returning.take_record(step, secret, returning.WAITING, BAD_STATE)
        position = dict(step.flow.position)
        provider = await external.offered_provider(step, record["provider"])
        flow = step.flow
    if provider is None or provider.type.lower() != provider_type.lower():
        outcome: Identity | str = "The identity provider is no longer offered."
    else:
        outcome = await _upstream(request, runtime, flow, provider, record, params)
    async with runtime.sessions() as session, session.begin():
        step = await _locked_step(session, request, environment.id, flow_id)
        returning.ensure_still_waiting(step, position, returning.WAITING)
        if isinstance(outcome, str):
            step.flow.status = step.fail(FAILURE, outcome)
        else:
            assert provider is not None
            merged = await session.merge(provider, load=True)
            await returning.identity_signed_on(step, merged, outcome.subject, outcome.attributes)
        return await returning.onwards(session, request, step.flow, 302)


async def _answer_of(request: Request) -> dict[str, str]:
    """The provider's answer: the query of a GET, the form of a POST (first value of each)."""
    if request.method != "POST":
        return dict(request.query_params)
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise request_failed("The identity provider's answer is too large.")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise request_failed("The identity provider's answer cannot be read.") from None
    answer: dict[str, str] = {}
    for name, value in pairs:
        answer.setdefault(name, value)
    return answer


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
        )
    except Problem:
        raise request_failed(BAD_STATE) from None
    return await engine.load_step(session, runtime, flow)


async def _upstream(
    request: Request,
    runtime: Runtime,
    flow: Flow,
    provider: IdentityProvider,
    record: dict[str, Any],
    params: Mapping[str, str],
) -> Identity | str:
    """Who the provider signed on, or why not (touches no database)."""
    error = params.get("error")
    if error or not params.get("code"):
        description = params.get("error_description")
        reason = f"{error or 'no_code'}{': ' + description if description else ''}"
        return f"The identity provider {provider.name} did not sign the user on ({reason})."
    upstream = roundtrip.upstream_for(provider, runtime.settings.federation_endpoints)
    assert upstream is not None
    policy = OutboundPolicy.from_settings(runtime.settings)
    verifier = record.get("verifier")
    secret = provider_secret(runtime.sealer, provider)
    try:
        tokens = await signon.exchange_code(
            upstream,
            roundtrip.client_secret(provider, upstream, secret),
            params["code"],
            callback_url(request, runtime, flow.environment_id, provider),
            runtime.sealer.unseal(verifier, context=str(flow.id)) if verifier else None,
            policy,
        )
        posted = _posted_user(params) if provider.type == "APPLE" else None
        return await roundtrip.identify(
            upstream, tokens, record.get("nonce"), secret, policy, posted
        )
    except signon.SignOnError as failure:
        return failure.message


def _posted_user(params: Mapping[str, str]) -> dict[str, Any] | None:
    """The `user` Apple posts on the first sign-on ({name: {firstName, lastName}, email})."""
    try:
        user = json.loads(params.get("user") or "null")
    except (ValueError, RecursionError):
        return None
    return user if isinstance(user, dict) else None


def callback_url(
    request: Request, runtime: Runtime, environment_id: uuid.UUID, provider: IdentityProvider
) -> str:
    """The redirect_uri registered at the provider for this environment."""
    auth_base = urls_for(request, runtime.settings).auth
    return f"{auth_base}/{environment_id}/rp/callback/{provider.type.lower()}"
