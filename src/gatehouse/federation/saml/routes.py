"""The browser's side of signing on through a SAML identity provider (`{{authPath}}/{envId}/
saml20/sp`):

- `authenticate` (called by /rp/authenticate for a SAML provider): the AuthnRequest goes to the
  provider's ssoEndpoint over its ssoBinding (302 for HTTP-Redirect, an auto-POST form for
  HTTP-POST), signed with the spSigning key when authnRequestSigned. The RelayState is
  `<flowId>.<secret>`; the flow keeps the secret's digest and the request's ID.
- POST /acs: the provider's Response (HTTP-POST). The RelayState names the flow and is used up
  at once (an unknown or used one: 400, nothing happens). The Response is read by
  federation.saml.sp (signature against idpVerification.certificates, audience, recipient,
  destination, time window, InResponseTo); an assertion ID seen before is a replay. Any failure
  fails the flow (EXTERNAL_AUTHENTICATION_FAILED) and creates or links nobody. Otherwise the
  linked user signs on, or one is provisioned just in time, with the provider's
  `${samlAssertion.*}` mappings, and the browser goes on (303) to the flow's resumeUrl or the
  sign-on page. The ACS does not need the browser's interaction cookie (the POST comes from the
  provider's site, where SameSite keeps it back): the RelayState's secret proves the flow, and
  the flow still resumes only in the browser that started it.
- GET /metadata/{idpId}: the SP metadata for the provider.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from urllib.parse import parse_qsl

import sqlalchemy as sa
from cryptography import x509
from fastapi import APIRouter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.common import clock
from gatehouse.common.errors import not_found, request_failed
from gatehouse.common.urls import urls_for
from gatehouse.crypto.models import SigningKey
from gatehouse.federation import returning
from gatehouse.federation.models import IdentityProvider
from gatehouse.federation.returning import FAILURE, STATE_KEY
from gatehouse.federation.saml import sp
from gatehouse.federation.saml.models import UsedAssertion
from gatehouse.federation.schemas import SamlProvider
from gatehouse.federation.service import provider_settings
from gatehouse.federation.signon import SignOnError
from gatehouse.flows import engine
from gatehouse.flows.actions import external
from gatehouse.flows.context import Step
from gatehouse.flows.models import Flow
from gatehouse.keys.certificates import load_pem
from gatehouse.keys.models import Certificate
from gatehouse.oauth.responses import NO_STORE, form_post_page
from gatehouse.oauth.routes import FORM, environment_or_404, form_doc
from gatehouse.runtime import Runtime, runtime_of
from gatehouse.saml import xml

router = APIRouter(tags=["SAML 2.0 service provider"])

BAD_RELAY_STATE = "The RelayState is unknown, belongs to another sign-on, or was used already."
XML_MEDIA = "application/samlmetadata+xml"
ACS_DOC = form_doc(
    ["SAMLResponse", "RelayState"],
    {"SAMLResponse": {"type": "string"}, "RelayState": {"type": "string"}},
)


def acs_url(request: Request, runtime: Runtime, environment_id: object) -> str:
    return f"{urls_for(request, runtime.settings).auth}/{environment_id}/saml20/sp/acs"


async def authenticate(
    session: AsyncSession,
    request: Request,
    step: Step,
    provider: IdentityProvider,
    settings: SamlProvider,
) -> Response:
    """Send the browser to the provider with an AuthnRequest for the step's flow."""
    runtime = runtime_of(request)
    flow = step.flow
    secret = secrets.token_urlsafe(32)
    request_id = sp.new_id()
    signing = await _signing(session, runtime, provider, settings)
    relay_state = f"{flow.id}.{secret}"
    acs = acs_url(request, runtime, flow.environment_id)
    step.keep(
        **{
            STATE_KEY: {
                "provider": str(provider.id),
                "state": runtime.sealer.digest(secret),
                "requestId": request_id,
            }
        }
    )
    endpoint = str(settings.sso_endpoint)
    contexts = _acr_values(step)
    if settings.sso_binding == "HTTP_POST":
        message = sp.authn_request(settings, request_id, acs, signing, contexts)
        return form_post_page(
            endpoint, {"SAMLRequest": xml.post_encode(message), "RelayState": relay_state}
        )
    message = sp.authn_request(settings, request_id, acs, None, contexts)
    query = xml.redirect_query(
        "SAMLRequest",
        message,
        relay_state,
        (signing.private_key_pem, signing.algorithm) if signing else None,
    )
    separator = "&" if "?" in endpoint else "?"
    return RedirectResponse(f"{endpoint}{separator}{query}", status_code=302, headers=NO_STORE)


