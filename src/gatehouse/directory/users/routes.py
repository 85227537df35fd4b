"""/v1/environments/{environmentId}/users and its sub-resources (except the password)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import clock, hal
from gatehouse.common.bodies import (
    body_doc,
    media_doc,
    read_body,
    read_json,
    read_model,
    require_media_type,
    validate,
)
from gatehouse.common.errors import invalid_value
from gatehouse.common.pagination import parse_limit, parse_order
from gatehouse.common.queries import ListQuery, list_query
from gatehouse.common.schemas import Collection, Ref, ref
from gatehouse.directory.models import SchemaAttribute, User, UserPassword
from gatehouse.directory.users import custom, service
from gatehouse.directory.users.schemas import (
    IMPORT,
    JSON,
    LOCK,
    UNLOCK,
    AccountLock,
    UserCreate,
    UserEnabled,
    UserEnabledView,
    UserIdentityProviderView,
    UserImport,
    UserMfaEnabled,
    UserMfaEnabledView,
    UserPatch,
    UserPopulationView,
    UserReplace,
    UserView,
)

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Users"])

INCLUDES = ("memberOfGroupIDs", "memberOfGroupNames")


def render_user(
    user: User,
    ctx: Admin,
    *,
    record: UserPassword | None,
    schema: Mapping[str, SchemaAttribute],
    groups: Sequence[tuple[uuid.UUID, str]] | None = None,
    include: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    body = service.standard_attributes(user)
    account = service.account_state(user, record, clock.now())
    body.update(
        custom.visible_values(schema, user.custom),
        id=user.id,
        environment=ref(user.environment_id),
        population=ref(user.population_id),
        emailVerified=user.email_verified,
        enabled=user.enabled,
        mfaEnabled=user.mfa_enabled,
        lifecycle={"status": user.lifecycle_status},
        account={
            "canAuthenticate": account.can_authenticate,
            "status": account.status,
            "lockedAt": account.locked_at,
            "unlockAt": account.unlock_at,
            "secondsUntilUnlock": account.seconds_until_unlock,
        },
        identityProvider={"type": user.identity_provider_type, "id": user.identity_provider_id},
        verifyStatus=user.verify_status,
        createdAt=user.created_at,
        updatedAt=user.updated_at,
    )
    if user.last_sign_on_at is not None:
        body["lastSignOn"] = {"at": user.last_sign_on_at, "remoteIp": user.last_sign_on_remote_ip}
    if groups is not None and "memberOfGroupIDs" in include:
        body["memberOfGroupIDs"] = [group_id for group_id, _ in groups]
    if groups is not None and "memberOfGroupNames" in include:
        body["memberOfGroupNames"] = [name for _, name in groups]
    href = ctx.href(f"/users/{user.id}")
    return hal.resource(
        UserView.model_validate(body),
        href,
        environment=ctx.href(),
        population=ctx.href(f"/populations/{user.population_id}"),
        password=f"{href}/password",
        **{f"password.{action}": f"{href}/password" for action in ("set", "reset", "check")},
    )


async def _render_one(
    ctx: Admin, user: User, include: frozenset[str] = frozenset()
) -> dict[str, Any]:
    records = await service.password_records(ctx.session, [user.id])
    schema = await custom.load_schema(ctx.session, ctx.environment_id)
    groups = await service.groups_of(ctx.session, user.id) if include else None
    return render_user(
        user, ctx, record=records.get(user.id), schema=schema, groups=groups, include=include
    )


async def _user(ctx: Admin, user_id: uuid.UUID, permission: str) -> User:
    return await service.get_user(
        ctx.session, ctx.environment_id, user_id, ctx.populations_for(permission)
    )


def _includes(values: list[str] | None) -> frozenset[str]:
    """`include` as repeated parameters or one comma-separated list."""
    wanted = {part.strip() for value in values or [] for part in value.split(",") if part.strip()}
    unknown = sorted(wanted.difference(INCLUDES))
    if unknown:
        raise invalid_value(
            "include", f"Cannot include {', '.join(unknown)}", allowedValues=list(INCLUDES)
        )
    return frozenset(wanted)


# --- the collection ------------------------------------------------------------------------


@router.get("/users", responses={200: {"model": Collection}})
async def list_users(
    ctx: Admin = admin("users:read", populations=True), query: ListQuery = Depends(list_query)
) -> hal.HalResponse:
    page = await service.list_users(
        ctx.session,
        ctx.environment_id,
        ctx.populations_for("users:read"),
        filter_text=query.filter,
        order=parse_order(query.order, service.ORDER, service.DEFAULT_ORDER),
        limit=parse_limit(query.limit),
        cursor=query.cursor,
    )
    records = await service.password_records(ctx.session, [user.id for user in page.items])
    schema = await custom.load_schema(ctx.session, ctx.environment_id)
    items = [
        render_user(user, ctx, record=records.get(user.id), schema=schema) for user in page.items
    ]
    return hal.ok(
        hal.collection(
            "users",
            items,
            ctx.href("/users"),
            query=query.echo(),
            count=page.count,
            next_cursor=page.next_cursor,
        )
    )


@router.post(
    "/users",
    status_code=201,
    responses={201: {"model": UserView}},
    openapi_extra=body_doc({JSON: UserCreate, IMPORT: UserImport}),
)
async def create_user(
    request: Request, ctx: Admin = admin("users:create", populations=True)
) -> hal.HalResponse:
    _, data = await read_body(request, {JSON: UserCreate, IMPORT: UserImport})
    user = await service.create_user(
        ctx.session,
        ctx.runtime.hasher,
        ctx.environment_id,
        data,
        ctx.populations_for("users:create"),
    )
    return hal.created(await _render_one(ctx, user))


# --- one user ------------------------------------------------------------------------------


@router.get("/users/{user_id}", responses={200: {"model": UserView}})
async def read_user(
    user_id: uuid.UUID,
    include: list[str] | None = Query(
        None, description="memberOfGroupIDs and/or memberOfGroupNames."
    ),
    ctx: Admin = admin("users:read", populations=True),
) -> hal.HalResponse:
    wanted = _includes(include)
    user = await _user(ctx, user_id, "users:read")
    return hal.ok(await _render_one(ctx, user, wanted))


@router.put(
    "/users/{user_id}",
    responses={200: {"model": UserView}},
    openapi_extra=body_doc({JSON: UserReplace}),
)
async def replace_user(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("users:update", populations=True)
) -> hal.HalResponse:
    user = await _user(ctx, user_id, "users:update")
    data = await read_model(request, UserReplace)
    user = await service.replace_user(ctx.session, user, data)
    return hal.ok(await _render_one(ctx, user))


@router.patch(
    "/users/{user_id}",
    responses={200: {"model": UserView}},
    openapi_extra=body_doc({JSON: UserPatch}),
)
async def patch_user(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("users:update", populations=True)
) -> hal.HalResponse:
    user = await _user(ctx, user_id, "users:update")
    data = await read_model(request, UserPatch)
    user = await service.patch_user(ctx.session, user, data)
    return hal.ok(await _render_one(ctx, user))


@router.delete("/users/{user_id}", status_code=204, response_class=Response)
async def delete_user(
    user_id: uuid.UUID, ctx: Admin = admin("users:delete", populations=True)
) -> Response:
    user = await _user(ctx, user_id, "users:delete")
    await service.delete_user(ctx.session, user)
    return hal.no_content()


def _account_doc() -> dict[str, Any]:
    doc = body_doc({LOCK: AccountLock}, required=False)
    doc["requestBody"]["content"].update(media_doc(UNLOCK)["requestBody"]["content"])
    return doc


@router.post("/users/{user_id}", responses={200: {"model": UserView}}, openapi_extra=_account_doc())
async def lock_or_unlock_account(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("users:update", populations=True)
) -> hal.HalResponse:
    """Content-Type account.lock+json (optional body `{unlockAt}`) or account.unlock+json."""
    media_type = require_media_type(request, LOCK, UNLOCK)
    user = await _user(ctx, user_id, "users:update")
    if media_type == UNLOCK:
        user = await service.unlock_account(ctx.session, user)
    else:
        raw = await request.body()
        lock = validate(AccountLock, await read_json(request)) if raw.strip() else AccountLock()
        user = await service.lock_account(ctx.session, user, lock.unlock_at)
    return hal.ok(await _render_one(ctx, user))


# --- sub-resources -------------------------------------------------------------------------


def _render_enabled(user: User, ctx: Admin) -> dict[str, Any]:
    return hal.resource(
        UserEnabledView(enabled=user.enabled),
        ctx.href(f"/users/{user.id}/enabled"),
        user=ctx.href(f"/users/{user.id}"),
    )


@router.get("/users/{user_id}/enabled", responses={200: {"model": UserEnabledView}})
async def read_enabled(
    user_id: uuid.UUID, ctx: Admin = admin("users:read", populations=True)
) -> hal.HalResponse:
    return hal.ok(_render_enabled(await _user(ctx, user_id, "users:read"), ctx))


@router.put(
    "/users/{user_id}/enabled",
    responses={200: {"model": UserEnabledView}},
    openapi_extra=body_doc({JSON: UserEnabled}),
)
async def update_enabled(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("users:update", populations=True)
) -> hal.HalResponse:
    user = await _user(ctx, user_id, "users:update")
    data = await read_model(request, UserEnabled)
    return hal.ok(_render_enabled(await service.set_enabled(ctx.session, user, data.enabled), ctx))


def _render_mfa_enabled(user: User, ctx: Admin) -> dict[str, Any]:
    return hal.resource(
        UserMfaEnabledView(mfa_enabled=user.mfa_enabled),
        ctx.href(f"/users/{user.id}/mfaEnabled"),
        user=ctx.href(f"/users/{user.id}"),
    )


@router.get("/users/{user_id}/mfaEnabled", responses={200: {"model": UserMfaEnabledView}})
async def read_mfa_enabled(
    user_id: uuid.UUID, ctx: Admin = admin("users:read", populations=True)
) -> hal.HalResponse:
    return hal.ok(_render_mfa_enabled(await _user(ctx, user_id, "users:read"), ctx))


@router.put(
    "/users/{user_id}/mfaEnabled",
    responses={200: {"model": UserMfaEnabledView}},
    openapi_extra=body_doc({JSON: UserMfaEnabled}),
)
async def update_mfa_enabled(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("users:update", populations=True)
) -> hal.HalResponse:
    user = await _user(ctx, user_id, "users:update")
    data = await read_model(request, UserMfaEnabled)
    user = await service.set_mfa_enabled(ctx.session, user, data.mfa_enabled)
    return hal.ok(_render_mfa_enabled(user, ctx))


def _render_population(user: User, ctx: Admin) -> dict[str, Any]:
    return hal.resource(
        UserPopulationView(id=user.population_id),
        ctx.href(f"/users/{user.id}/population"),
        user=ctx.href(f"/users/{user.id}"),
        population=ctx.href(f"/populations/{user.population_id}"),
    )


@router.get("/users/{user_id}/population", responses={200: {"model": UserPopulationView}})
async def read_population(
    user_id: uuid.UUID, ctx: Admin = admin("users:read", populations=True)
) -> hal.HalResponse:
    return hal.ok(_render_population(await _user(ctx, user_id, "users:read"), ctx))


@router.put(
    "/users/{user_id}/population",
    responses={200: {"model": UserPopulationView}},
    openapi_extra=body_doc({JSON: Ref}),
)
async def update_population(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("users:update", populations=True)
) -> hal.HalResponse:
    user = await _user(ctx, user_id, "users:update")
    data = await read_model(request, Ref)
    user = await service.move_user(ctx.session, user, data.id, ctx.populations_for("users:update"))
    return hal.ok(_render_population(user, ctx))


@router.get(
    "/users/{user_id}/identityProvider", responses={200: {"model": UserIdentityProviderView}}
)
async def read_identity_provider(
    user_id: uuid.UUID, ctx: Admin = admin("users:read", populations=True)
) -> hal.HalResponse:
    user = await _user(ctx, user_id, "users:read")
    view = UserIdentityProviderView(type=user.identity_provider_type, id=user.identity_provider_id)
    return hal.ok(
        hal.resource(
            view, ctx.href(f"/users/{user.id}/identityProvider"), user=ctx.href(f"/users/{user.id}")
        )
    )
