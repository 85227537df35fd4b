"""/v1/environments/{environmentId}/users/{userId}/password: state, set, change, check, unlock.

Password recovery (sendRecoveryCode, recover) is not offered yet: it needs the e-mail outbox.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import (
    body_doc,
    media_doc,
    read_body,
    read_json,
    require_media_type,
    validate,
)
from gatehouse.common.errors import Problem
from gatehouse.common.schemas import ref
from gatehouse.directory.models import User
from gatehouse.directory.passwords import service
from gatehouse.directory.passwords.schemas import (
    CHECK,
    RESET,
    SET,
    UNLOCK,
    PasswordCheck,
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


@router.put(
    "/users/{user_id}/password",
    responses={200: {"model": PasswordStateView}},
    openapi_extra=body_doc({SET: PasswordValue, RESET: PasswordReset}),
)
async def set_or_change_password(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("passwords:update", populations=True)
) -> Response:
    """password.set+json: an administrator sets the password; password.reset+json: a change
    ({currentPassword, newPassword}; currentPassword may be left out by an administrator)."""
    user = await _user(ctx, user_id, "passwords:update")
    _, data = await read_body(request, {SET: PasswordValue, RESET: PasswordReset})
    if isinstance(data, PasswordReset):
        return await _change(ctx, user, data)
    state = await service.set_password(
        ctx.session, ctx.runtime.hasher, user, data.value, force_change=data.force_change
    )
    return hal.ok(render_state(user, state, ctx))


async def _change(ctx: Admin, user: User, data: PasswordReset) -> Response:
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


def _action_doc() -> dict[str, Any]:
    doc = body_doc({CHECK: PasswordCheck})
    doc["requestBody"]["content"].update(media_doc(UNLOCK)["requestBody"]["content"])
    return doc


@router.post(
    "/users/{user_id}/password",
    responses={200: {"model": PasswordStateView}},
    openapi_extra=_action_doc(),
)
async def check_or_unlock_password(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("passwords:update", populations=True)
) -> Response:
    """password.check+json ({password}): 200 with the state when it matches, else 400 (the
    failure counts towards the lockout); password.unlock+json: an administrator ends a lockout."""
    media_type = require_media_type(request, CHECK, UNLOCK)
    user = await _user(ctx, user_id, "passwords:update")
    if media_type == UNLOCK:
        return hal.ok(render_state(user, await service.unlock_password(ctx.session, user), ctx))
    data = validate(PasswordCheck, await read_json(request))
    verification = await service.verify_password(
        ctx.session, ctx.runtime.hasher, user, data.password
    )
    if not verification.matched:
        return refused(service.refusal(verification.state))
    return hal.ok(render_state(user, verification.state, ctx))