def _acr_values(step: Step) -> list[str]:
    """An IDENTITY_PROVIDER action's acrValues (space-separated), passed on to the provider."""
    if step.action is None or step.action.type != "IDENTITY_PROVIDER":
        return []
    return str(step.config.get("acrValues") or "").split()


async def _signing(
    session: AsyncSession, runtime: Runtime, provider: IdentityProvider, settings: SamlProvider
) -> sp.Signing | None:
    if not settings.authn_request_signed or settings.sp_signing is None:
        return None
    key = await session.get(SigningKey, settings.sp_signing.key.id)
    if key is None or key.environment_id != provider.environment_id:
        raise request_failed("The identity provider's signing key no longer exists.")
    return sp.Signing(
        runtime.sealer.unseal(key.private_key_sealed, context=key.kid),
        key.certificate_pem,
        settings.sp_signing.algorithm or key.signature_algorithm or "SHA256withRSA",
    )


# --- the ACS -------------------------------------------------------------------------------


@router.post("/{environment_id}/saml20/sp/acs", openapi_extra=ACS_DOC)
async def assertion_consumer(environment_id: str, request: Request) -> Response:
    """Two units of work: the RelayState is used up (and committed) first; the Response is read
    with no transaction open; then the flow is locked again and goes on or fails."""
    runtime = runtime_of(request)
    params = await _form(request)
    flow_id, _, secret = (params.get("RelayState") or "").partition(".")
    async with runtime.sessions() as session, session.begin():
        environment = await environment_or_404(session, environment_id)
        step = await _locked_step(session, runtime, environment.id, flow_id)
        record = _take_record(step, secret)
        provider = await external.offered_provider(step, record["provider"])
        expected = (
            await _expected(session, request, runtime, provider, record)
            if provider is not None and provider.type == "SAML"
            else None
        )
        position = dict(step.flow.position)
    outcome: sp.SignedOn | str
    if expected is None:
        outcome = "The identity provider is no longer offered."
    else:
        outcome = _read(params.get("SAMLResponse") or "", expected)
    async with runtime.sessions() as session, session.begin():
        step = await _locked_step(session, runtime, environment.id, flow_id)
        returning.ensure_still_waiting(step, position, returning.WAITING)
        if isinstance(outcome, str):
            step.flow.status = step.fail(FAILURE, outcome)
        else:
            assert provider is not None
            await _signed_on(step, await session.merge(provider, load=True), outcome)
        return await returning.onwards(session, request, step.flow, 303)


