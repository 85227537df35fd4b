"""/v1/roles and the role assignments of users, applications and groups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Path
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access import service
from gatehouse.access.dependencies import Admin, OrgAdmin, admin, org_admin
from gatehouse.access.models import Role, RoleAssignment
from gatehouse.access.roles import describe_permission
from gatehouse.access.schemas import (
    Permission,
    RoleAssignmentCreate,
    RoleAssignmentView,
    RoleView,
    ScopeView,
)
from gatehouse.common import hal
from gatehouse.common.bodies import body_doc, read_model
from gatehouse.common.errors import forbidden
from gatehouse.common.schemas import Collection
from gatehouse.common.urls import Urls

router = APIRouter(prefix="/v1", tags=["Roles"])


def render_role(role: Role, urls: Urls) -> dict[str, Any]:
    view = RoleView(
        id=role.id,
        name=role.name,
        description=role.description,
        applicable_to=list(role.applicable_to),
        permissions=[
            Permission(id=permission, description=describe_permission(permission))
            for permission in role.permissions
        ],
    )
    return hal.resource(view, urls.api_href(f"/roles/{role.id}"))


@router.get("/roles", responses={200: {"model": Collection}})
async def list_roles(ctx: OrgAdmin = org_admin()) -> hal.HalResponse:
    if not service.may_read_roles(ctx.caller):
        raise forbidden()
    items = [render_role(role, ctx.urls) for role in await service.list_roles(ctx.session)]
    return hal.ok(hal.collection("roles", items, ctx.urls.api_href("/roles")))


@router.get("/roles/{role_id}", responses={200: {"model": RoleView}})
async def read_role(role_id: uuid.UUID, ctx: OrgAdmin = org_admin()) -> hal.HalResponse:
    if not service.may_read_roles(ctx.caller):
        raise forbidden()
    return hal.ok(render_role(await service.get_role(ctx.session, role_id), ctx.urls))


@dataclass(frozen=True)
class ActorKind:
    """An actor that can hold roles, and where its role assignments live in the URL space."""

    actor_type: str
    collection: str
    parameter: str


ACTOR_KINDS = (
    ActorKind("APPLICATION", "applications", "application_id"),
    ActorKind("USER", "users", "user_id"),
    ActorKind("GROUP", "groups", "group_id"),
)


def render_assignment(assignment: RoleAssignment, href: str, ctx: Admin) -> dict[str, Any]:
    view = RoleAssignmentView(
        id=assignment.id,
        role={"id": str(assignment.role_id)},
        scope=ScopeView(id=assignment.scope_id, type=assignment.scope_type),
        environment={"id": str(assignment.environment_id)},
        read_only=assignment.read_only,
    )
    return hal.resource(
        view,
        href,
        role=ctx.urls.api_href(f"/roles/{assignment.role_id}"),
        environment=ctx.href(),
    )


def add_assignment_routes(kind: ActorKind) -> None:
    """GET list, POST, GET one and DELETE of `kind`'s role assignments."""
    path = (
        f"/environments/{{environment_id}}/{kind.collection}/{{{kind.parameter}}}/roleAssignments"
    )

    def collection_href(ctx: Admin, actor_id: uuid.UUID) -> str:
        return ctx.href(f"/{kind.collection}/{actor_id}/roleAssignments")

    async def list_assignments(
        actor_id: uuid.UUID = Path(alias=kind.parameter), ctx: Admin = admin("roleAssignments:read")
    ) -> hal.HalResponse:
        await service.require_actor(ctx.session, ctx.environment_id, kind.actor_type, actor_id)
        href = collection_href(ctx, actor_id)
        assignments = await service.list_assignments(
            ctx.session, ctx.environment_id, kind.actor_type, actor_id
        )
        items = [render_assignment(a, f"{href}/{a.id}", ctx) for a in assignments]
        return hal.ok(hal.collection("roleAssignments", items, href))

    async def create_assignment(
        request: Request,
        actor_id: uuid.UUID = Path(alias=kind.parameter),
        ctx: Admin = admin("roleAssignments:create"),
    ) -> hal.HalResponse:
        await service.require_actor(ctx.session, ctx.environment_id, kind.actor_type, actor_id)
        data = await read_model(request, RoleAssignmentCreate)
        assignment = await service.assign_role(
            ctx.session, ctx.caller, ctx.environment_id, kind.actor_type, actor_id, data
        )
        href = f"{collection_href(ctx, actor_id)}/{assignment.id}"
        return hal.created(render_assignment(assignment, href, ctx))

    async def read_assignment(
        role_assignment_id: uuid.UUID,
        actor_id: uuid.UUID = Path(alias=kind.parameter),
        ctx: Admin = admin("roleAssignments:read"),
    ) -> hal.HalResponse:
        await service.require_actor(ctx.session, ctx.environment_id, kind.actor_type, actor_id)
        assignment = await service.get_assignment(
            ctx.session, ctx.environment_id, kind.actor_type, actor_id, role_assignment_id
        )
        href = f"{collection_href(ctx, actor_id)}/{assignment.id}"
        return hal.ok(render_assignment(assignment, href, ctx))

    async def delete_assignment(
        role_assignment_id: uuid.UUID,
        actor_id: uuid.UUID = Path(alias=kind.parameter),
        ctx: Admin = admin("roleAssignments:delete"),
    ) -> Response:
        await service.require_actor(ctx.session, ctx.environment_id, kind.actor_type, actor_id)
        assignment = await service.get_assignment(
            ctx.session, ctx.environment_id, kind.actor_type, actor_id, role_assignment_id
        )
        await service.revoke_assignment(ctx.session, ctx.caller, assignment)
        return hal.no_content()

    noun = kind.actor_type.lower()
    router.add_api_route(
        path,
        list_assignments,
        methods=["GET"],
        name=f"list_{noun}_role_assignments",
        responses={200: {"model": Collection}},
    )
    router.add_api_route(
        path,
        create_assignment,
        methods=["POST"],
        name=f"create_{noun}_role_assignment",
        status_code=201,
        responses={201: {"model": RoleAssignmentView}},
        openapi_extra=body_doc({"application/json": RoleAssignmentCreate}),
    )
    router.add_api_route(
        f"{path}/{{role_assignment_id}}",
        read_assignment,
        methods=["GET"],
        name=f"read_{noun}_role_assignment",
        responses={200: {"model": RoleAssignmentView}},
    )
    router.add_api_route(
        f"{path}/{{role_assignment_id}}",
        delete_assignment,
        methods=["DELETE"],
        name=f"delete_{noun}_role_assignment",
        status_code=204,
        response_class=Response,
    )


for _kind in ACTOR_KINDS:
    add_assignment_routes(_kind)
