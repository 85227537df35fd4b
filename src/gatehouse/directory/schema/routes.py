"""/v1/environments/{environmentId}/schemas: the user schema and its attributes."""

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
from gatehouse.directory.models import SchemaAttribute
from gatehouse.directory.schema import service
from gatehouse.directory.schema.builtins import BUILTIN_ATTRIBUTES, CUSTOM, BuiltinAttribute
from gatehouse.directory.schema.schemas import (
    AttributePatch,
    AttributeView,
    AttributeWrite,
    SchemaView,
    SubAttributeView,
)

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Schemas"])


def _schema_href(ctx: Admin) -> str:
    return ctx.href(f"/schemas/{service.user_schema_id(ctx.environment_id)}")


def render_schema(ctx: Admin) -> dict[str, Any]:
    view = SchemaView(
        id=service.user_schema_id(ctx.environment_id),
        environment=ref(ctx.environment_id),
        name=service.SCHEMA_NAME,
        description=service.SCHEMA_DESCRIPTION,
    )
    href = _schema_href(ctx)
    return hal.resource(view, href, environment=ctx.href(), attributes=f"{href}/attributes")


def _sub_view(sub: BuiltinAttribute) -> SubAttributeView:
    return SubAttributeView(
        name=sub.name,
        display_name=sub.display_name,
        description=sub.description,
        schema_type=sub.schema_type,
        type=sub.type,
        enabled=True,
        required=sub.required,
        unique=sub.unique,
        multi_valued=False,
    )


def _builtin_view(builtin: BuiltinAttribute, ctx: Admin) -> AttributeView:
    return AttributeView(
        id=service.builtin_attribute_id(ctx.environment_id, builtin.name),
        environment=ref(ctx.environment_id),
        schema_ref=ref(service.user_schema_id(ctx.environment_id)),
        name=builtin.name,
        display_name=builtin.display_name,
        description=builtin.description,
        schema_type=builtin.schema_type,
        type=builtin.type,
        enabled=True,
        required=builtin.required,
        unique=builtin.unique,
        multi_valued=False,
        sub_attributes=[_sub_view(sub) for sub in builtin.sub_attributes] or None,
    )


def _custom_view(row: SchemaAttribute, ctx: Admin) -> AttributeView:
    return AttributeView(
        id=row.id,
        environment=ref(row.environment_id),
        schema_ref=ref(service.user_schema_id(row.environment_id)),
        name=row.name,
        display_name=row.display_name,
        description=row.description,
        schema_type=CUSTOM,
        type=row.type,
        enabled=row.enabled,
        required=row.required,
        unique=row.unique,
        multi_valued=row.multi_valued,
        enumerated_values=row.enumerated_values,
        regex_validation=row.regex_validation,
    )


def render_attribute(attribute: BuiltinAttribute | SchemaAttribute, ctx: Admin) -> dict[str, Any]:
    view = (
        _builtin_view(attribute, ctx)
        if isinstance(attribute, BuiltinAttribute)
        else _custom_view(attribute, ctx)
    )
    schema_href = _schema_href(ctx)
    return hal.resource(view, f"{schema_href}/attributes/{view.id}", schema=schema_href)


@router.get("/schemas", responses={200: {"model": Collection}})
async def list_schemas(ctx: Admin = admin("schemas:read")) -> hal.HalResponse:
    return hal.ok(hal.collection("schemas", [render_schema(ctx)], ctx.href("/schemas")))


@router.get("/schemas/{schema_id}", responses={200: {"model": SchemaView}})
async def read_schema(schema_id: uuid.UUID, ctx: Admin = admin("schemas:read")) -> hal.HalResponse:
    service.ensure_schema(ctx.environment_id, schema_id)
    return hal.ok(render_schema(ctx))


@router.get("/schemas/{schema_id}/attributes", responses={200: {"model": Collection}})
async def list_attributes(
    schema_id: uuid.UUID, ctx: Admin = admin("schemas:read")
) -> hal.HalResponse:
    service.ensure_schema(ctx.environment_id, schema_id)
    custom = await service.custom_attributes(ctx.session, ctx.environment_id)
    items = [render_attribute(attribute, ctx) for attribute in (*BUILTIN_ATTRIBUTES, *custom)]
    return hal.ok(hal.collection("attributes", items, f"{_schema_href(ctx)}/attributes"))


@router.post(
    "/schemas/{schema_id}/attributes",
    status_code=201,
    responses={201: {"model": AttributeView}},
    openapi_extra=body_doc({"application/json": AttributeWrite}),
)
async def create_attribute(
    schema_id: uuid.UUID, request: Request, ctx: Admin = admin("schemas:create")
) -> hal.HalResponse:
    service.ensure_schema(ctx.environment_id, schema_id)
    data = await read_model(request, AttributeWrite)
    row = await service.create_attribute(ctx.session, ctx.environment_id, data)
    return hal.created(render_attribute(row, ctx))


@router.get(
    "/schemas/{schema_id}/attributes/{attribute_id}", responses={200: {"model": AttributeView}}
)
async def read_attribute(
    schema_id: uuid.UUID, attribute_id: uuid.UUID, ctx: Admin = admin("schemas:read")
) -> hal.HalResponse:
    service.ensure_schema(ctx.environment_id, schema_id)
    attribute = await service.get_attribute(ctx.session, ctx.environment_id, attribute_id)
    return hal.ok(render_attribute(attribute, ctx))


@router.put(
    "/schemas/{schema_id}/attributes/{attribute_id}",
    responses={200: {"model": AttributeView}},
    openapi_extra=body_doc({"application/json": AttributeWrite}),
)
async def replace_attribute(
    schema_id: uuid.UUID,
    attribute_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("schemas:update"),
) -> hal.HalResponse:
    service.ensure_schema(ctx.environment_id, schema_id)
    attribute = await service.get_attribute(ctx.session, ctx.environment_id, attribute_id)
    data = await read_model(request, AttributeWrite)
    row = await service.replace_attribute(ctx.session, attribute, data)
    return hal.ok(render_attribute(row, ctx))


@router.patch(
    "/schemas/{schema_id}/attributes/{attribute_id}",
    responses={200: {"model": AttributeView}},
    openapi_extra=body_doc({"application/json": AttributePatch}),
)
async def patch_attribute(
    schema_id: uuid.UUID,
    attribute_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("schemas:update"),
) -> hal.HalResponse:
    service.ensure_schema(ctx.environment_id, schema_id)
    attribute = await service.get_attribute(ctx.session, ctx.environment_id, attribute_id)
    patch = await read_model(request, AttributePatch)
    row = await service.patch_attribute(ctx.session, attribute, patch)
    return hal.ok(render_attribute(row, ctx))


@router.delete(
    "/schemas/{schema_id}/attributes/{attribute_id}", status_code=204, response_class=Response
)
async def delete_attribute(
    schema_id: uuid.UUID, attribute_id: uuid.UUID, ctx: Admin = admin("schemas:delete")
) -> Response:
    service.ensure_schema(ctx.environment_id, schema_id)
    attribute = await service.get_attribute(ctx.session, ctx.environment_id, attribute_id)
    await service.delete_attribute(ctx.session, attribute)
    return hal.no_content()
