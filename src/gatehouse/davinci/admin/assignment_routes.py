"""/v1/environments/{envId}/applications/{appId}/flowPolicyAssignments: a PingOne application's
DaVinci flow policies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import JSON, body_doc, read_model
from gatehouse.common.schemas import Collection, ref
from gatehouse.davinci.admin import assignments as service
from gatehouse.davinci.admin.schemas import FlowPolicyAssignmentBody, FlowPolicyAssignmentView
from gatehouse.davinci.models import FlowPolicyAssignment

router = APIRouter(
    prefix="/v1/environments/{environment_id}", tags=["Application Flow Policy Assignments"]
)

ASSIGNMENTS = "/applications/{application_id}/flowPolicyAssignments"
ASSIGNMENT = ASSIGNMENTS + "/{assignment_id}"


def render_assignment(assignment: FlowPolicyAssignment, ctx: Admin) -> dict[str, Any]:
    application_href = ctx.href(f"/applications/{assignment.application_id}")
    view = FlowPolicyAssignmentView(
        id=str(assignment.id),
        environment=ref(assignment.environment_id),
        application=ref(assignment.application_id),
        flow_policy={"id": assignment.flow_policy_id.hex},
        priority=assignment.priority,
        created_at=assignment.created_at,
        updated_at=assignment.updated_at,
    )
    return hal.resource(
        view,
        f"{application_href}/flowPolicyAssignments/{assignment.id}",
        application=application_href,
        flowPolicy=ctx.href(f"/flowPolicies/{assignment.flow_policy_id.hex}"),
    )


@router.get(ASSIGNMENTS, responses={200: {"model": Collection}})
async def list_assignments(
    application_id: str, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    assignments = await service.list_assignments(ctx.session, application)
    items = [render_assignment(assignment, ctx) for assignment in assignments]
    href = ctx.href(f"/applications/{application.id}/flowPolicyAssignments")
    return hal.ok(hal.collection("flowPolicyAssignments", items, href))


@router.post(
    ASSIGNMENTS,
    status_code=201,
    responses={201: {"model": FlowPolicyAssignmentView}},
    openapi_extra=body_doc({JSON: FlowPolicyAssignmentBody}),
)
async def create_assignment(
    application_id: str, request: Request, ctx: Admin = admin("applications:update")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    data = await read_model(request, FlowPolicyAssignmentBody)
    assignment = await service.create_assignment(ctx.session, application, data)
    return hal.created(render_assignment(assignment, ctx))


@router.get(ASSIGNMENT, responses={200: {"model": FlowPolicyAssignmentView}})
async def read_assignment(
    application_id: str, assignment_id: str, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    assignment = await service.get_assignment(ctx.session, application, assignment_id)
    return hal.ok(render_assignment(assignment, ctx))


@router.put(
    ASSIGNMENT,
    responses={200: {"model": FlowPolicyAssignmentView}},
    openapi_extra=body_doc({JSON: FlowPolicyAssignmentBody}),
)
async def replace_assignment(
    application_id: str,
    assignment_id: str,
    request: Request,
    ctx: Admin = admin("applications:update"),
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    assignment = await service.get_assignment(ctx.session, application, assignment_id)
    data = await read_model(request, FlowPolicyAssignmentBody)
    assignment = await service.replace_assignment(ctx.session, application, assignment, data)
    return hal.ok(render_assignment(assignment, ctx))


@router.delete(ASSIGNMENT, status_code=204, response_class=Response)
async def delete_assignment(
    application_id: str, assignment_id: str, ctx: Admin = admin("applications:update")
) -> Response:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    assignment = await service.get_assignment(ctx.session, application, assignment_id)
    await service.delete_assignment(ctx.session, assignment)
    return hal.no_content()
