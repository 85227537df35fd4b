"""pingOneAuthenticationConnector: the end of a PingOne sign-on flow and the browser's session.

- returnSuccessResponseRedirect completes the interaction as a sign-on of `userId` with the
  methods of `authenticationMethods` (default `pwd`); the runtime then establishes the session
  and answers the authorization request (code or tokens).
- setSession establishes the session for `userId` at once (the ST cookie goes with the response);
  the node outputs the session id.
- checkSession succeeds when the browser's session is live, its user may sign on and, when the
  node names an authenticator (`checkSessionAuthenticator`, e.g. pwd), that method was used
  within `authenticationMethodLastUsedIn` minutes; it outputs `session{id, user{id}}`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from gatehouse.common import clock
from gatehouse.davinci.connectors.base import Done, Finish, NodeCall, Result, failure
from gatehouse.davinci.connectors.registry import capability
from gatehouse.directory.models import User
from gatehouse.flows.actions.common import usable
from gatehouse.sessions import service as sessions

AUTHENTICATION = "pingOneAuthenticationConnector"
METHODS = frozenset({"pwd", "otp", "mfa", "fido", "sms", "email", "hwk", "face", "fed"})


def methods_of(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part.strip() for part in value.replace(" ", ",").split(",")]
    if not isinstance(value, list):
        return ["pwd"]
    chosen = [str(item) for item in value if str(item) in METHODS]
    return sorted(set(chosen)) or ["pwd"]


async def signing_on_user(call: NodeCall) -> User | None:
    db, _ = call.ctx.database()
    try:
        user_id = uuid.UUID(call.text("userId"))
    except ValueError:
        return None
    user = await db.get(User, user_id)
    if user is None or user.environment_id != call.ctx.environment_id or not usable(user):
        return None
    return user


@capability(AUTHENTICATION, "returnSuccessResponseRedirect")
async def return_success_response_redirect(call: NodeCall) -> Result:
    user = await signing_on_user(call)
    if user is None:
        return failure("invalidUser", "The flow names no user who can sign on.")
    return Finish(
        "authenticated",
        {
            "userId": str(user.id),
            "authenticationMethods": methods_of(call.prop("authenticationMethods")),
        },
    )


@capability(AUTHENTICATION, "setSession")
async def set_session(call: NodeCall) -> Result:
    user = await signing_on_user(call)
    if user is None:
        return failure("invalidUser", "The flow names no user who can sign on.")
    db, runtime = call.ctx.database()
    now = clock.now().isoformat()
    current = await sessions.find_session(
        db, runtime.sealer, call.ctx.environment_id, call.ctx.browser.session_secret
    )
    row, secret = await sessions.establish(
        db,
        runtime.sealer,
        runtime.settings,
        environment_id=call.ctx.environment_id,
        user_id=user.id,
        authenticators={method: now for method in methods_of(call.prop("authenticationMethods"))},
        remote_ip=call.ctx.browser.ip,
        current=current,
    )
    call.ctx.effects.session_secret = secret
    call.ctx.effects.session_id = row.id
    return Done(True, {"session": {"id": str(row.id), "user": {"id": str(user.id)}}})


@capability(AUTHENTICATION, "checkSession")
async def check_session(call: NodeCall) -> Result:
    db, runtime = call.ctx.database()
    row = await sessions.find_session(
        db, runtime.sealer, call.ctx.environment_id, call.ctx.browser.session_secret
    )
    user = await db.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not usable(user):
        return failure("noSession", "The browser has no session.", http_status=401)
    method = call.text("checkSessionAuthenticator")
    if method:
        used_at = (row.authenticators or {}).get(method)
        minutes = call.prop("authenticationMethodLastUsedIn")
        try:
            window = timedelta(minutes=float(minutes)) if minutes is not None else None
        except (TypeError, ValueError):
            window = None
        if used_at is None or (
            window is not None
            and clock.now() - clock.as_utc(datetime.fromisoformat(used_at)) > window
        ):
            return failure("sessionTooOld", f"The session's {method} sign-on is too old.")
    return Done(True, {"session": {"id": str(row.id), "user": {"id": str(user.id)}}})
