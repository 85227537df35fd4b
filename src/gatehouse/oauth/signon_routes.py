"""/{envId}/as/authorize (RFC 6749 section 3.1, OIDC Core 3.1.2), /{envId}/as/resume
(pingone/08 section 3) and /{envId}/as/signoff (OpenID Connect RP-Initiated Logout 1.0).

- authorize validates the request (oauth.authorize) and starts a sign-on flow bound to the
  browser: 302 to the sign-on page (200 with the flow JSON for pi.flow). When the browser's session
  already satisfies the policy the flow completes at once and the response goes straight back to
  the client (pi.flow: the COMPLETED flow, to resume). prompt=none never shows a page: it completes
  from the session or answers login_required / interaction_required.
- an application assigned to a DaVinci flow policy (or whose acr_values name one) runs that
  policy's flow instead (gatehouse.davinci.runtime.authorize).
- resume completes a COMPLETED flow: it sets the ST session cookie, issues the response
  (oauth.issuance) and uses the flow up; a FAILED flow answers access_denied to the client.
- signoff ends the browser's session (and its refresh tokens), then goes to a registered
  post_logout_redirect_uri with `state`, or shows a signed-out page. Without the ST cookie it ends
  the session named by the id_token_hint's `sid` only when the client has `idpSignoff`.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.applications.models import Application
from gatehouse.common.errors import Problem, request_failed
from gatehouse.common.urls import urls_for
from gatehouse.davinci.runtime import authorize as davinci_authorize
from gatehouse.environments.models import Environment
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.flows import service as flows
from gatehouse.flows.models import Flow
from gatehouse.flows.statuses import (
    COMPLETED,
    PASSWORD_REQUIRED,
    SIGN_ON_REQUIRED,
    USERNAME_PASSWORD_REQUIRED,
)
from gatehouse.oauth import issuance
from gatehouse.oauth.authorize import (
    PI_FLOW,
    AuthorizationError,
    ResponseTarget,
    ValidatedRequest,
    Verifier,
    single_values,
    validate,
)
from gatehouse.oauth.clients import application_of, find_application
from gatehouse.oauth.errors import OAuthError
from gatehouse.oauth.requests import AuthorizeRequest
from gatehouse.oauth.responses import (
    NO_STORE,
    authorization_response,
    error_response,
    message_page,
    pi_flow_response,
    shown_error,
)
from gatehouse.oauth.routes import environment_or_404
from gatehouse.oauth.tokens import verify_signature
from gatehouse.runtime import Runtime, runtime_of
from gatehouse.sessions import service as sessions
from gatehouse.sessions.cookies import clear_session_cookie, session_secret, set_session_cookie
from gatehouse.sessions.models import Session

router = APIRouter(tags=["Authorization server"])

FORM = "application/x-www-form-urlencoded"
AUTHENTICATION_STATUSES = frozenset(
    {USERNAME_PASSWORD_REQUIRED, SIGN_ON_REQUIRED, PASSWORD_REQUIRED}
)
AUTHORIZE_DOC = {
    "requestBody": {
        "required": False,
        "content": {
            FORM: {"schema": {"type": "object", "additionalProperties": {"type": "string"}}}
        },
    }
}


# --- /as/authorize -------------------------------------------------------------------------------


@router.get("/{environment_id}/as/authorize")
@router.post("/{environment_id}/as/authorize", openapi_extra=AUTHORIZE_DOC)
async def authorize(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    verifier = Verifier(
        runtime.sealer,
        urls_for(request, runtime.settings).issuer(environment.id),
        OutboundPolicy.from_settings(runtime.settings),
    )
    try:
        params = single_values(await _parameters(request))
        validated = await validate(session, environment.id, params, verifier)
    except AuthorizationError as error:
        if error.target is None:
            return shown_error(request, error)
        return error_response(error.target, error.error, error.description)
    davinci = await davinci_authorize.davinci_sign_on(session, request, environment, validated)
    if davinci is not None:
        return davinci
    return await _sign_on(session, request, environment, validated)


async def _parameters(request: Request) -> list[tuple[str, str]]:
    if request.method == "GET":
        return request.query_params.multi_items()
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise AuthorizationError("invalid_request", f"The authorization endpoint takes {FORM}.")
    return parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)


async def _sign_on(
    session: AsyncSession, request: Request, environment: Environment, validated: ValidatedRequest
) -> Response:
    runtime = runtime_of(request)
    application, authorize_request, target = (
        validated.application,
        validated.request,
        validated.target,
    )
    try:
        policy = await flows.sign_on_policy(
            session, environment.id, application.id, list(authorize_request.acr_values)
        )
    except Problem as problem:
        return error_response(target, "invalid_request", problem.message)
    if policy is None:
        return error_response(target, "server_error", "No sign-on policy applies to this client.")
    browser_session = await flows.reusable_session(
        session, runtime, environment.id, session_secret(request), authorize_request
    )
    hinted = authorize_request.hinted_user_id
    if browser_session is not None and hinted and str(browser_session.user_id) != hinted:
        browser_session = None  # the session is another user's than the login_hint_token's
    prompt_none = "none" in authorize_request.prompt
    if prompt_none and browser_session is None:
        return error_response(target, "login_required", "The user is not signed on.")
    flow, interaction = await flows.start_browser_flow(
        session,
        runtime,
        request,
        application=application,
        request=authorize_request,
        policy=policy,
        browser_session=browser_session,
    )
    if prompt_none and flow.status != COMPLETED:
        flows.mark_used(flow)
        if flow.status in AUTHENTICATION_STATUSES:
            return error_response(target, "login_required", "The user must sign on again.")
        return error_response(target, "interaction_required", "The sign-on needs the user.")
    auth_base = urls_for(request, runtime.settings).auth
    if target.response_mode == PI_FLOW:
        response: Response = pi_flow_response(
            await flows.render_flow(session, runtime, flow, auth_base)
        )
    elif flow.status == COMPLETED:
        response = await _complete(session, request, environment, application, flow, target)
    else:
        response = RedirectResponse(
            flows.sign_on_url(auth_base, application, flow), status_code=302, headers=NO_STORE
        )
    flows.set_interaction_cookie(response, request, runtime.settings, environment.id, interaction)
    return response


# --- /as/resume ----------------------------------------------------------------------------------


@router.get("/{environment_id}/as/resume")
async def resume(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    flow = await flows.flow_in_query(session, runtime, environment.id, request)
    application = await application_of(session, environment.id, flow.application_id)
    if application is not None and application.protocol != "OPENID_CONNECT":
        raise request_failed("This flow resumes at its own resumeUrl.")
    if application is None or not application.enabled:
        return shown_error(
            request,
            AuthorizationError(
                "invalid_client", "Unknown or disabled client.", parameter="client_id"
            ),
        )
    target = _target(flow)
    failure = flows.resume_failure(flow)
    if failure is not None:
        return error_response(target, "access_denied", failure)
    return await _complete(session, request, environment, application, flow, target)


def _target(flow: Flow) -> ResponseTarget:
    authorize_request = AuthorizeRequest.from_dict(flow.request)
    return ResponseTarget(
        authorize_request.redirect_uri, authorize_request.response_mode, authorize_request.state
    )


async def _complete(
    session: AsyncSession,
    request: Request,
    environment: Environment,
    application: Application,
    flow: Flow,
    target: ResponseTarget,
) -> Response:
    """Sign the browser on (the flow's session) and send the client its authorization response."""
    runtime = runtime_of(request)
    completion = await flows.complete_flow(session, runtime, flow, session_secret(request))
    if completion is None:
        flows.mark_used(flow)
        return error_response(target, "login_required", "The session ended during the sign-on.")
    urls = urls_for(request, runtime.settings)
    try:
        params = await issuance.authorization_response(
            session,
            runtime,
            environment,
            application,
            AuthorizeRequest.from_dict(flow.request),
            completion.authentication,
            urls.issuer(environment.id),
        )
    except OAuthError as error:
        return error_response(target, error.error, error.description)
    if target.response_mode == PI_FLOW:
        body = await flows.render_flow(session, runtime, flow, urls.auth)
        body["authorizeResponse"] = params
        response = pi_flow_response(body)
    else:
        response = authorization_response(target, params)
    if completion.secret is not None:
        set_session_cookie(response, request, runtime.settings, environment.id, completion.secret)
    return response


# --- /as/signoff ---------------------------------------------------------------------------------


@router.get("/{environment_id}/as/signoff")
async def signoff(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    try:
        params = single_values(request.query_params.multi_items())
        application, claims = await _signing_off_client(
            session, request, runtime, environment, params
        )
        redirect_uri = _post_logout_redirect_uri(
            application, params.get("post_logout_redirect_uri")
        )
    except AuthorizationError as error:
        return shown_error(request, error)
    ended = await sessions.find_session(
        session, runtime.sealer, environment.id, session_secret(request)
    )
    if ended is None and application is not None and application.config.get("idpSignoff"):
        ended = await _hinted_session(session, environment, claims)
    if ended is not None:
        await sessions.revoke(session, ended)
    if redirect_uri is not None:
        state = params.get("state")
        location = redirect_uri
        if state is not None:
            location += ("&" if "?" in redirect_uri else "?") + urlencode({"state": state})
        response: Response = RedirectResponse(location, status_code=302, headers=NO_STORE)
    else:
        response = message_page("Signed out", "You are signed out.")
    clear_session_cookie(response, request, runtime.settings, environment.id)
    return response


async def _signing_off_client(
    session: AsyncSession,
    request: Request,
    runtime: Runtime,
    environment: Environment,
    params: dict[str, str],
) -> tuple[Application | None, dict[str, Any]]:
    """The client asking (from id_token_hint, whose signature must be ours, or client_id) and the
    hint's claims. An expired hint is accepted (RP-Initiated Logout section 2)."""
    claims: dict[str, Any] = {}
    client_id = params.get("client_id")
    hint = params.get("id_token_hint")
    if hint is not None:
        verified = await verify_signature(session, hint, environment.id)
        issuer = urls_for(request, runtime.settings).issuer(environment.id)
        if verified is None or verified[0] != environment.id or verified[1].get("iss") != issuer:
            raise AuthorizationError(
                "invalid_request",
                "id_token_hint is not an ID token of this environment.",
                parameter="id_token_hint",
            )
        claims = verified[1]
        audiences = claims.get("aud")
        audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
        if client_id is not None and client_id not in audiences:
            raise AuthorizationError(
                "invalid_request",
                "client_id is not an audience of id_token_hint.",
                parameter="client_id",
            )
        client_id = client_id or next(iter(audiences), None)
    if client_id is None:
        return None, claims
    application = await _application(session, environment.id, client_id)
    if application is None:
        raise AuthorizationError("invalid_client", "Unknown client.", parameter="client_id")
    return application, claims


async def _application(
    session: AsyncSession, environment_id: uuid.UUID, client_id: str
) -> Application | None:
    return await find_application(session, environment_id, client_id)


def _post_logout_redirect_uri(application: Application | None, given: str | None) -> str | None:
    if given is None:
        return None
    if application is None:
        raise AuthorizationError(
            "invalid_request",
            "post_logout_redirect_uri needs id_token_hint or client_id.",
            parameter="post_logout_redirect_uri",
        )
    if given not in (application.config.get("postLogoutRedirectUris") or []):
        raise AuthorizationError(
            "invalid_request",
            "post_logout_redirect_uri is not registered for this client.",
            parameter="post_logout_redirect_uri",
        )
    return given


async def _hinted_session(
    session: AsyncSession, environment: Environment, claims: dict[str, Any]
) -> Session | None:
    """The session the hint's `sid` names, when it is its subject's."""
    try:
        session_id = uuid.UUID(str(claims.get("sid")))
    except ValueError:
        return None
    row = await sessions.get_live_session(session, environment.id, session_id)
    return row if row is not None and str(row.user_id) == claims.get("sub") else None
