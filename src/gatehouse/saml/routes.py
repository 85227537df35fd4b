"""Gatehouse as a SAML identity provider for its SAML applications (`{{authPath}}/{envId}/saml20`,
saml-bindings-2.0-os 3.4 and 3.5, saml-profiles-2.0-os 4.1):

- GET (HTTP-Redirect) and POST (HTTP-POST) /idp/sso: an SP's AuthnRequest. Its Issuer names the
  application (spEntityId); a signed request is checked against spVerification.certificates, and
  must be signed when spVerification.authnRequestSigned. The browser then signs on through a
  sign-on flow of the application's policy (the same flows, hosted page and session as
  /as/authorize); the flow's resumeUrl is /saml20/resume. ForceAuthn ignores the browser's
  session; IsPassive answers NoPassive when the session does not suffice.
- GET /idp/startsso?spEntityId=&applicationUrl=: IdP-initiated sign-on (no InResponseTo; the
  RelayState is applicationUrl, else defaultTargetUrl).
- GET /resume?flowId=: the completed flow's Response, auto-POSTed to the ACS URL with the
  RelayState (a failed flow's answer is an AuthnFailed Response). It sets the ST cookie.
- GET /metadata/{appId}: the IdP metadata for the application (its signing certificate).
- /idp/slo: single logout (saml.logout_routes, included in this router).

Requests that cannot be answered at an ACS URL (unknown issuer, bad signature, an ACS URL that is
not the application's) get a 400 page: nothing is sent anywhere.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.applications.models import Application
from gatehouse.applications.service import list_mappings
from gatehouse.common.errors import Problem, not_found
from gatehouse.common.urls import urls_for
from gatehouse.directory.models import User
from gatehouse.environments.models import Environment
from gatehouse.flows import service as flows
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import COMPLETED
from gatehouse.oauth.requests import Authentication, AuthorizeRequest
from gatehouse.oauth.responses import NO_STORE, form_post_page
from gatehouse.oauth.routes import environment_or_404
from gatehouse.resources import expressions
from gatehouse.runtime import runtime_of
from gatehouse.saml import idp, inbound, logout_routes, xml
from gatehouse.saml import service as saml
from gatehouse.saml.schemas import NAME_ID_FORMATS
from gatehouse.sessions.cookies import session_secret, set_session_cookie

router = APIRouter(tags=["SAML 2.0 identity provider"])

XML_MEDIA = "application/samlmetadata+xml"
SAML_MODE = "saml"  # the response_mode of a SAML flow's request (flows.service.resume_url)


# --- /idp/sso ------------------------------------------------------------------------------


@router.get("/{environment_id}/saml20/idp/sso")
@router.post("/{environment_id}/saml20/idp/sso", openapi_extra=inbound.FORM_DOC)
async def single_sign_on(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    try:
        application, authn, relay_state = await _read_request(session, request, environment)
    except (inbound.Refused, xml.SamlError) as error:
        return inbound.refused_page(error.message)
    return await _start(session, request, environment, application, authn, relay_state)


async def _read_request(
    session: AsyncSession, request: Request, environment: Environment
) -> tuple[Application, idp.AuthnRequest, str | None]:
    message, params = await inbound.incoming(request)
    application = await inbound.application_of(session, environment.id, idp.request_issuer(message))
    signed = await inbound.check_request_signature(session, request, application, message)
    destination = f"{inbound.entity_id(request, environment.id)}/saml20/idp/sso"
    authn = idp.read_authn_request(
        message, application.config, signed=signed, destination=destination
    )
    return application, authn, params.get("RelayState")


# --- /idp/startsso -----------------------------------------------------------------------


@router.get("/{environment_id}/saml20/idp/startsso")
async def start_single_sign_on(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    try:
        sp_entity_id = inbound.required(dict(request.query_params), "spEntityId")
        application = await inbound.application_of(session, environment.id, sp_entity_id)
    except inbound.Refused as error:
        return inbound.refused_page(error.message)
    authn = idp.AuthnRequest(id="", issuer=sp_entity_id, acs_url=application.config["acsUrls"][0])
    relay_state = request.query_params.get("applicationUrl") or application.config.get(
        "defaultTargetUrl"
    )
    return await _start(session, request, environment, application, authn, relay_state)


# --- the sign-on -------------------------------------------------------------------------


async def _start(
    session: AsyncSession,
    request: Request,
    environment: Environment,
    application: Application,
    authn: idp.AuthnRequest,
    relay_state: str | None,
) -> Response:
    runtime = runtime_of(request)
    contexts = _honoured_contexts(application, authn)
    flow_request = AuthorizeRequest(
        client_id=str(application.id),
        response_type=(),
        response_mode=SAML_MODE,
        redirect_uri=authn.acs_url,
        scope=(),
        state=relay_state,
        prompt=("login",) if authn.force_authn else (),
        acr_values=contexts,
        extra={"saml": {"requestId": authn.id or None, "nameIdFormat": authn.name_id_format}},
    )
    try:
        policy = await flows.sign_on_policy(session, environment.id, application.id, list(contexts))
    except Problem as problem:
        answer = await _error_answer(
            session,
            request,
            application,
            authn.acs_url,
            authn.id,
            relay_state,
            idp.NO_AUTHN_CONTEXT,
            problem.message,
        )
        return _post(authn.acs_url, answer, relay_state)
    if policy is None:
        return inbound.refused_page("No sign-on policy applies to this application.")
    browser_session = await flows.reusable_session(
        session, runtime, environment.id, session_secret(request), flow_request
    )
    flow, interaction = await flows.start_browser_flow(
        session,
        runtime,
        request,
        application=application,
        request=flow_request,
        policy=policy,
        browser_session=browser_session,
    )
    auth_base = urls_for(request, runtime.settings).auth
    if flow.status == COMPLETED:
        response = await _complete(session, request, environment, application, flow)
    elif authn.is_passive:
        flows.mark_used(flow)
        response = await _error(
            session, request, application, flow, idp.NO_PASSIVE, "The user must sign on."
        )
    else:
        response = RedirectResponse(
            flows.sign_on_url(auth_base, application, flow), status_code=302, headers=NO_STORE
        )
    flows.set_interaction_cookie(response, request, runtime.settings, environment.id, interaction)
    return response


def _honoured_contexts(application: Application, authn: idp.AuthnRequest) -> tuple[str, ...]:
    """The requested authentication contexts, as sign-on policy names, when the application
    has enableRequestedAuthnContext (else they are not taken into account)."""
    if not application.config.get("enableRequestedAuthnContext"):
        return ()
    return authn.requested_contexts


@router.get("/{environment_id}/saml20/resume")
async def resume(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    flow = await flows.flow_in_query(session, runtime_of(request), environment.id, request)
    application = await session.get(Application, flow.application_id)
    if application is None or application.protocol != saml.SAML:
        raise not_found(flows.FLOW_NOT_FOUND)
    if not application.enabled:
        return inbound.refused_page("The application is disabled.")
    failure = flows.resume_failure(flow)
    if failure is not None:
        return await _error(session, request, application, flow, idp.AUTHN_FAILED, failure)
    return await _complete(session, request, environment, application, flow)


async def _complete(
    session: AsyncSession,
    request: Request,
    environment: Environment,
    application: Application,
    flow: Flow,
) -> Response:
    runtime = runtime_of(request)
    completion = await flows.complete_flow(session, runtime, flow, session_secret(request))
    if completion is None:
        flows.mark_used(flow)
        return await _error(
            session, request, application, flow, idp.AUTHN_FAILED, "The session ended."
        )
    user = await session.get(User, flow.user_id)
    assert user is not None
    try:
        assertion = await _assertion(
            session, request, environment, application, flow, user, completion.authentication
        )
    except idp.AssertionRefused as refused:
        return await _error(session, request, application, flow, refused.status, refused.message)
    signing = await saml.signing_material(session, runtime.sealer, application)
    message = idp.response(
        assertion,
        signing,
        sign_assertion=bool(application.config.get("assertionSigned", True)),
        sign_response=bool(application.config.get("responseSigned", False)),
    )
    response = _post_to_acs(flow, message)
    if completion.secret is not None:
        set_session_cookie(response, request, runtime.settings, environment.id, completion.secret)
    return response


async def _assertion(
    session: AsyncSession,
    request: Request,
    environment: Environment,
    application: Application,
    flow: Flow,
    user: User,
    authentication: Authentication,
) -> idp.Assertion:
    config = application.config
    saml_request = flow.request.get("extra", {}).get("saml", {})
    name_id_format = idp.name_id_format(
        config.get("nameIdFormat"), saml_request.get("nameIdFormat")
    )
    mappings = await list_mappings(session, application)
    custom = await expressions.custom_attribute_types(session, environment.id)
    subject, attributes = idp.mapped_attributes(mappings, user, custom)
    duration = config.get("sessionNotOnOrAfterDuration")
    return idp.Assertion(
        issuer=inbound.entity_id(request, environment.id),
        audience=config["spEntityId"],
        acs_url=str(flow.request["redirect_uri"]),
        subject=subject,
        name_id_format=name_id_format,
        session_index=str(authentication.session_id),
        authn_instant=datetime.fromtimestamp(authentication.auth_time, UTC),
        lifetime=timedelta(seconds=int(config["assertionDuration"])),
        session_lifetime=timedelta(seconds=int(duration)) if duration else None,
        in_response_to=saml_request.get("requestId"),
        authn_context=idp.authn_context(
            bool(flow.request.get("acr_values")), authentication.acr, authentication.amr
        ),
        attributes=attributes,
    )


async def _error(
    session: AsyncSession,
    request: Request,
    application: Application,
    flow: Flow,
    status: str,
    message: str,
) -> Response:
    saml_request = flow.request.get("extra", {}).get("saml", {})
    acs = str(flow.request["redirect_uri"])
    relay_state = flow.request.get("state")
    answer = await _error_answer(
        session,
        request,
        application,
        acs,
        saml_request.get("requestId"),
        relay_state,
        status,
        message,
    )
    return _post(acs, answer, relay_state)


async def _error_answer(
    session: AsyncSession,
    request: Request,
    application: Application,
    acs: str,
    request_id: str | None,
    relay_state: str | None,
    status: str,
    message: str,
) -> xml.Element:
    signing = await saml.signing_material(session, runtime_of(request).sealer, application)
    issuer = inbound.entity_id(request, application.environment_id)
    return idp.error_response(issuer, acs, request_id or None, status, message, signing)


def _post_to_acs(flow: Flow, message: xml.Element) -> Response:
    return _post(str(flow.request["redirect_uri"]), message, flow.request.get("state"))


def _post(acs: str, message: xml.Element, relay_state: str | None) -> Response:
    params = {"SAMLResponse": xml.post_encode(message)}
    if relay_state is not None:
        params["RelayState"] = str(relay_state)
    return form_post_page(acs, params)


# --- metadata ------------------------------------------------------------------------------


@router.get(
    "/{environment_id}/saml20/metadata/{application_id}",
    responses={200: {"content": {XML_MEDIA: {}}}},
)
async def idp_metadata(
    environment_id: str, application_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    application = await _saml_application(session, environment.id, application_id)
    signing = await saml.signing_material(session, runtime_of(request).sealer, application)
    base = f"{inbound.entity_id(request, environment.id)}/saml20/idp"
    formats = (
        [application.config["nameIdFormat"]]
        if application.config.get("nameIdFormat")
        else list(NAME_ID_FORMATS)
    )
    document = idp.metadata(
        inbound.entity_id(request, environment.id),
        signing.certificate_pem,
        f"{base}/sso",
        f"{base}/slo",
        formats,
        wants_signed_requests=bool(
            (application.config.get("spVerification") or {}).get("authnRequestSigned")
        ),
    )
    return Response(xml.serialize(document), media_type=XML_MEDIA)


async def _saml_application(
    session: AsyncSession, environment_id: uuid.UUID, application_id: str
) -> Application:
    try:
        application = await session.get(Application, uuid.UUID(application_id))
    except ValueError:
        raise not_found() from None
    if (
        application is None
        or application.environment_id != environment_id
        or application.protocol != saml.SAML
    ):
        raise not_found()
    return application


router.include_router(logout_routes.router)
