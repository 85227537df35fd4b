"""Single logout at the identity provider (saml-core-2.0-os 3.7, saml-profiles-2.0-os 4.4):
GET (HTTP-Redirect) and POST (HTTP-POST) /{envId}/saml20/idp/slo.

An SP's LogoutRequest (signature rules as for /idp/sso) ends the browser's session: the ST
cookie's, when the request names no SessionIndex or names that session; with a signed request,
the session its SessionIndex names even without the cookie. The answer is a signed LogoutResponse
at sloResponseEndpoint, else sloEndpoint, over sloBinding. An application without sloEndpoint gets
a 400 page. Other participants of the session are not sent LogoutRequests.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.oauth.responses import NO_STORE, form_post_page
from gatehouse.oauth.routes import environment_or_404
from gatehouse.runtime import runtime_of
from gatehouse.saml import idp, inbound, xml
from gatehouse.saml import service as saml
from gatehouse.sessions import service as sessions
from gatehouse.sessions.cookies import clear_session_cookie, session_secret
from gatehouse.sessions.models import Session

router = APIRouter(tags=["SAML 2.0 identity provider"])


@router.get("/{environment_id}/saml20/idp/slo")
@router.post("/{environment_id}/saml20/idp/slo", openapi_extra=inbound.FORM_DOC)
async def single_logout(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    try:
        message, params = await inbound.incoming(request)
        issuer = idp.request_issuer(message, "LogoutRequest")
        application = await inbound.application_of(session, environment.id, issuer)
        endpoint = application.config.get("sloResponseEndpoint") or application.config.get(
            "sloEndpoint"
        )
        if not endpoint:
            raise inbound.Refused("The application has no sloEndpoint: it cannot sign out here.")
        signed = await inbound.check_request_signature(session, request, application, message)
        destination = f"{inbound.entity_id(request, environment.id)}/saml20/idp/slo"
        logout = idp.read_logout_request(message, destination=destination)
    except (inbound.Refused, xml.SamlError) as error:
        return inbound.refused_page(error.message)
    ended = await _session_to_end(session, request, environment.id, logout, signed=signed)
    if ended is not None:
        await sessions.revoke(session, ended)
    signing = await saml.signing_material(session, runtime.sealer, application)
    issuer_id = inbound.entity_id(request, environment.id)
    relay_state = params.get("RelayState")
    if application.config.get("sloBinding", "HTTP_POST") == "HTTP_POST":
        answer = idp.logout_response(issuer_id, endpoint, logout.id, signing)
        fields = {"SAMLResponse": xml.post_encode(answer)}
        if relay_state is not None:
            fields["RelayState"] = relay_state
        response: Response = form_post_page(endpoint, fields)
    else:
        answer = idp.logout_response(issuer_id, endpoint, logout.id, None)
        query = xml.redirect_query(
            "SAMLResponse", answer, relay_state, (signing.private_key_pem, signing.algorithm)
        )
        separator = "&" if "?" in endpoint else "?"
        response = RedirectResponse(f"{endpoint}{separator}{query}", 302, headers=NO_STORE)
    clear_session_cookie(response, request, runtime.settings, environment.id)
    return response


async def _session_to_end(
    session: AsyncSession,
    request: Request,
    environment_id: uuid.UUID,
    logout: idp.LogoutRequest,
    *,
    signed: bool,
) -> Session | None:
    runtime = runtime_of(request)
    current = await sessions.find_session(
        session, runtime.sealer, environment_id, session_secret(request)
    )
    if current is not None and (
        not logout.session_indexes or str(current.id) in logout.session_indexes
    ):
        return current
    if not signed:
        return None
    for index in logout.session_indexes:
        try:
            row = await sessions.get_live_session(session, environment_id, uuid.UUID(index))
        except ValueError:
            continue
        if row is not None:
            return row
    return None
