"""/v1/organizations and /v1/environments."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, OrgAdmin, admin, org_admin
from gatehouse.common import hal
from gatehouse.common.bodies import body_doc, read_model
from gatehouse.common.errors import forbidden
from gatehouse.common.pagination import Order, parse_limit, parse_order
from gatehouse.common.queries import ListQuery, list_query
from gatehouse.common.schemas import Collection, ref
from gatehouse.common.urls import Urls
from gatehouse.environments import service
from gatehouse.environments.models import Environment, Organization
from gatehouse.environments.schemas import (
    EnvironmentCreate,
    EnvironmentTypeUpdate,
    EnvironmentUpdate,
    EnvironmentView,
    OrganizationView,
)

router = APIRouter(prefix="/v1", tags=["Environments"])


def render_environment(environment: Environment, urls: Urls) -> dict[str, Any]:
    href = urls.api_href(f"/environments/{environment.id}")
    view = EnvironmentView(
        id=environment.id,
        name=environment.name,
        description=environment.description,
        type=environment.type,
        region=environment.region,
        status=environment.status,
        organization=ref(environment.organization_id),
        license=ref(environment.license_id),
        icon=environment.icon,
        bill_of_materials=environment.bill_of_materials,
        created_at=environment.created_at,
        updated_at=environment.updated_at,
    )
    return hal.resource(
        view,
        href,
        organization=urls.api_href(f"/organizations/{environment.organization_id}"),
        populations=f"{href}/populations",
        users=f"{href}/users",
        applications=f"{href}/applications",
        resources=f"{href}/resources",
        signOnPolicies=f"{href}/signOnPolicies",
    )


def render_organization(organization: Organization, urls: Urls) -> dict[str, Any]:
    view = OrganizationView(
        id=organization.id,
        name=organization.name,
        type=organization.type,
        created_at=organization.created_at,
        updated_at=organization.updated_at,
    )
    return hal.resource(view, urls.api_href(f"/organizations/{organization.id}"))


@router.get("/organizations", responses={200: {"model": Collection}})
async def list_organizations(ctx: OrgAdmin = org_admin()) -> hal.HalResponse:
    organization = await service.get_organization(ctx.session, ctx.caller.organization_id)
    items = [render_organization(organization, ctx.urls)]
    return hal.ok(hal.collection("organizations", items, ctx.urls.api_href("/organizations")))


@router.get("/organizations/{organization_id}", responses={200: {"model": OrganizationView}})
async def read_organization(
    organization_id: uuid.UUID, ctx: OrgAdmin = org_admin()
) -> hal.HalResponse:
    if organization_id != ctx.caller.organization_id:
        raise forbidden()
    organization = await service.get_organization(ctx.session, organization_id)
    return hal.ok(render_organization(organization, ctx.urls))


@router.get("/environments", responses={200: {"model": Collection}})
async def list_environments(
    ctx: OrgAdmin = org_admin(), query: ListQuery = Depends(list_query)
) -> hal.HalResponse:
    readable = None
    if not ctx.caller.may_in_organization("environments:read"):
        readable = [
            grant.scope_id
            for grant in ctx.caller.grants
            if grant.scope_type == "ENVIRONMENT" and "environments:read" in grant.permissions
        ]
    page = await service.list_environments(
        ctx.session,
        readable,
        ctx.caller.organization_id,
        filter_text=query.filter,
        order=parse_order(query.order, service.ORDER, Order(Environment.created_at)),
        limit=parse_limit(query.limit),
        cursor=query.cursor,
    )
    items = [render_environment(environment, ctx.urls) for environment in page.items]
    return hal.ok(
        hal.collection(
            "environments",
            items,
            ctx.urls.api_href("/environments"),
            query=query.echo(),
            count=page.count,
            next_cursor=page.next_cursor,
        )
    )


@router.post(
    "/environments",
    status_code=201,
    responses={201: {"model": EnvironmentView}},
    openapi_extra=body_doc({"application/json": EnvironmentCreate}),
)
async def create_environment(request: Request, ctx: OrgAdmin = org_admin()) -> hal.HalResponse:
    if not ctx.caller.may_in_organization("environments:create"):
        raise forbidden()
    data = await read_model(request, EnvironmentCreate)
    environment = await service.create_environment(
        ctx.session,
        ctx.runtime.sealer,
        ctx.caller.organization_id,
        data,
        api_audience=ctx.runtime.settings.api_audience,
        creator=ctx.caller,
    )
    return hal.created(render_environment(environment, ctx.urls))


@router.get("/environments/{environment_id}", responses={200: {"model": EnvironmentView}})
async def read_environment(ctx: Admin = admin("environments:read")) -> hal.HalResponse:
    return hal.ok(render_environment(ctx.environment, ctx.urls))


@router.put(
    "/environments/{environment_id}",
    responses={200: {"model": EnvironmentView}},
    openapi_extra=body_doc({"application/json": EnvironmentUpdate}),
)
async def update_environment(
    request: Request, ctx: Admin = admin("environments:update")
) -> hal.HalResponse:
    data = await read_model(request, EnvironmentUpdate)
    environment = await service.update_environment(ctx.session, ctx.environment, data)
    return hal.ok(render_environment(environment, ctx.urls))


@router.put(
    "/environments/{environment_id}/type",
    responses={200: {"model": EnvironmentView}},
    openapi_extra=body_doc({"application/json": EnvironmentTypeUpdate}),
)
async def update_environment_type(
    request: Request, ctx: Admin = admin("environments:update")
) -> hal.HalResponse:
    data = await read_model(request, EnvironmentTypeUpdate)
    environment = await service.set_environment_type(ctx.session, ctx.environment, data.type)
    return hal.ok(render_environment(environment, ctx.urls))


@router.delete("/environments/{environment_id}", status_code=204, response_class=Response)
async def delete_environment(ctx: Admin = admin("environments:delete")) -> Response:
    await service.delete_environment(ctx.session, ctx.environment)
    return hal.no_content()
