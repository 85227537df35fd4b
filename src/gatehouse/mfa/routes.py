"""/v1/environments/{environmentId}/users/{userId}/devices: users' MFA devices.

Devices are identity data: `devices:read` reads them, `devices:create` pairs one, `devices:update`
activates, renames and orders them, `devices:delete` deletes one; population-scoped
administrators act on their populations' users only (other users are not found).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import clock, hal
from gatehouse.common.bodies import (
    body_doc,
    media_doc,
    read_json,
    read_model,
    require_media_type,
    validate,
)
from gatehouse.common.errors import Problem
from gatehouse.common.schemas import Collection, ref
from gatehouse.directory.models import User
from gatehouse.directory.users.service import get_user
from gatehouse.mfa import service
from gatehouse.mfa.models import MfaDevice
from gatehouse.mfa.policies.schemas import FIDO2
from gatehouse.mfa.schemas import (
    ACTIVATE,
    ACTIVATION_REQUIRED,
    JSON,
    ORDER_REMOVE,
    REORDER,
    SEND_ACTIVATION_CODE,
    DeviceActivate,
    DeviceCreate,
    DeviceNickname,
    DeviceOrder,
    DeviceView,
)

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["MFA devices"])

DEVICES = "/users/{user_id}/devices"
DEVICE = "/users/{user_id}/devices/{device_id}"


def render_device(
    device: MfaDevice, ctx: Admin, pairing: service.Pairing | None = None
) -> dict[str, Any]:
    locked_until = service.lock_state(device, clock.now())
    body: dict[str, Any] = {
        "id": device.id,
        "environment": ref(device.environment_id),
        "user": ref(device.user_id),
        "type": device.type,
        "status": device.status,
        "nickname": device.nickname,
        "phone": device.phone,
        "email": device.email,
        "policy": ref(device.policy_id),
        "createdAt": device.created_at,
        "updatedAt": device.updated_at,
    }
    if locked_until is not None:
        body["lock"] = {"status": "LOCKED", "expiresAt": clock.isoformat(locked_until)}
    if device.type == FIDO2:
        rp = service.relying_party(ctx.runtime)
        body["rp"] = {"id": rp.id, "name": rp.name}
    if pairing is not None and pairing.totp is not None:
        secret = pairing.totp
        body["_embedded"] = {
            "secret": {
                "secret": secret.secret,
                "keyUri": secret.key_uri,
                "qrImage": secret.qr_image,
            }
        }
    if pairing is not None and pairing.registration is not None:
        body["publicKeyCredentialCreationOptions"] = pairing.registration.options
    user_href = ctx.href(f"/users/{device.user_id}")
    href = f"{user_href}/devices/{device.id}"
    links = {"user": user_href, "environment": ctx.href()}
    if device.status == ACTIVATION_REQUIRED:
        links["device.activate"] = href
    return hal.resource(DeviceView.model_validate(body), href, **links)


def render_devices(devices: Sequence[MfaDevice], user: User, ctx: Admin) -> dict[str, Any]:
    items = [render_device(device, ctx) for device in devices]
    return hal.collection("devices", items, ctx.href(f"/users/{user.id}/devices"))


def refused(problem: Problem) -> Response:
    """An error response that does not roll the request back: the failure it reports was counted
    in this unit of work and must be kept."""
    return JSONResponse(problem.render(), status_code=problem.status)


async def _user(ctx: Admin, user_id: uuid.UUID, permission: str) -> User:
    return await get_user(ctx.session, ctx.environment_id, user_id, ctx.populations_for(permission))


async def _device(
    ctx: Admin, user_id: uuid.UUID, device_id: uuid.UUID, permission: str
) -> tuple[User, MfaDevice]:
    user = await _user(ctx, user_id, permission)
    return user, await service.get_device(ctx.session, user, device_id)


# --- the collection ------------------------------------------------------------------------


@router.get(DEVICES, responses={200: {"model": Collection}})
async def list_devices(
    user_id: uuid.UUID, ctx: Admin = admin("devices:read", populations=True)
) -> hal.HalResponse:
    """The user's devices in the user's order: the first is the default device."""
    user = await _user(ctx, user_id, "devices:read")
    return hal.ok(render_devices(await service.list_devices(ctx.session, user), user, ctx))


@router.post(
    DEVICES,
    status_code=201,
    responses={201: {"model": DeviceView}, 200: {"model": Collection}},
    openapi_extra=body_doc({JSON: DeviceCreate, REORDER: DeviceOrder}),
)
async def create_or_reorder_devices(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("devices:read", populations=True)
) -> hal.HalResponse:
    """application/json pairs a device (201, needs `devices:create`);
    devices.reorder+json sets the device order (200 with the ordered devices, `devices:update`)."""
    media_type = require_media_type(request, JSON, REORDER)
    if media_type == REORDER:
        user = await _user(ctx, user_id, "devices:update")
        order = validate(DeviceOrder, await read_json(request))
        devices = await service.reorder_devices(
            ctx.session, user, [entry.id for entry in order.order]
        )
        return hal.ok(render_devices(devices, user, ctx))
    user = await _user(ctx, user_id, "devices:create")
    data = validate(DeviceCreate, await read_json(request))
    pairing = await service.create_device(ctx.session, ctx.runtime, user, data)
    return hal.created(render_device(pairing.device, ctx, pairing))


@router.delete(
    DEVICES, status_code=204, response_class=Response, openapi_extra=media_doc(ORDER_REMOVE)
)
async def remove_device_order(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("devices:update", populations=True)
) -> Response:
    """devices.order.remove+json: the devices go back to creation order."""
    require_media_type(request, ORDER_REMOVE)
    user = await _user(ctx, user_id, "devices:update")
    await service.remove_order(ctx.session, user)
    return hal.no_content()


# --- one device ----------------------------------------------------------------------------


@router.get(DEVICE, responses={200: {"model": DeviceView}})
async def read_device(
    user_id: uuid.UUID, device_id: uuid.UUID, ctx: Admin = admin("devices:read", populations=True)
) -> hal.HalResponse:
    _, device = await _device(ctx, user_id, device_id, "devices:read")
    return hal.ok(render_device(device, ctx))


def _action_doc() -> dict[str, Any]:
    doc = body_doc({ACTIVATE: DeviceActivate})
    doc["requestBody"]["content"].update(media_doc(SEND_ACTIVATION_CODE)["requestBody"]["content"])
    return doc


@router.post(DEVICE, responses={200: {"model": DeviceView}}, openapi_extra=_action_doc())
async def activate_device(
    user_id: uuid.UUID,
    device_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("devices:update", populations=True),
) -> Response:
    """device.activate+json (`{otp}`, or `{attestation, origin}` for FIDO2): the device becomes
    ACTIVE; a wrong code is 400 INVALID_OTP with `failuresRemaining` (counted: at the policy's
    count the device locks). device.sendActivationCode+json: a new code (SMS, VOICE, EMAIL)."""
    # media types compare lowercased
    media_type = require_media_type(request, ACTIVATE, SEND_ACTIVATION_CODE.lower())
    user, device = await _device(ctx, user_id, device_id, "devices:update")
    if media_type != ACTIVATE:
        device = await service.resend_activation_code(ctx.session, ctx.runtime, user, device)
        return hal.ok(render_device(device, ctx))
    data = validate(DeviceActivate, await read_json(request))
    result = await service.activate_device(ctx.session, ctx.runtime, device, data)
    if not result.accepted:
        return refused(service.refusal(result))
    return hal.ok(render_device(device, ctx))


@router.delete(DEVICE, status_code=204, response_class=Response)
async def delete_device(
    user_id: uuid.UUID,
    device_id: uuid.UUID,
    ctx: Admin = admin("devices:delete", populations=True),
) -> Response:
    _, device = await _device(ctx, user_id, device_id, "devices:delete")
    await service.delete_device(ctx.session, device)
    return hal.no_content()


@router.put(
    f"{DEVICE}/nickname",
    responses={200: {"model": DeviceView}},
    openapi_extra=body_doc({JSON: DeviceNickname}),
)
async def update_nickname(
    user_id: uuid.UUID,
    device_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("devices:update", populations=True),
) -> hal.HalResponse:
    _, device = await _device(ctx, user_id, device_id, "devices:update")
    data = await read_model(request, DeviceNickname)
    device = await service.set_nickname(ctx.session, device, data.nickname)
    return hal.ok(render_device(device, ctx))
