"""/v1/environments/{environmentId}/deviceAuthenticationPolicies: MFA policies.

Reading needs `mfaPolicies:read`; creating, replacing and deleting the matching verb.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import JSON, body_doc, read_model
from gatehouse.common.schemas import Collection, ref
from gatehouse.mfa.models import DeviceAuthenticationPolicy
from gatehouse.mfa.policies import service
from gatehouse.mfa.policies.schemas import (
    DeviceAuthenticationPolicyView,
    DeviceAuthenticationPolicyWrite,
)

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["MFA policies"])

POLICIES = "/deviceAuthenticationPolicies"
POLICY = "/deviceAuthenticationPolicies/{policy_id}"


def render_policy(policy: DeviceAuthenticationPolicy, ctx: Admin) -> dict[str, Any]:
    view = DeviceAuthenticationPolicyView.model_validate(
        {
            **policy.settings,
            "id": policy.id,
            "environment": ref(policy.environment_id),
            "name": policy.name,
            "default": policy.default,
            "createdAt": policy.created_at,
            "updatedAt": policy.updated_at,
        }
    )
    return hal.resource(view, ctx.href(f"{POLICIES}/{policy.id}"), environment=ctx.href())


@router.get(POLICIES, responses={200: {"model": Collection}})
async def list_policies(ctx: Admin = admin("mfaPolicies:read")) -> hal.HalResponse:
    policies = await service.list_policies(ctx.session, ctx.environment_id)
    items = [render_policy(policy, ctx) for policy in policies]
    return hal.ok(hal.collection("deviceAuthenticationPolicies", items, ctx.href(POLICIES)))


@router.post(
    POLICIES,
    status_code=201,
    responses={201: {"model": DeviceAuthenticationPolicyView}},
    openapi_extra=body_doc({JSON: DeviceAuthenticationPolicyWrite}),
)
async def create_policy(
    request: Request, ctx: Admin = admin("mfaPolicies:create")
) -> hal.HalResponse:
    data = await read_model(request, DeviceAuthenticationPolicyWrite)
    policy = await service.create_policy(ctx.session, ctx.environment_id, data)
    return hal.created(render_policy(policy, ctx))


@router.get(POLICY, responses={200: {"model": DeviceAuthenticationPolicyView}})
async def read_policy(
    policy_id: uuid.UUID, ctx: Admin = admin("mfaPolicies:read")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    return hal.ok(render_policy(policy, ctx))


@router.put(
    POLICY,
    responses={200: {"model": DeviceAuthenticationPolicyView}},
    openapi_extra=body_doc({JSON: DeviceAuthenticationPolicyWrite}),
)
async def replace_policy(
    policy_id: uuid.UUID, request: Request, ctx: Admin = admin("mfaPolicies:update")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    data = await read_model(request, DeviceAuthenticationPolicyWrite)
    policy = await service.update_policy(ctx.session, policy, data)
    return hal.ok(render_policy(policy, ctx))


@router.delete(POLICY, status_code=204, response_class=Response)
async def delete_policy(policy_id: uuid.UUID, ctx: Admin = admin("mfaPolicies:delete")) -> Response:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    await service.delete_policy(ctx.session, policy)
    return hal.no_content()
