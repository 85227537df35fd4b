"""Authorization responses (RFC 6749 sections 4.1.2 and 4.2.2, their errors 4.1.2.1 and 4.2.2.1) in
each response mode: query and fragment (OAuth 2.0 Multiple Response Type Encoding Practices
section 2.1), form_post (OAuth 2.0 Form Post Response Mode), and PingOne's pi.flow (JSON, no
redirect; pingone/08 section 3). Errors about the client or its redirect URI are shown instead.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from gatehouse.common.errors import Detail, Problem
from gatehouse.oauth.authorize import (
    FORM_POST,
    FRAGMENT,
    PI_FLOW,
    AuthorizationError,
    ResponseTarget,
)

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def authorization_response(target: ResponseTarget, params: Mapping[str, str]) -> Response:
    """The response parameters sent back to the client in the target's mode (pi.flow excepted:
    its JSON carries the flow, see `pi_flow_response`)."""
    assert target.redirect_uri is not None
    if target.response_mode == FORM_POST:
        return form_post_page(target.redirect_uri, params)
    separator = (
        "#" if target.response_mode == FRAGMENT else ("&" if "?" in target.redirect_uri else "?")
    )
    location = f"{target.redirect_uri}{separator}{urlencode(params)}"
    return RedirectResponse(location, status_code=302, headers=NO_STORE)


def error_response(target: ResponseTarget, error: str, description: str) -> Response:
    params = {"error": error, "error_description": description}
    if target.state is not None:
        params["state"] = target.state
    if target.response_mode == PI_FLOW:
        return JSONResponse(params, status_code=400, headers=NO_STORE)
    return authorization_response(target, params)


def pi_flow_response(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers=NO_STORE)


def shown_error(request: Request, error: AuthorizationError) -> Response:
    """An error the client cannot be told through its redirect URI: a 400 with the PingOne error
    body, or a small page for a browser that asks for HTML."""
    problem = Problem(
        400,
        "INVALID_DATA",
        "The request could not be completed. One or more validation errors were in the request.",
        [Detail("INVALID_VALUE", error.description, error.parameter)],
    )
    if wants_html(request):
        return message_page("Sign-on error", error.description, status=400)
    return JSONResponse(problem.render(), status_code=400, headers=NO_STORE)


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def message_page(title: str, message: str, status: int = 200) -> HTMLResponse:
    body = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>\n"
    )
    return HTMLResponse(
        body,
        status_code=status,
        headers={**NO_STORE, "Content-Security-Policy": "default-src 'none'"},
    )


def form_post_page(action: str, params: Mapping[str, str]) -> HTMLResponse:
    """An auto-submitting form posting `params` to `action` (every value escaped)."""
    nonce = secrets.token_urlsafe(16)
    fields = "\n".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in params.items()
    )
    body = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Submit this form</title></head>\n"
        f'<body><form method="post" action="{html.escape(action)}">\n{fields}\n'
        '<noscript><button type="submit">Continue</button></noscript>\n</form>\n'
        f'<script nonce="{nonce}">document.forms[0].submit();</script>\n</body></html>\n'
    )
    csp = f"default-src 'none'; script-src 'nonce-{nonce}'"
    return HTMLResponse(body, headers={**NO_STORE, "Content-Security-Policy": csp})
