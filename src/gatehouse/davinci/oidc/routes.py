"""DaVinci as an OpenID provider, on the auth host under `/{envId}/davinci` (pingone/10 section 2;
seed 000):

- `GET /policy/{policyId}/authorize` (and `/authorize`, with the policy in `acr_values` or the
  application's first): validates the request, starts the policy's flow and answers with its
  first screen as an HTML page; the page posts back to the same path until the flow signs a user
  on, then the browser goes to the redirect URI with a code (errors: with `error`);
- `POST /token`: the code grant, the DaVinci application authenticating with its client secret
  (client_secret_basic or client_secret_post);
- `GET|POST /userinfo`, `GET /jwks` (the environment's signing keys), and
  `GET /.well-known/openid-configuration` with issuer `{authPath}/{envId}/davinci`.

The browser's interaction token is kept in an HttpOnly, SameSite=Lax cookie (`DV-INTERACTION`,
path `/{envId}/davinci`), so a page of another site cannot post into the interaction.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.access.dependencies import db_session
from gatehouse.common.urls import urls_for
from gatehouse.crypto.keys import jwks
from gatehouse.davinci import lookup
from gatehouse.davinci.connectors.base import Submission
from gatehouse.davinci.oidc import provider
from gatehouse.davinci.oidc.provider import ProviderError
from gatehouse.davinci.runtime import browser, service
from gatehouse.davinci.runtime.responses import browser_of
from gatehouse.davinci.runtime.service import InteractionError
from gatehouse.environments.models import Environment
from gatehouse.oauth.authorize import AuthorizationError, single_values
from gatehouse.oauth.clients import BASIC, POST, presented_credentials
from gatehouse.oauth.errors import invalid_client, unsupported_grant_type
from gatehouse.oauth.responses import NO_STORE, message_page
from gatehouse.oauth.routes import add_userinfo_endpoint, environment_or_404, read_form
from gatehouse.runtime import runtime_of

router = APIRouter(tags=["DaVinci OpenID provider"])

MAX_FORM_BYTES = 65536
CONTROL_FIELDS = frozenset({"interactionId", "nodeId", "buttonValue"})
FORM = "application/x-www-form-urlencoded"
FORM_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {"schema": {"type": "object", "additionalProperties": {"type": "string"}}}
        },
    }
}


def _issuer(request: Request, environment: Environment) -> str:
    auth = urls_for(request, runtime_of(request).settings).auth
    return provider.issuer_of(auth, environment.id)


def _action(request: Request, environment: Environment, policy_id: str | None) -> str:
    return browser.action_url(request, environment, policy_id)


# --- discovery and keys ------------------------------------------------------------------------


@router.get("/{environment_id}/davinci/.well-known/openid-configuration")
async def discovery(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> JSONResponse:
    environment = await environment_or_404(session, environment_id)
    return JSONResponse(provider.configuration(_issuer(request, environment)))


@router.get("/{environment_id}/davinci/jwks")
async def jwks_endpoint(environment_id: str, session: AsyncSession = db_session) -> JSONResponse:
    environment = await environment_or_404(session, environment_id)
    return JSONResponse(await jwks(session, environment.id))


# --- authorize ---------------------------------------------------------------------------------


@router.get("/{environment_id}/davinci/authorize")
async def authorize_any_policy(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    return await _authorize(environment_id, None, request, session)


@router.get("/{environment_id}/davinci/policy/{policy_id}/authorize")
async def authorize(
    environment_id: str, policy_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    return await _authorize(environment_id, policy_id, request, session)


async def _authorize(
    environment_id: str, policy_id: str | None, request: Request, session: AsyncSession
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    try:
        params = single_values(request.query_params.multi_items())
        chosen_policy, provider_request = await provider.validate(
            session, runtime, environment.id, policy_id, params
        )
        chosen = await lookup.choose_flow(session, environment.id, chosen_policy)
        if chosen is None:
            raise ProviderError(
                "temporarily_unavailable",
                "The flow policy has no flow to run.",
                provider_request.redirect_uri,
                provider_request.state,
            )
    except AuthorizationError as error:
        return message_page("Sign-on error", error.description, status=400)
    except ProviderError as error:
        return _provider_error(error)
    progress = await service.start(
        session,
        runtime,
        environment.id,
        chosen,
        kind=service.OIDC,
        browser=browser_of(request),
        request=provider_request.to_dict(),
    )
    return await browser.page_response(
        request, session, environment, progress, _action(request, environment, policy_id)
    )


@router.post("/{environment_id}/davinci/authorize", openapi_extra=FORM_DOC)
async def submit_any_policy(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    return await _submit(environment_id, None, request, session)


@router.post("/{environment_id}/davinci/policy/{policy_id}/authorize", openapi_extra=FORM_DOC)
async def submit(
    environment_id: str, policy_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    return await _submit(environment_id, policy_id, request, session)


async def _submit(
    environment_id: str, policy_id: str | None, request: Request, session: AsyncSession
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    try:
        fields = await _posted_form(request)
        row = await service.load(
            session,
            runtime,
            environment.id,
            fields.get("interactionId"),
            request.cookies.get(browser.COOKIE),
        )
        if row.kind not in (service.OIDC, service.AUTHORIZE):
            raise service.refusal("invalidInteraction", "The interaction was not found.", 401)
        form = {key: value for key, value in fields.items() if key not in CONTROL_FIELDS}
        progress = await service.submit(
            session,
            runtime,
            row,
            request.cookies[browser.COOKIE],
            connection_id=None,
            capability_name=None,
            node_id=fields.get("nodeId"),
            submission=Submission("submit", fields.get("buttonValue") or None, form),
            browser=browser_of(request),
        )
    except InteractionError as error:
        return message_page("Sign-on error", error.error.message, status=error.error.http_status)
    return await browser.page_response(
        request, session, environment, progress, _action(request, environment, policy_id)
    )


async def _posted_form(request: Request) -> dict[str, str]:
    """The page's form; a repeated name keeps its last non-empty value (a clicked
    `<button name="buttonValue">` after the hidden field)."""
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise service.refusal("invalidRequest", f"The form must be {FORM}.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise service.refusal("requestTooLarge", "The form is too large.", 413)
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            raise service.refusal("invalidRequest", "The form cannot contain the NUL character.")
        if value or name not in fields:
            fields[name] = value
    return fields


def _provider_error(error: ProviderError) -> Response:
    if error.redirect_uri is None:
        return message_page("Sign-on error", error.description, status=400)
    return browser.redirect(
        {"redirect_uri": error.redirect_uri, "state": error.state},
        {"error": error.error, "error_description": error.description},
    )


# --- token and userinfo ------------------------------------------------------------------------


@router.post("/{environment_id}/davinci/token", openapi_extra=FORM_DOC)
async def token(
    environment_id: str, request: Request, session: AsyncSession = db_session
) -> Response:
    environment = await environment_or_404(session, environment_id)
    runtime = runtime_of(request)
    form = await read_form(request)
    credentials = presented_credentials(request.headers.get("authorization"), form)
    scheme = "Basic" if credentials.method == BASIC else None
    if credentials.method not in (BASIC, POST):
        raise invalid_client("Authenticate with the DaVinci application's client secret.")
    client = await lookup.oauth_client(
        session, runtime.sealer, environment.id, credentials.client_id
    )
    if client is None or not client.verify_secret(credentials.secret or ""):
        raise invalid_client("Client authentication failed.", scheme)
    if form.get("grant_type") != "authorization_code":
        raise unsupported_grant_type(form.get("grant_type"))
    row, user = await provider.redeem(session, runtime, environment.id, client, form)
    body = await provider.token_response(
        session, runtime, _issuer(request, environment), client, row, user
    )
    return JSONResponse(body, headers=NO_STORE)


async def _davinci_userinfo(
    session: AsyncSession, request: Request, environment: Environment, access_token: str
) -> dict[str, Any]:
    issuer = _issuer(request, environment)
    return await provider.userinfo(
        session, runtime_of(request), environment.id, issuer, access_token
    )


add_userinfo_endpoint(router, "/{environment_id}/davinci/userinfo", _davinci_userinfo)
