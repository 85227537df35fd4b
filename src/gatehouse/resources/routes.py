"""/v1/environments/{environmentId}/resources: resources, their secret, scopes and attributes."""

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
from gatehouse.crypto.sealing import Sealer
from gatehouse.resources import service
from gatehouse.resources.defaults import CUSTOM
from gatehouse.resources.models import Resource, ResourceAttribute, ResourceScope, ResourceSecret
from gatehouse.resources.schemas import (
    AttributeBody,
    AttributeView,
    PreviousSecretView,
    ResourceBody,
    ResourceView,
    ScopeBody,
    ScopeView,
    SecretRotation,
    SecretView,
)
from gatehouse.resources.secrets import Secrets, reveal

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Resources"])

RESOURCE = "/resources/{resource_id}"
SCOPE = RESOURCE + "/scopes/{scope_id}"
ATTRIBUTE = RESOURCE + "/attributes/{attribute_id}"


def render_resource(resource: Resource, ctx: Admin) -> dict[str, Any]:
    href = ctx.href(f"/resources/{resource.id}")
    view = ResourceView(
        id=resource.id,
        environment=ref(resource.environment_id),
        name=resource.name,
        description=resource.description,
        type=resource.type,
        audience=resource.audience,
        access_token_validity_seconds=resource.access_token_validity_seconds,
        introspect_endpoint_auth_method=resource.introspect_endpoint_auth_method,
        application_permissions_settings={"claimEnabled": resource.permissions_claim_enabled},
        created_at=resource.created_at,
        updated_at=resource.updated_at,
    )
    links = {
        "environment": ctx.href(),
        "scopes": f"{href}/scopes",
        "attributes": f"{href}/attributes",
    }
    if resource.type == CUSTOM:
        links["secret"] = f"{href}/secret"
    return hal.resource(view, href, **links)


def render_scope(scope: ResourceScope, ctx: Admin) -> dict[str, Any]:
    resource_href = ctx.href(f"/resources/{scope.resource_id}")
    view = ScopeView(
        id=scope.id,
        environment=ref(scope.environment_id),
        resource=ref(scope.resource_id),
        name=scope.name,
        description=scope.description,
        schema_attributes=scope.schema_attributes,
        mapped_claims=scope.mapped_claims,
        created_at=scope.created_at,
        updated_at=scope.updated_at,
    )
    return hal.resource(
        view, f"{resource_href}/scopes/{scope.id}", environment=ctx.href(), resource=resource_href
    )


def render_attribute(attribute: ResourceAttribute, ctx: Admin) -> dict[str, Any]:
    resource_href = ctx.href(f"/resources/{attribute.resource_id}")
    view = AttributeView(
        id=attribute.id,
        environment=ref(attribute.environment_id),
        resource=ref(attribute.resource_id),
        name=attribute.name,
        value=attribute.value,
        type=attribute.type,
        id_token=attribute.id_token,
        user_info=attribute.user_info,
        created_at=attribute.created_at,
        updated_at=attribute.updated_at,
    )
    return hal.resource(
        view,
        f"{resource_href}/attributes/{attribute.id}",
        environment=ctx.href(),
        resource=resource_href,
    )


def render_secret(resource: Resource, found: Secrets, ctx: Admin) -> dict[str, Any]:
    sealer = ctx.runtime.sealer
    view = SecretView(
        environment=ref(resource.environment_id),
        secret=reveal(sealer, found.current),
        previous=_previous_secret(sealer, found.previous),
    )
    resource_href = ctx.href(f"/resources/{resource.id}")
    return hal.resource(view, f"{resource_href}/secret", resource=resource_href)


def _previous_secret(sealer: Sealer, row: ResourceSecret | None) -> PreviousSecretView | None:
    if row is None or row.expires_at is None:
        return None
    return PreviousSecretView(
        secret=reveal(sealer, row), expires_at=row.expires_at, last_used=row.last_used_at
    )


# Resources


@router.get("/resources", responses={200: {"model": Collection}})
async def list_resources(ctx: Admin = admin("resources:read")) -> hal.HalResponse:
    resources = await service.list_resources(ctx.session, ctx.environment_id)
    items = [render_resource(resource, ctx) for resource in resources]
    return hal.ok(hal.collection("resources", items, ctx.href("/resources")))


@router.post(
    "/resources",
    status_code=201,
    responses={201: {"model": ResourceView}},
    openapi_extra=body_doc({JSON: ResourceBody}),
)
async def create_resource(
    request: Request, ctx: Admin = admin("resources:create")
) -> hal.HalResponse:
    data = await read_model(request, ResourceBody)
    resource = await service.create_resource(
        ctx.session, ctx.runtime.sealer, ctx.environment_id, data
    )
    return hal.created(render_resource(resource, ctx))


