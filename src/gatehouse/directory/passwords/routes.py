"""/v1/environments/{environmentId}/users/{userId}/password: state, set, change, check, unlock,
and recovery (sendRecoveryCode, recover).

The Content-Type names the operation. PUT takes set and reset (PingOne's reference); POST takes
every operation, since PingOne's how-to guides also set passwords with POST.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import body_doc, media_doc, read_json, require_media_type, validate
from gatehouse.common.errors import Detail, Problem, request_failed
from gatehouse.common.schemas import ref
from gatehouse.directory.models import User
from gatehouse.directory.passwords import recovery, service
from gatehouse.directory.passwords.schemas import (
    CHECK,
    RECOVER,
    RESET,
    SEND_RECOVERY_CODE,
    SET,
    UNLOCK,
    PasswordCheck,
    PasswordRecover,
    PasswordReset,
    PasswordStateView,
    PasswordValue,
)
from gatehouse.directory.users.service import get_user

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Passwords"])


def render_state(user: User, state: service.PasswordState, ctx: Admin) -> dict[str, Any]:
    view = PasswordStateView.model_validate(
        {
            "environment": ref(user.environment_id),
            "user": ref(user.id),
            "passwordPolicy": ref(state.policy_id),
            "status": state.status,
            "lastChangedAt": state.last_changed_at,
            "secondsUntilUnlock": state.seconds_until_unlock,
            "failuresRemaining": state.failures_remaining,
        }
    )
    links = {"user": ctx.href(f"/users/{user.id}"), "environment": ctx.href()}
    if state.policy_id is not None:
        links["passwordPolicy"] = ctx.href(f"/passwordPolicies/{state.policy_id}")
    return hal.resource(view, ctx.href(f"/users/{user.id}/password"), **links)


def refused(problem: Problem) -> Response:
    """An error response that does not roll the request back: the failure count it reports was
    written in this unit of work and must be kept."""
    return JSONResponse(problem.render(), status_code=problem.status)


async def _user(ctx: Admin, user_id: uuid.UUID, permission: str) -> User:
    return await get_user(ctx.session, ctx.environment_id, user_id, ctx.populations_for(permission))


@router.get("/users/{user_id}/password", responses={200: {"model": PasswordStateView}})
async def read_password_state(
    user_id: uuid.UUID, ctx: Admin = admin("passwords:read", populations=True)
) -> hal.HalResponse:
    user = await _user(ctx, user_id, "passwords:read")
    return hal.ok(render_state(user, await service.password_state(ctx.session, user), ctx))


async def _set(ctx: Admin, user: User, data: PasswordValue) -> Response:
    state = await service.set_password(
        ctx.session, ctx.runtime.hasher, user, data.value, force_change=data.force_change
    )
    return hal.ok(render_state(user, state, ctx))


async def _change(ctx: Admin, user: User, data: PasswordReset) -> Response:
    """{currentPassword, newPassword}; an administrator may leave currentPassword out."""
    acting_for_self = ctx.caller.actor_type == "USER" and ctx.caller.actor_id == user.id
    outcome = await service.change_password(
        ctx.session,
        ctx.runtime.hasher,
        user,
        data.new_password,
        current_password=data.current_password,
        require_current=acting_for_self,
    )
    if not outcome.matched:
        return refused(service.refusal(outcome.state, "currentPassword"))
    return hal.ok(render_state(user, outcome.state, ctx))


async def _check(ctx: Admin, user: User, data: PasswordCheck) -> Response:
    """200 with the state when it matches, else 400 (the failure counts towards the lockout)."""
    verification = await service.verify_password(
        ctx.session, ctx.runtime.hasher, user, data.password
    )
    if not verification.matched:
        return refused(service.refusal(verification.state))
    return hal.ok(render_state(user, verification.state, ctx))


async def _unlock(ctx: Admin, user: User, _data: None) -> Response:
    return hal.ok(render_state(user, await service.unlock_password(ctx.session, user), ctx))


async def _send_recovery_code(ctx: Admin, user: User, _data: None) -> Response:
    if not await recovery.send_recovery_code(ctx.session, ctx.runtime, user):
        raise request_failed(
            "A recovery code cannot be sent: the user is disabled or locked, has no e-mail "
            "address, or has no password of Gatehouse's own."
        )
    return hal.ok(render_state(user, await service.password_state(ctx.session, user), ctx))


async def _recover(ctx: Admin, user: User, data: PasswordRecover) -> Response:
    outcome = await recovery.recover_password(
        ctx.session, ctx.runtime, user, data.recovery_code, data.new_password
    )
    if not outcome.matched:
        message = (
            "Maximum password recovery failures exceeded, or no recovery code is pending."
            if outcome.spent
            else "The recovery code is invalid or has expired."
        )
        return refused(
            Problem(
                400,
                "INVALID_DATA",
                service.VALIDATION_MESSAGE,
                [Detail("INVALID_VALUE", message, "recoveryCode")],
            )
        )
    return hal.ok(render_state(user, await service.password_state(ctx.session, user), ctx))


Operation = Callable[[Admin, User, Any], Awaitable[Response]]

# media type -> (body model or None for a bodiless action, operation)
OPERATIONS: dict[str, tuple[type[BaseModel] | None, Operation]] = {
    SET: (PasswordValue, _set),
    RESET: (PasswordReset, _change),
    CHECK: (PasswordCheck, _check),
    UNLOCK: (None, _unlock),
    SEND_RECOVERY_CODE: (None, _send_recovery_code),
    RECOVER: (PasswordRecover, _recover),
}
PUT_OPERATIONS = (SET, RESET)


def _operations_doc(media_types: tuple[str, ...]) -> dict[str, Any]:
    with_body = {m: model for m in media_types if (model := OPERATIONS[m][0]) is not None}
    doc = body_doc(with_body)
    bodiless = [m for m in media_types if OPERATIONS[m][0] is None]
    doc["requestBody"]["content"].update(media_doc(*bodiless)["requestBody"]["content"])
    return doc


async def _perform(
    ctx: Admin, request: Request, user_id: uuid.UUID, offered: tuple[str, ...]
) -> Response:
    media_type = require_media_type(request, *offered)
    user = await _user(ctx, user_id, "passwords:update")
    model, operation = OPERATIONS[media_type]
    data = validate(model, await read_json(request)) if model is not None else None
    return await operation(ctx, user, data)


@router.put(
    "/users/{user_id}/password",
    responses={200: {"model": PasswordStateView}},
    openapi_extra=_operations_doc(PUT_OPERATIONS),
)
async def put_password(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("passwords:update", populations=True)
) -> Response:
    """password.set+json: an administrator sets the password ({value, forceChange});
    password.reset+json: a change ({currentPassword, newPassword})."""
    return await _perform(ctx, request, user_id, PUT_OPERATIONS)


@router.post(
    "/users/{user_id}/password",
    responses={200: {"model": PasswordStateView}},
    openapi_extra=_operations_doc(tuple(OPERATIONS)),
)
async def post_password(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("passwords:update", populations=True)
) -> Response:
    """password.check+json, password.unlock+json, password.sendRecoveryCode+json,
    password.recover+json ({recoveryCode, newPassword}), and set/reset as with PUT."""
    return await _perform(ctx, request, user_id, tuple(OPERATIONS))
