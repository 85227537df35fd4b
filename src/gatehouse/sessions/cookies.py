"""The authorization server's browser cookies, both scoped to `Path=/{envId}` and HttpOnly:

- `ST`, the session (pingone/08 section 3): `Max-Age` session_max_seconds, `SameSite=None` when
  sent with `Secure`, else `Lax` (browsers refuse `None` without `Secure`);
- the interaction cookie, binding sign-on flows to the browser that started them: a browser
  keeps one for its lifetime and every flow it starts stores that value's digest. `SameSite` as
  for `ST`, so that a sign-on page or SDK on another site (cors) can drive the flows API over
  https; the hosted page's forms carry their own CSRF token (ui.csrf).

`Secure` follows settings.cookie_secure, or the request's scheme when that is unset.
"""

from __future__ import annotations

import uuid

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.settings import Settings

SESSION_COOKIE = "ST"
INTERACTION_COOKIE = "GH-INTERACTION"


def is_secure(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return request.url.scheme == "https"


def session_secret(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def interaction_secret(request: Request) -> str | None:
    return request.cookies.get(INTERACTION_COOKIE) or None


def set_session_cookie(
    response: Response,
    request: Request,
    settings: Settings,
    environment_id: uuid.UUID,
    secret: str,
) -> None:
    secure = is_secure(request, settings)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.session_max_seconds,
        path=f"/{environment_id}",
        secure=secure,
        httponly=True,
        samesite="none" if secure else "lax",
    )


def clear_session_cookie(
    response: Response, request: Request, settings: Settings, environment_id: uuid.UUID
) -> None:
    secure = is_secure(request, settings)
    response.delete_cookie(
        SESSION_COOKIE,
        path=f"/{environment_id}",
        secure=secure,
        httponly=True,
        samesite="none" if secure else "lax",
    )


def set_interaction_cookie(
    response: Response,
    request: Request,
    settings: Settings,
    environment_id: uuid.UUID,
    secret: str,
) -> None:
    secure = is_secure(request, settings)
    response.set_cookie(
        INTERACTION_COOKIE,
        secret,
        path=f"/{environment_id}",
        secure=secure,
        httponly=True,
        samesite="none" if secure else "lax",
    )
