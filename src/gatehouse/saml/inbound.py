"""What the identity provider endpoints (/idp/sso, /idp/slo) share about an SP's request
(saml-bindings-2.0-os 3.4 and 3.5): the SAMLRequest read from its binding, the application its
Issuer names, the check of its signature, and the 400 page for a request that cannot be answered
at any ACS URL."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.applications.models import Application
from gatehouse.common.urls import urls_for
from gatehouse.oauth.responses import message_page
from gatehouse.oauth.routes import FORM, form_doc
from gatehouse.runtime import runtime_of
from gatehouse.saml import service as saml
from gatehouse.saml import xml

FORM_DOC = form_doc(["SAMLRequest"], {"SAMLRequest": {"type": "string"}, "RelayState": {}})


class Refused(Exception):
    """A request answered with a page, never at an ACS URL."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def entity_id(request: Request, environment_id: object) -> str:
    """The IdP entity id of an environment (PingOne's: the auth URL of the environment)."""
    return f"{urls_for(request, runtime_of(request).settings).auth}/{environment_id}"


def refused_page(message: str) -> Response:
    return message_page("SAML sign-on error", message, status=400)


async def incoming(request: Request) -> tuple[xml.Element, dict[str, str]]:
    """The SAMLRequest (HTTP-Redirect for GET, HTTP-POST for POST) and the parameters."""
    if request.method == "GET":
        params = dict(request.query_params)
        return xml.redirect_decode(required(params, "SAMLRequest")), params
    params = await read_form(request)
    return xml.post_decode(required(params, "SAMLRequest")), params


def required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise Refused(f"{name} is missing.")
    return value


async def read_form(request: Request) -> dict[str, str]:
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise Refused(f"The HTTP-POST binding takes {FORM}.")
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


async def application_of(
    session: AsyncSession, environment_id: uuid.UUID, sp_entity_id: str
) -> Application:
    application = await saml.find_by_entity_id(session, environment_id, sp_entity_id)
    if application is None or not application.enabled:
        raise Refused(f"No enabled SAML application has the entity id {sp_entity_id!r}.")
    return application


async def check_request_signature(
    session: AsyncSession, request: Request, application: Application, message: xml.Element
) -> bool:
    """Whether the request is signed (by one of the application's certificates); Refused when
    it must be and is not, or when its signature does not verify. Without certificates a
    signature cannot be checked: the request counts as unsigned."""
    verification = application.config.get("spVerification") or {}
    certificates = await saml.sp_certificates(session, application)
    if request.method == "GET":
        present = "Signature" in request.query_params
    else:
        present = xml.has_signature(message)
    if not present:
        if verification.get("authnRequestSigned"):
            raise Refused("The application must sign its AuthnRequests.")
        return False
    if not certificates:  # nothing to check it with, and not required: treated as unsigned
        return False
    if request.method == "GET":
        xml.verify_redirect_signature(request.url.query, "SAMLRequest", certificates)
    else:
        xml.verify(message, certificates)
    return True