@router.get(RESOURCE, responses={200: {"model": ResourceView}})
async def read_resource(
    resource_id: uuid.UUID, ctx: Admin = admin("resources:read")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    return hal.ok(render_resource(resource, ctx))


@router.put(
    RESOURCE,
    responses={200: {"model": ResourceView}},
    openapi_extra=body_doc({JSON: ResourceBody}),
)
async def update_resource(
    resource_id: uuid.UUID, request: Request, ctx: Admin = admin("resources:update")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    data = await read_model(request, ResourceBody)
    resource = await service.update_resource(ctx.session, resource, data)
    return hal.ok(render_resource(resource, ctx))


@router.delete(RESOURCE, status_code=204, response_class=Response)
async def delete_resource(
    resource_id: uuid.UUID, ctx: Admin = admin("resources:delete")
) -> Response:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    await service.delete_resource(ctx.session, resource)
    return hal.no_content()


# Secret


@router.get(RESOURCE + "/secret", responses={200: {"model": SecretView}})
async def read_secret(
    resource_id: uuid.UUID, ctx: Admin = admin("resources:read")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    found = await service.read_secret(ctx.session, ctx.runtime.sealer, resource)
    return hal.ok(render_secret(resource, found, ctx))


@router.post(
    RESOURCE + "/secret",
    responses={200: {"model": SecretView}},
    openapi_extra=body_doc({JSON: SecretRotation}, required=False),
)
async def rotate_secret(
    resource_id: uuid.UUID, request: Request, ctx: Admin = admin("resources:update")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    data = (
        await read_model(request, SecretRotation)
        if (await request.body()).strip()
        else SecretRotation()
    )
    found = await service.rotate_secret(ctx.session, ctx.runtime.sealer, resource, data)
    return hal.ok(render_secret(resource, found, ctx))


@router.delete(RESOURCE + "/secret", status_code=204, response_class=Response)
async def delete_previous_secret(
    resource_id: uuid.UUID, ctx: Admin = admin("resources:update")
) -> Response:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    await service.delete_previous_secret(ctx.session, resource)
    return hal.no_content()


# Scopes


@router.get(RESOURCE + "/scopes", responses={200: {"model": Collection}})
async def list_scopes(
    resource_id: uuid.UUID, ctx: Admin = admin("resources:read")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    items = [render_scope(scope, ctx) for scope in await service.list_scopes(ctx.session, resource)]
    return hal.ok(hal.collection("scopes", items, ctx.href(f"/resources/{resource.id}/scopes")))


@router.post(
    RESOURCE + "/scopes",
    status_code=201,
    responses={201: {"model": ScopeView}},
    openapi_extra=body_doc({JSON: ScopeBody}),
)
async def create_scope(
    resource_id: uuid.UUID, request: Request, ctx: Admin = admin("resources:create")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    data = await read_model(request, ScopeBody)
    scope = await service.create_scope(ctx.session, resource, data)
    return hal.created(render_scope(scope, ctx))


@router.get(SCOPE, responses={200: {"model": ScopeView}})
async def read_scope(
    resource_id: uuid.UUID, scope_id: uuid.UUID, ctx: Admin = admin("resources:read")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    scope = await service.get_scope(ctx.session, resource, scope_id)
    return hal.ok(render_scope(scope, ctx))


@router.put(SCOPE, responses={200: {"model": ScopeView}}, openapi_extra=body_doc({JSON: ScopeBody}))
async def update_scope(
    resource_id: uuid.UUID,
    scope_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("resources:update"),
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    scope = await service.get_scope(ctx.session, resource, scope_id)
    data = await read_model(request, ScopeBody)
    scope = await service.update_scope(ctx.session, resource, scope, data)
    return hal.ok(render_scope(scope, ctx))


@router.delete(SCOPE, status_code=204, response_class=Response)
async def delete_scope(
    resource_id: uuid.UUID, scope_id: uuid.UUID, ctx: Admin = admin("resources:delete")
) -> Response:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    scope = await service.get_scope(ctx.session, resource, scope_id)
    await service.delete_scope(ctx.session, resource, scope)
    return hal.no_content()


# Attributes


@router.get(RESOURCE + "/attributes", responses={200: {"model": Collection}})
async def list_attributes(
    resource_id: uuid.UUID, ctx: Admin = admin("resources:read")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    attributes = await service.list_attributes(ctx.session, resource)
    items = [render_attribute(attribute, ctx) for attribute in attributes]
    return hal.ok(
        hal.collection("attributes", items, ctx.href(f"/resources/{resource.id}/attributes"))
    )


@router.post(
    RESOURCE + "/attributes",
    status_code=201,
    responses={201: {"model": AttributeView}},
    openapi_extra=body_doc({JSON: AttributeBody}),
)
async def create_attribute(
    resource_id: uuid.UUID, request: Request, ctx: Admin = admin("resources:create")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    data = await read_model(request, AttributeBody)
    attribute = await service.create_attribute(ctx.session, resource, data)
    return hal.created(render_attribute(attribute, ctx))


@router.get(ATTRIBUTE, responses={200: {"model": AttributeView}})
async def read_attribute(
    resource_id: uuid.UUID, attribute_id: uuid.UUID, ctx: Admin = admin("resources:read")
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    attribute = await service.get_attribute(ctx.session, resource, attribute_id)
    return hal.ok(render_attribute(attribute, ctx))


@router.put(
    ATTRIBUTE,
    responses={200: {"model": AttributeView}},
    openapi_extra=body_doc({JSON: AttributeBody}),
)
async def update_attribute(
    resource_id: uuid.UUID,
    attribute_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("resources:update"),
) -> hal.HalResponse:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    attribute = await service.get_attribute(ctx.session, resource, attribute_id)
    data = await read_model(request, AttributeBody)
    attribute = await service.update_attribute(ctx.session, resource, attribute, data)
    return hal.ok(render_attribute(attribute, ctx))


@router.delete(ATTRIBUTE, status_code=204, response_class=Response)
async def delete_attribute(
    resource_id: uuid.UUID, attribute_id: uuid.UUID, ctx: Admin = admin("resources:delete")
) -> Response:
    resource = await service.get_resource(ctx.session, ctx.environment_id, resource_id)
    attribute = await service.get_attribute(ctx.session, resource, attribute_id)
    await service.delete_attribute(ctx.session, resource, attribute)
    return hal.no_content()
