"""/v1/environments/{environmentId}/signOnPolicies[/{policyId}/actions] and
/v1/environments/{environmentId}/applications/{appId}/signOnPolicyAssignments.

Policies and their actions need `signOnPolicies:<read|create|update|delete>` (creating, replacing
or deleting an action needs the verb of that operation). Assignments are part of an application's
configuration: reading them needs `applications:read`, changing them `applications:update`.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.applications.models import Application
from gatehouse.common import hal
from gatehouse.common.bodies import JSON, body_doc, read_json, read_model, require_media_type
from gatehouse.common.schemas import Collection, ref
from gatehouse.policies import service
from gatehouse.policies.models import SignOnPolicy, SignOnPolicyAction, SignOnPolicyAssignment
from gatehouse.policies.schemas import (
    ActionBase,
    SignOnPolicyActionBody,
    SignOnPolicyActionView,
    SignOnPolicyAssignmentBody,
    SignOnPolicyAssignmentView,
    SignOnPolicyCreate,
    SignOnPolicyUpdate,
    SignOnPolicyView,
    parse_action,
)

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Sign-on policies"])

POLICIES = "/signOnPolicies"
POLICY = "/signOnPolicies/{policy_id}"
ACTIONS = "/signOnPolicies/{policy_id}/actions"
ACTION = "/signOnPolicies/{policy_id}/actions/{action_id}"
ASSIGNMENTS = "/applications/{application_id}/signOnPolicyAssignments"
ASSIGNMENT = "/applications/{application_id}/signOnPolicyAssignments/{assignment_id}"


def render_policy(policy: SignOnPolicy, ctx: Admin) -> dict[str, Any]:
    href = ctx.href(f"/signOnPolicies/{policy.id}")
    view = SignOnPolicyView(
        id=policy.id,
        name=policy.name,
        description=policy.description,
        default=policy.default,
        environment=ref(policy.environment_id),
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )
    return hal.resource(view, href, environment=ctx.href(), actions=f"{href}/actions")


def render_action(action: SignOnPolicyAction, ctx: Admin) -> dict[str, Any]:
    policy_href = ctx.href(f"/signOnPolicies/{action.policy_id}")
    view = SignOnPolicyActionView(
        id=action.id,
        type=action.type,
        priority=action.priority,
        condition=action.condition,
        sign_on_policy=ref(action.policy_id),
        environment=ref(action.environment_id),
        created_at=action.created_at,
        updated_at=action.updated_at,
        **action.config,
    )
    return hal.resource(
        view, f"{policy_href}/actions/{action.id}", environment=ctx.href(), signOnPolicy=policy_href
    )


def render_assignment(assignment: SignOnPolicyAssignment, ctx: Admin) -> dict[str, Any]:
    application_href = ctx.href(f"/applications/{assignment.application_id}")
    view = SignOnPolicyAssignmentView(
        id=assignment.id,
        sign_on_policy=ref(assignment.policy_id),
        priority=assignment.priority,
        application=ref(assignment.application_id),
        environment=ref(assignment.environment_id),
        created_at=assignment.created_at,
        updated_at=assignment.updated_at,
    )
    return hal.resource(
        view,
        f"{application_href}/signOnPolicyAssignments/{assignment.id}",
        environment=ctx.href(),
        application=application_href,
        signOnPolicy=ctx.href(f"/signOnPolicies/{assignment.policy_id}"),
    )


# --- policies -----------------------------------------------------------------------------------


@router.get(POLICIES, responses={200: {"model": Collection}})
async def list_policies(ctx: Admin = admin("signOnPolicies:read")) -> hal.HalResponse:
    policies = await service.list_policies(ctx.session, ctx.environment_id)
    items = [render_policy(policy, ctx) for policy in policies]
    return hal.ok(hal.collection("signOnPolicies", items, ctx.href(POLICIES)))


@router.post(
    POLICIES,
    status_code=201,
    responses={201: {"model": SignOnPolicyView}},
    openapi_extra=body_doc({JSON: SignOnPolicyCreate}),
)
async def create_policy(
    request: Request, ctx: Admin = admin("signOnPolicies:create")
) -> hal.HalResponse:
    data = await read_model(request, SignOnPolicyCreate)
    policy = await service.create_policy(ctx.session, ctx.environment_id, data)
    return hal.created(render_policy(policy, ctx))


@router.get(POLICY, responses={200: {"model": SignOnPolicyView}})
async def read_policy(
    policy_id: uuid.UUID, ctx: Admin = admin("signOnPolicies:read")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    return hal.ok(render_policy(policy, ctx))


@router.put(
    POLICY,
    responses={200: {"model": SignOnPolicyView}},
    openapi_extra=body_doc({JSON: SignOnPolicyUpdate}),
)
async def update_policy(
    policy_id: uuid.UUID, request: Request, ctx: Admin = admin("signOnPolicies:update")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    data = await read_model(request, SignOnPolicyUpdate)
    policy = await service.update_policy(ctx.session, policy, data)
    return hal.ok(render_policy(policy, ctx))


@router.delete(POLICY, status_code=204, response_class=Response)
async def delete_policy(
    policy_id: uuid.UUID, ctx: Admin = admin("signOnPolicies:delete")
) -> Response:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    await service.delete_policy(ctx.session, policy)
    return hal.no_content()


# --- actions ------------------------------------------------------------------------------------


async def _action_body(request: Request) -> ActionBase:
    """The body of POST/PUT on actions: validated by the model of its `type`."""
    require_media_type(request, JSON)
    return parse_action(await read_json(request))


@router.get(ACTIONS, responses={200: {"model": Collection}})
async def list_actions(
    policy_id: uuid.UUID, ctx: Admin = admin("signOnPolicies:read")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    actions = await service.list_actions(ctx.session, policy)
    items = [render_action(action, ctx) for action in actions]
    return hal.ok(
        hal.collection("actions", items, ctx.href(f"/signOnPolicies/{policy.id}/actions"))
    )


@router.post(
    ACTIONS,
    status_code=201,
    responses={201: {"model": SignOnPolicyActionView}},
    openapi_extra=body_doc({JSON: SignOnPolicyActionBody}),
)
async def create_action(
    policy_id: uuid.UUID, request: Request, ctx: Admin = admin("signOnPolicies:create")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    data = await _action_body(request)
    action = await service.create_action(ctx.session, policy, data)
    return hal.created(render_action(action, ctx))


@router.get(ACTION, responses={200: {"model": SignOnPolicyActionView}})
async def read_action(
    policy_id: uuid.UUID, action_id: uuid.UUID, ctx: Admin = admin("signOnPolicies:read")
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    action = await service.get_action(ctx.session, policy, action_id)
    return hal.ok(render_action(action, ctx))


@router.put(
    ACTION,
    responses={200: {"model": SignOnPolicyActionView}},
    openapi_extra=body_doc({JSON: SignOnPolicyActionBody}),
)
async def update_action(
    policy_id: uuid.UUID,
    action_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("signOnPolicies:update"),
) -> hal.HalResponse:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    action = await service.get_action(ctx.session, policy, action_id)
    data = await _action_body(request)
    action = await service.update_action(ctx.session, policy, action, data)
    return hal.ok(render_action(action, ctx))


@router.delete(ACTION, status_code=204, response_class=Response)
async def delete_action(
    policy_id: uuid.UUID, action_id: uuid.UUID, ctx: Admin = admin("signOnPolicies:delete")
) -> Response:
    policy = await service.get_policy(ctx.session, ctx.environment_id, policy_id)
    action = await service.get_action(ctx.session, policy, action_id)
    await service.delete_action(ctx.session, action)
    return hal.no_content()


# --- assignments --------------------------------------------------------------------------------


async def _application(ctx: Admin, application_id: uuid.UUID) -> Application:
    return await service.get_application(ctx.session, ctx.environment_id, application_id)


@router.get(ASSIGNMENTS, responses={200: {"model": Collection}})
async def list_assignments(
    application_id: uuid.UUID, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await _application(ctx, application_id)
    assignments = await service.list_assignments(ctx.session, application)
    items = [render_assignment(assignment, ctx) for assignment in assignments]
    href = ctx.href(f"/applications/{application.id}/signOnPolicyAssignments")
    return hal.ok(hal.collection("signOnPolicyAssignments", items, href))


@router.post(
    ASSIGNMENTS,
    status_code=201,
    responses={201: {"model": SignOnPolicyAssignmentView}},
    openapi_extra=body_doc({JSON: SignOnPolicyAssignmentBody}),
)
async def create_assignment(
    application_id: uuid.UUID, request: Request, ctx: Admin = admin("applications:update")
) -> hal.HalResponse:
    application = await _application(ctx, application_id)
    data = await read_model(request, SignOnPolicyAssignmentBody)
    assignment = await service.create_assignment(ctx.session, application, data)
    return hal.created(render_assignment(assignment, ctx))


@router.get(ASSIGNMENT, responses={200: {"model": SignOnPolicyAssignmentView}})
async def read_assignment(
    application_id: uuid.UUID, assignment_id: uuid.UUID, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await _application(ctx, application_id)
    assignment = await service.get_assignment(ctx.session, application, assignment_id)
    return hal.ok(render_assignment(assignment, ctx))


@router.put(
    ASSIGNMENT,
    responses={200: {"model": SignOnPolicyAssignmentView}},
    openapi_extra=body_doc({JSON: SignOnPolicyAssignmentBody}),
)
async def update_assignment(
    application_id: uuid.UUID,
    assignment_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("applications:update"),
) -> hal.HalResponse:
    application = await _application(ctx, application_id)
    assignment = await service.get_assignment(ctx.session, application, assignment_id)
    data = await read_model(request, SignOnPolicyAssignmentBody)
    assignment = await service.update_assignment(ctx.session, application, assignment, data)
    return hal.ok(render_assignment(assignment, ctx))


@router.delete(ASSIGNMENT, status_code=204, response_class=Response)
async def delete_assignment(
    application_id: uuid.UUID, assignment_id: uuid.UUID, ctx: Admin = admin("applications:update")
) -> Response:
    application = await _application(ctx, application_id)
    assignment = await service.get_assignment(ctx.session, application, assignment_id)
    await service.delete_assignment(ctx.session, assignment)
    return hal.no_content()