async def _form(request: Request) -> dict[str, str]:
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise request_failed(f"The assertion consumer service takes {FORM}.")
    body = await request.body()
    if len(body) > 2 * xml.MAX_MESSAGE_BYTES:
        raise request_failed("The SAML response is too large.")
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def _locked_step(
    session: AsyncSession, runtime: Runtime, environment_id: uuid.UUID, flow_id: str
) -> Step:
    """The flow the RelayState names, locked; not bound to the browser here (see above)."""
    try:
        parsed = uuid.UUID(flow_id)
    except ValueError:
        raise request_failed(BAD_RELAY_STATE) from None
    flow = await session.scalar(
        sa.select(Flow)
        .where(Flow.id == parsed, Flow.environment_id == environment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    now = clock.now()
    if flow is None or flow.resumed_at is not None or flow.expires_at <= now:
        raise request_failed(BAD_RELAY_STATE)
    flow.expires_at = now + timedelta(seconds=runtime.settings.flow_idle_seconds)
    return await engine.load_step(session, runtime, flow)


def _take_record(step: Step, secret: str) -> dict[str, str]:
    record = returning.take_record(step, secret, returning.WAITING, BAD_RELAY_STATE)
    if "requestId" not in record:
        raise request_failed(BAD_RELAY_STATE)
    return record


async def _expected(
    session: AsyncSession,
    request: Request,
    runtime: Runtime,
    provider: IdentityProvider,
    record: dict[str, str],
) -> sp.Expected:
    settings = provider_settings(provider)
    assert isinstance(settings, SamlProvider)
    return sp.Expected(
        idp_entity_id=settings.idp_entity_id,
        sp_entity_id=settings.sp_entity_id,
        acs_url=acs_url(request, runtime, provider.environment_id),
        request_id=record["requestId"],
        certificates=await _certificates(session, provider, settings),
    )


async def _certificates(
    session: AsyncSession, provider: IdentityProvider, settings: SamlProvider
) -> list[x509.Certificate]:
    ids = [ref.id for ref in settings.idp_verification.certificates]
    rows = await session.scalars(
        sa.select(Certificate.certificate_pem).where(
            Certificate.environment_id == provider.environment_id, Certificate.id.in_(ids)
        )
    )
    return [load_pem(pem) for pem in rows]


def _read(encoded: str, expected: sp.Expected) -> sp.SignedOn | str:
    """Who the Response signs on, or why not (touches no database)."""
    try:
        return sp.read_response(xml.post_decode(encoded), expected)
    except xml.SamlError as error:
        return error.message


async def _signed_on(step: Step, provider: IdentityProvider, signed_on: sp.SignedOn) -> None:
    try:
        await _record_use(step.session, provider, signed_on)
    except SignOnError as failure:
        step.flow.status = step.fail(FAILURE, failure.message)
        return
    await returning.identity_signed_on(step, provider, signed_on.subject, signed_on.attributes)


async def _record_use(
    session: AsyncSession, provider: IdentityProvider, signed_on: sp.SignedOn
) -> None:
    """Remember the assertion until it expires; SignOnError when it was used already."""
    await session.execute(sa.delete(UsedAssertion).where(UsedAssertion.expires_at < clock.now()))
    try:
        async with session.begin_nested():
            session.add(
                UsedAssertion(
                    environment_id=provider.environment_id,
                    identity_provider_id=provider.id,
                    assertion_id=signed_on.assertion_id[:256],
                    expires_at=signed_on.expires_at,
                )
            )
            await session.flush()
    except IntegrityError:
        raise SignOnError("The SAML assertion was used already.") from None


# --- metadata ------------------------------------------------------------------------------


@router.get(
    "/{environment_id}/saml20/sp/metadata/{provider_id}",
    responses={200: {"content": {XML_MEDIA: {}}}},
)
async def sp_metadata(
    environment_id: str, provider_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    try:
        provider = await session.get(IdentityProvider, uuid.UUID(provider_id))
    except ValueError:
        raise not_found() from None
    if provider is None or provider.environment_id != environment.id or provider.type != "SAML":
        raise not_found()
    settings = provider_settings(provider)
    assert isinstance(settings, SamlProvider)
    certificate = None
    if settings.sp_signing is not None:
        key = await session.get(SigningKey, settings.sp_signing.key.id)
        certificate = key.certificate_pem if key is not None else None
    acs = acs_url(request, runtime_of(request), environment.id)
    document = sp.metadata(settings, acs, certificate)
    return Response(xml.serialize(document), media_type=XML_MEDIA)
