"""/v1/environments/{environmentId}/passwordPolicies."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import body_doc, read_model
from gatehouse.common.schemas import Collection, ref
from gatehouse.directory.models import PasswordPolicy
from gatehouse.directory.password_policies import service
from gatehouse.directory.password_policies.schemas import PasswordPolicyView, PasswordPolicyWrite

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Password policies"])


def render_policy(policy: PasswordPolicy, population_count: int, ctx: Admin) -> dict[str, Any]:
    view = PasswordPolicyView.model_validate(
        {
            **policy.rules,
            "id": policy.id,
            "environment": ref(policy.environment_id),
            "name": policy.name,
            "description": policy.description,
            "default": policy.default,
            "populationCount": population_count,
            "createdAt": policy.created_at,
            "updatedAt": policy.updated_at,
        }
    )
    return hal.resource(view, ctx.href(f"/passwordPolicies/{policy.id}"), environment=ctx.href())


async def _render_one(policy: PasswordPolicy, ctx: Admin) -> dict[str, Any]:
    counts = await service.population_counts(ctx.session, [policy.id])
    return render_policy(policy, counts.get(policy.id, 0), ctx)


@router.get("/passwordPolicies", responses={200: {"model": Collection}})
async def list_password_policies(ctx: Admin = admin("passwordPolicies:read")) -> hal.HalResponse:
    policies = await service.list_policies(ctx.session, ctx.environment_id)
    counts = await service.population_counts(ctx.session, [policy.id for policy in policies])
    items = [render_policy(policy, counts.get(policy.id, 0), ctx) for policy in policies]
    return hal.ok(hal.collection("passwordPolicies", items, ctx.href("/passwordPolicies")))


@router.post(
    "/passwordPolicies",
    status_code=201,
    responses={201: {"model": PasswordPolicyView}},
    openapi_extra=body_doc({"application/json": PasswordPolicyWrite}),
)
async def create_password_policy(
    request: Request, ctx: Admin = admin("passwordPolicies:create")
) -> hal.HalResponse:
    data = await read_model(request, PasswordPolicyWrite)
    policy = await service.create_policy(ctx.session, ctx.environment_id, data)
    return hal.created(render_policy(policy, 0, ctx))


@router.get("/passwordPolicies/{policy_id}", responses={200: {"model": PasswordPolicyView}})
async def read_password_policy(
    policy_id: uuid.UUID, ctx: Admin = admin("passwordPolicies:read")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    return hal.ok(await _render_one(policy, ctx))


@router.put(
    "/passwordPolicies/{policy_id}",
    responses={200: {"model": PasswordPolicyView}},
    openapi_extra=body_doc({"application/json": PasswordPolicyWrite}),
)
async def update_password_policy(
    policy_id: uuid.UUID, request: Request, ctx: Admin = admin("passwordPolicies:update")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    data = await read_model(request, PasswordPolicyWrite)
    policy = await service.update_policy(ctx.session, policy, data)
    return hal.ok(await _render_one(policy, ctx))


@router.delete("/passwordPolicies/{policy_id}", status_code=204, response_class=Response)
async def delete_password_policy(
    policy_id: uuid.UUID, ctx: Admin = admin("passwordPolicies:delete")
) -> Response:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    await service.delete_policy(ctx.session, policy)
    return hal.no_content()
