"""Interactions a browser drives through HTML pages: DaVinci as an OpenID provider (kind `oidc`)
and `/as/authorize` in the redirect response modes for an application assigned to a DaVinci flow
policy (kind `authorize`). Each screen is a page (`oidc.pages`) posting back to
`/{envId}/davinci/policy/{policyId}/authorize`; the interaction token lives in the `DV-INTERACTION`
cookie (HttpOnly, SameSite=Lax, path `/{envId}/davinci`), so another site cannot post into it.

When the flow completes, an `oidc` interaction redirects to the client with a DaVinci code, an
`authorize` one answers the authorization request in its response mode (oauth.issuance,
oauth.responses). A flow that fails on a screen shows the screen again with the error; one that
ends in an error redirects the error (`access_denied`) to the client.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gatehouse.common.urls import urls_for
from gatehouse.davinci.connectors.base import NodeError
from gatehouse.davinci.engine.runner import Completed, Failed, Waiting
from gatehouse.davinci.oidc import pages, provider
from gatehouse.davinci.runtime import service
from gatehouse.davinci.runtime.models import FAILED, DavinciInteraction
from gatehouse.davinci.runtime.responses import browser_of
from gatehouse.environments.models import Environment
from gatehouse.oauth.authorize import ResponseTarget
from gatehouse.oauth.requests import AuthorizeRequest
from gatehouse.oauth.responses import NO_STORE, authorization_response, error_response
from gatehouse.runtime import runtime_of
from gatehouse.sessions.cookies import is_secure, set_session_cookie

COOKIE = "DV-INTERACTION"


def action_url(request: Request, environment: Environment, policy_id: str | None) -> str:
    """Where the pages of an interaction post back."""
    issuer = provider.issuer_of(
        urls_for(request, runtime_of(request).settings).auth, environment.id
    )
    return f"{issuer}/policy/{policy_id}/authorize" if policy_id else f"{issuer}/authorize"


async def page_response(
    request: Request,
    db: AsyncSession,
    environment: Environment,
    progress: service.Progress,
    action: str,
) -> Response:
    row, outcome = progress.interaction, progress.outcome
    runtime = runtime_of(request)
    match outcome:
        case Waiting(node=node, screen=screen):
            response: Response = pages.screen_page(action, str(row.id), node.id, screen, None)
            response.set_cookie(
                COOKIE,
                progress.token,
                path=f"/{environment.id}/davinci",
                secure=is_secure(request, runtime.settings),
                httponly=True,
                samesite="lax",
            )
        case Failed(error=error) if progress.rewound:
            waiting = progress.state["waiting"]
            response = pages.screen_page(
                action, str(row.id), waiting["nodeId"], waiting["screen"], error.message
            )
            response.status_code = 400
        case Failed(error=error):
            response = _client_error(row, error)
        case Completed():
            response = await _completed(request, db, environment, progress, outcome)
    secret = progress.effects.session_secret
    if secret is not None and "set-cookie" not in response.headers:
        set_session_cookie(response, request, runtime.settings, environment.id, secret)
    return response


def _target(row: DavinciInteraction) -> ResponseTarget:
    authorize_request = AuthorizeRequest.from_dict(row.request)
    return ResponseTarget(
        authorize_request.redirect_uri, authorize_request.response_mode, authorize_request.state
    )


def _client_error(row: DavinciInteraction, error: NodeError) -> Response:
    if row.kind == service.AUTHORIZE:
        return error_response(_target(row), "access_denied", error.message)
    return redirect(row.request, {"error": "access_denied", "error_description": error.message})


async def _completed(
    request: Request,
    db: AsyncSession,
    environment: Environment,
    progress: service.Progress,
    outcome: Completed,
) -> Response:
    runtime = runtime_of(request)
    row = progress.interaction
    browser = browser_of(request)
    if row.kind == service.AUTHORIZE:
        issuer = urls_for(request, runtime.settings).issuer(environment.id)
        authorized = await service.authorize_application(
            db, runtime, environment, row, outcome, browser, progress.effects, issuer
        )
        if isinstance(authorized, NodeError):
            return _client_error(row, authorized)
        response = authorization_response(_target(row), authorized.params)
        secret = authorized.secret
    else:
        signed_on = await service.sign_on(db, runtime, row, outcome, browser, progress.effects)
        if signed_on is None:
            row.status = FAILED
            error = NodeError("noUser", "The flow completed without signing a user on.")
            return _client_error(row, error)
        _, secret, _ = signed_on
        response = redirect(row.request, {"code": await provider.issue_code(row, runtime)})
    if secret is not None:
        set_session_cookie(response, request, runtime.settings, row.environment_id, secret)
    response.delete_cookie(COOKIE, path=f"/{row.environment_id}/davinci")
    return response


def redirect(request: Mapping[str, Any], params: dict[str, str]) -> RedirectResponse:
    """To a DaVinci client's redirect URI with `params` (and the request's state)."""
    if request.get("state"):
        params = {**params, "state": request["state"]}
    uri = str(request["redirect_uri"])
    location = f"{uri}{'&' if '?' in uri else '?'}{urlencode(params)}"
    return RedirectResponse(location, status_code=302, headers=NO_STORE)
