"""/v1/environments/{envId}/variables."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import JSON, body_doc, read_model
from gatehouse.common.schemas import Collection, ref
from gatehouse.davinci.admin import variables as service
from gatehouse.davinci.admin.schemas import VariableBody, VariableView
from gatehouse.davinci.models import DavinciVariable

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["DaVinci Variables"])

VARIABLE = "/variables/{variable_id}"


def render_variable(variable: DavinciVariable, ctx: Admin) -> dict[str, Any]:
    view = VariableView(
        id=str(variable.id),
        name=variable.name,
        environment=ref(variable.environment_id),
        context=variable.context,
        data_type=variable.data_type,
        mutable=variable.mutable,
        display_name=variable.display_name,
        flow={"id": variable.flow_id.hex} if variable.flow_id else None,
        min=variable.minimum,
        max=variable.maximum,
        value=None if variable.data_type == "secret" else variable.value,
        created_at=variable.created_at,
        updated_at=variable.updated_at,
    )
    links = {"environment": ctx.href()}
    if variable.flow_id:
        links["flow"] = ctx.href(f"/flows/{variable.flow_id.hex}")
    return hal.resource(view, ctx.href(f"/variables/{variable.id}"), **links)


@router.get("/variables", responses={200: {"model": Collection}})
async def list_variables(ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    variables = await service.list_variables(ctx.session, ctx.environment_id)
    items = [render_variable(variable, ctx) for variable in variables]
    return hal.ok(hal.collection("variables", items, ctx.href("/variables")))


@router.post(
    "/variables",
    status_code=201,
    responses={201: {"model": VariableView}},
    openapi_extra=body_doc({JSON: VariableBody}),
)
async def create_variable(
    request: Request, ctx: Admin = admin("davinci:create")
) -> hal.HalResponse:
    data = await read_model(request, VariableBody)
    variable = await service.create_variable(
        ctx.session, ctx.runtime.sealer, ctx.environment_id, data
    )
    return hal.created(render_variable(variable, ctx))


@router.get(VARIABLE, responses={200: {"model": VariableView}})
async def read_variable(variable_id: str, ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    variable = await service.get_variable(ctx.session, ctx.environment_id, variable_id)
    return hal.ok(render_variable(variable, ctx))


@router.put(
    VARIABLE,
    responses={200: {"model": VariableView}},
    openapi_extra=body_doc({JSON: VariableBody}),
)
async def replace_variable(
    variable_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    variable = await service.get_variable(ctx.session, ctx.environment_id, variable_id)
    data = await read_model(request, VariableBody)
    variable = await service.replace_variable(ctx.session, ctx.runtime.sealer, variable, data)
    return hal.ok(render_variable(variable, ctx))


@router.delete(VARIABLE, status_code=204, response_class=Response)
async def delete_variable(variable_id: str, ctx: Admin = admin("davinci:delete")) -> Response:
    variable = await service.get_variable(ctx.session, ctx.environment_id, variable_id)
    await service.delete_variable(ctx.session, variable)
    return hal.no_content()
