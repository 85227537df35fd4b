"""/v1/environments/{environmentId}/templates and /templates/{templateName}/contents
(pingone/06 section 2). Reading needs `notifications:read`; creating, replacing and deleting
contents the matching verb. The bulk variant operations (PATCH and DELETE on /contents) are not
offered."""

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
from gatehouse.notifications import contents
from gatehouse.notifications.catalogue import TEMPLATES, TemplateInfo
from gatehouse.notifications.models import TemplateContent
from gatehouse.notifications.schemas import (
    TemplateContentView,
    TemplateContentWrite,
    TemplateView,
)

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Notification templates"])

TEMPLATE = "/templates/{template_name}"
CONTENTS = "/templates/{template_name}/contents"
CONTENT = "/templates/{template_name}/contents/{content_id}"


def render_template(info: TemplateInfo, ctx: Admin) -> dict[str, Any]:
    view = TemplateView(
        id=info.template_id(ctx.environment_id),
        environment=ref(ctx.environment_id),
        name=info.name,
        display_name=info.display_name,
        description=info.description,
        delivery_methods=list(info.delivery_methods),
        variables=info.variables,
        allow_dynamic_variables=info.dynamic,
    )
    return hal.resource(
        view,
        ctx.href(f"/templates/{info.name}"),
        environment=ctx.href(),
        contents=ctx.href(f"/templates/{info.name}/contents"),
    )


def render_content(content: TemplateContent, ctx: Admin) -> dict[str, Any]:
    info = TEMPLATES[content.template]
    view = TemplateContentView.model_validate(
        {
            **{key: value for key, value in content.fields.items() if value is not None},
            "id": content.id,
            "environment": ref(content.environment_id),
            "template": ref(info.template_id(content.environment_id)),
            "locale": content.locale,
            "deliveryMethod": content.delivery_method,
            "variant": content.variant,
            "createdAt": content.created_at,
            "updatedAt": content.updated_at,
        }
    )
    return hal.resource(
        view,
        ctx.href(f"/templates/{content.template}/contents/{content.id}"),
        environment=ctx.href(),
        template=ctx.href(f"/templates/{content.template}"),
    )


@router.get("/templates", responses={200: {"model": Collection}})
async def list_templates(ctx: Admin = admin("notifications:read")) -> hal.HalResponse:
    items = [render_template(info, ctx) for info in TEMPLATES.values()]
    return hal.ok(hal.collection("templates", items, ctx.href("/templates")))


@router.get(TEMPLATE, responses={200: {"model": TemplateView}})
async def read_template(
    template_name: str, ctx: Admin = admin("notifications:read")
) -> hal.HalResponse:
    return hal.ok(render_template(contents.template_info(template_name), ctx))


@router.get(CONTENTS, responses={200: {"model": Collection}})
async def list_contents(
    template_name: str, ctx: Admin = admin("notifications:read")
) -> hal.HalResponse:
    rows = await contents.list_contents(ctx.session, ctx.environment_id, template_name)
    items = [render_content(row, ctx) for row in rows]
    return hal.ok(
        hal.collection("contents", items, ctx.href(f"/templates/{template_name}/contents"))
    )


@router.post(
    CONTENTS,
    status_code=201,
    responses={201: {"model": TemplateContentView}},
    openapi_extra=body_doc({JSON: TemplateContentWrite}),
)
async def create_content(
    template_name: str, request: Request, ctx: Admin = admin("notifications:create")
) -> hal.HalResponse:
    contents.template_info(template_name)
    data = await read_model(request, TemplateContentWrite)
    content = await contents.create_content(ctx.session, ctx.environment_id, template_name, data)
    return hal.created(render_content(content, ctx))


@router.get(CONTENT, responses={200: {"model": TemplateContentView}})
async def read_content(
    template_name: str, content_id: uuid.UUID, ctx: Admin = admin("notifications:read")
) -> hal.HalResponse:
    content = await contents.get_content(ctx.session, ctx.environment_id, template_name, content_id)
    return hal.ok(render_content(content, ctx))


@router.put(
    CONTENT,
    responses={200: {"model": TemplateContentView}},
    openapi_extra=body_doc({JSON: TemplateContentWrite}),
)
async def replace_content(
    template_name: str,
    content_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("notifications:update"),
) -> hal.HalResponse:
    content = await contents.get_content(ctx.session, ctx.environment_id, template_name, content_id)
    data = await read_model(request, TemplateContentWrite)
    content = await contents.replace_content(ctx.session, content, data)
    return hal.ok(render_content(content, ctx))


@router.delete(CONTENT, status_code=204, response_class=Response)
async def delete_content(
    template_name: str, content_id: uuid.UUID, ctx: Admin = admin("notifications:delete")
) -> Response:
    content = await contents.get_content(ctx.session, ctx.environment_id, template_name, content_id)
    await contents.delete_content(ctx.session, content)
    return hal.no_content()
