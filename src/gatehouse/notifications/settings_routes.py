"""/v1/environments/{environmentId}/notificationsSettings, its emailDeliverySettings and its
phoneDeliverySettings (notifications.delivery_settings). Reading needs `notifications:read`;
PUT `notifications:update`, POST `notifications:create`, DELETE `notifications:delete`.
Passwords and tokens are never returned."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import JSON, body_doc, read_model
from gatehouse.common.errors import not_found
from gatehouse.common.schemas import Collection, ref
from gatehouse.notifications import delivery_settings as service
from gatehouse.notifications.models import (
    EmailDeliverySettings,
    NotificationSettings,
    PhoneDeliverySettings,
)
from gatehouse.notifications.schemas import (
    EmailDeliverySettingsView,
    EmailDeliverySettingsWrite,
    NotificationsSettingsView,
    NotificationsSettingsWrite,
    PhoneDeliverySettingsView,
    PhoneDeliverySettingsWrite,
)
from gatehouse.runtime import runtime_of

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Notification settings"])

SETTINGS = "/notificationsSettings"
EMAIL = "/notificationsSettings/emailDeliverySettings"
PHONES = "/notificationsSettings/phoneDeliverySettings"
PHONE = "/notificationsSettings/phoneDeliverySettings/{settings_id}"


def render_settings(row: NotificationSettings | None, ctx: Admin) -> dict[str, Any]:
    values = row.settings if row is not None else {}
    view = NotificationsSettingsView.model_validate(
        {
            "environment": ref(ctx.environment_id),
            "deliveryMode": values.get("deliveryMode", "ALL"),
            "from": values.get("from"),
            "replyTo": values.get("replyTo"),
            "smsProvidersFallbackChain": values.get("smsProvidersFallbackChain") or [],
            "updatedAt": row.updated_at if row is not None else None,
        }
    )
    return hal.resource(view, ctx.href(SETTINGS), environment=ctx.href())


def render_email(row: EmailDeliverySettings, ctx: Admin) -> dict[str, Any]:
    view = EmailDeliverySettingsView.model_validate(
        {
            **row.settings,
            "environment": ref(ctx.environment_id),
            "updatedAt": row.updated_at,
        }
    )
    return hal.resource(view, ctx.href(EMAIL), environment=ctx.href())


def render_phone(row: PhoneDeliverySettings, ctx: Admin) -> dict[str, Any]:
    view = PhoneDeliverySettingsView.model_validate(
        {
            **row.settings,
            "id": row.id,
            "environment": ref(ctx.environment_id),
            "provider": row.provider,
            "createdAt": row.created_at,
            "updatedAt": row.updated_at,
        }
    )
    return hal.resource(view, ctx.href(f"{PHONES}/{row.id}"), environment=ctx.href())


# --- /notificationsSettings ----------------------------------------------------------------------


@router.get(SETTINGS, responses={200: {"model": NotificationsSettingsView}})
async def read_settings(ctx: Admin = admin("notifications:read")) -> hal.HalResponse:
    return hal.ok(render_settings(await service.get_settings(ctx.session, ctx.environment_id), ctx))


@router.put(
    SETTINGS,
    responses={200: {"model": NotificationsSettingsView}},
    openapi_extra=body_doc({JSON: NotificationsSettingsWrite}),
)
async def replace_settings(
    request: Request, ctx: Admin = admin("notifications:update")
) -> hal.HalResponse:
    data = await read_model(request, NotificationsSettingsWrite)
    row = await service.put_settings(ctx.session, ctx.environment_id, data)
    return hal.ok(render_settings(row, ctx))


@router.delete(SETTINGS, status_code=204, response_class=Response)
async def reset_settings(ctx: Admin = admin("notifications:delete")) -> Response:
    await service.delete_settings(ctx.session, ctx.environment_id)
    return hal.no_content()


# --- emailDeliverySettings -----------------------------------------------------------------------


@router.get(EMAIL, responses={200: {"model": EmailDeliverySettingsView}})
async def read_email_settings(ctx: Admin = admin("notifications:read")) -> hal.HalResponse:
    row = await service.get_email_settings(ctx.session, ctx.environment_id)
    if row is None:
        raise not_found("The environment has no email delivery settings.")
    return hal.ok(render_email(row, ctx))


@router.put(
    EMAIL,
    responses={200: {"model": EmailDeliverySettingsView}},
    openapi_extra=body_doc({JSON: EmailDeliverySettingsWrite}),
)
async def replace_email_settings(
    request: Request, ctx: Admin = admin("notifications:update")
) -> hal.HalResponse:
    data = await read_model(request, EmailDeliverySettingsWrite)
    sealer = runtime_of(request).sealer
    row = await service.put_email_settings(ctx.session, sealer, ctx.environment_id, data)
    return hal.ok(render_email(row, ctx))


@router.delete(EMAIL, status_code=204, response_class=Response)
async def delete_email_settings(ctx: Admin = admin("notifications:delete")) -> Response:
    await service.delete_email_settings(ctx.session, ctx.environment_id)
    return hal.no_content()


# --- phoneDeliverySettings -----------------------------------------------------------------------


@router.get(PHONES, responses={200: {"model": Collection}})
async def list_phone_settings(ctx: Admin = admin("notifications:read")) -> hal.HalResponse:
    rows = await service.list_phone_settings(ctx.session, ctx.environment_id)
    items = [render_phone(row, ctx) for row in rows]
    return hal.ok(hal.collection("phoneDeliverySettings", items, ctx.href(PHONES)))


@router.post(
    PHONES,
    status_code=201,
    responses={201: {"model": PhoneDeliverySettingsView}},
    openapi_extra=body_doc({JSON: PhoneDeliverySettingsWrite}),
)
async def create_phone_settings(
    request: Request, ctx: Admin = admin("notifications:create")
) -> hal.HalResponse:
    data = await read_model(request, PhoneDeliverySettingsWrite)
    row = await service.create_phone_settings(
        ctx.session, runtime_of(request), ctx.environment_id, data
    )
    return hal.created(render_phone(row, ctx))


@router.get(PHONE, responses={200: {"model": PhoneDeliverySettingsView}})
async def read_phone_settings(
    settings_id: uuid.UUID, ctx: Admin = admin("notifications:read")
) -> hal.HalResponse:
    row = await service.get_phone_settings(ctx.session, ctx.environment_id, settings_id)
    return hal.ok(render_phone(row, ctx))


@router.put(
    PHONE,
    responses={200: {"model": PhoneDeliverySettingsView}},
    openapi_extra=body_doc({JSON: PhoneDeliverySettingsWrite}),
)
async def replace_phone_settings(
    settings_id: uuid.UUID, request: Request, ctx: Admin = admin("notifications:update")
) -> hal.HalResponse:
    row = await service.get_phone_settings(ctx.session, ctx.environment_id, settings_id)
    data = await read_model(request, PhoneDeliverySettingsWrite)
    row = await service.replace_phone_settings(ctx.session, runtime_of(request), row, data)
    return hal.ok(render_phone(row, ctx))


@router.delete(PHONE, status_code=204, response_class=Response)
async def delete_phone_settings(
    settings_id: uuid.UUID, ctx: Admin = admin("notifications:delete")
) -> Response:
    row = await service.get_phone_settings(ctx.session, ctx.environment_id, settings_id)
    await service.delete_phone_settings(ctx.session, row)
    return hal.no_content()
