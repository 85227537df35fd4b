"""OAuth 2.0 error responses (RFC 6749 section 5.2), rendered by their own small handler."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse


@dataclass
class OAuthError(Exception):
    error: str
    description: str
    status: int = 400
    www_authenticate: str | None = None


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client(
    description: str = "Client authentication failed.", scheme: str | None = None
) -> OAuthError:
    # RFC 6749 5.2: 401 with WWW-Authenticate when the client tried HTTP authentication.
    if scheme:
        return OAuthError("invalid_client", description, 401, f'{scheme} realm="gatehouse"')
    return OAuthError("invalid_client", description, 401)


def unauthorized_client(description: str) -> OAuthError:
    return OAuthError("unauthorized_client", description)


def unsupported_grant_type(grant_type: str | None) -> OAuthError:
    return OAuthError("unsupported_grant_type", f"Unsupported grant_type: {grant_type!r}.")


def invalid_scope(description: str) -> OAuthError:
    return OAuthError("invalid_scope", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


async def render_oauth_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OAuthError)
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if exc.www_authenticate:
        headers["WWW-Authenticate"] = exc.www_authenticate
    return JSONResponse(
        {"error": exc.error, "error_description": exc.description},
        status_code=exc.status,
        headers=headers,
    )
