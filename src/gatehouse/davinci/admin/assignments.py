"""PingOne application -> DaVinci flow policy assignments (the platform's
/applications/{id}/flowPolicyAssignments): which flow policy `/as/authorize` runs for the
application; the lowest priority first."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application
from gatehouse.common.errors import invalid_value, not_found, uniqueness_violation
from gatehouse.davinci.admin.schemas import FlowPolicyAssignmentBody
from gatehouse.davinci.lookup import parse_id
from gatehouse.davinci.models import DavinciFlowPolicy, FlowPolicyAssignment


async def get_application(
    session: AsyncSession, environment_id: uuid.UUID, application_id: str
) -> Application:
    parsed = parse_id(application_id)
    application = await session.get(Application, parsed) if parsed else None
    if application is None or application.environment_id != environment_id:
        raise not_found()
    return application


async def list_assignments(
    session: AsyncSession, application: Application
) -> list[FlowPolicyAssignment]:
    rows = await session.scalars(
        sa.select(FlowPolicyAssignment)
        .where(FlowPolicyAssignment.application_id == application.id)
        .order_by(FlowPolicyAssignment.priority, FlowPolicyAssignment.created_at)
    )
    return list(rows)


async def get_assignment(
    session: AsyncSession, application: Application, assignment_id: str
) -> FlowPolicyAssignment:
    parsed = parse_id(assignment_id)
    assignment = await session.get(FlowPolicyAssignment, parsed) if parsed else None
    if assignment is None or assignment.application_id != application.id:
        raise not_found()
    return assignment


async def _policy_id(
    session: AsyncSession,
    application: Application,
    data: FlowPolicyAssignmentBody,
    exclude: uuid.UUID | None,
) -> uuid.UUID:
    """The assigned flow policy: one of the environment's, not already assigned to the app."""
    parsed = parse_id(data.flow_policy.id)
    policy = await session.get(DavinciFlowPolicy, parsed) if parsed else None
    if policy is None or policy.environment_id != application.environment_id:
        raise invalid_value("flowPolicy.id", "No such flow policy in this environment.")
    query = sa.select(FlowPolicyAssignment.id).where(
        FlowPolicyAssignment.application_id == application.id,
        FlowPolicyAssignment.flow_policy_id == policy.id,
    )
    if exclude is not None:
        query = query.where(FlowPolicyAssignment.id != exclude)
    existing = await session.scalar(query)
    if existing is not None:
        raise uniqueness_violation(
            "flowPolicy.id", "The flow policy is already assigned to the application.", existing
        )
    return policy.id


async def create_assignment(
    session: AsyncSession, application: Application, data: FlowPolicyAssignmentBody
) -> FlowPolicyAssignment:
    assignment = FlowPolicyAssignment(
        environment_id=application.environment_id,
        application_id=application.id,
        flow_policy_id=await _policy_id(session, application, data, None),
        priority=data.priority,
    )
    session.add(assignment)
    try:
        await session.flush()
    except IntegrityError:
        # a concurrent request assigned the same policy (the unique constraint)
        raise uniqueness_violation(
            "flowPolicy.id", "The flow policy is already assigned to the application."
        ) from None
    return assignment


async def replace_assignment(
    session: AsyncSession,
    application: Application,
    assignment: FlowPolicyAssignment,
    data: FlowPolicyAssignmentBody,
) -> FlowPolicyAssignment:
    assignment.flow_policy_id = await _policy_id(session, application, data, assignment.id)
    assignment.priority = data.priority
    await session.flush()
    return assignment


async def delete_assignment(session: AsyncSession, assignment: FlowPolicyAssignment) -> None:
    await session.delete(assignment)
    await session.flush()
