"""/v1/environments/{envId}/flows: flows (create, import, read, replace, delete, clone, deploy,
validate, enabled) and their versions (list, read, details, alias, delete, export)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import (
    JSON,
    body_doc,
    offered_media_type,
    read_json,
    read_model,
    validate,
)
from gatehouse.common.schemas import Collection, ref
from gatehouse.davinci.admin import exports
from gatehouse.davinci.admin import flows as service
from gatehouse.davinci.admin.bodies import read_action
from gatehouse.davinci.admin.schemas import (
    EmptyBody,
    ExportOptions,
    FlowBody,
    FlowClone,
    FlowEnable,
    FlowEnabledView,
    FlowImport,
    FlowValidate,
    FlowVersionDetailView,
    FlowVersionView,
    FlowView,
    VersionAlias,
)
from gatehouse.davinci.admin.validation import LintResult
from gatehouse.davinci.models import DavinciFlow, DavinciFlowVersion

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["DaVinci Flows"])

FLOW = "/flows/{flow_id}"
VERSION = FLOW + "/versions/{version_id}"
IMPORT = "application/vnd.pingidentity.flow.import+json"
CLONE = "application/vnd.pingidentity.flow.clone+json"
DEPLOY = "application/vnd.pingidentity.flow.deploy+json"
VALIDATE = "application/vnd.pingidentity.flow.validate+json"
EXPORT = "application/vnd.pingidentity.flowversion.export+json"


def flow_href(ctx: Admin, flow: DavinciFlow) -> str:
    return ctx.href(f"/flows/{flow.id.hex}")


def render_flow(
    flow: DavinciFlow,
    version: DavinciFlowVersion,
    ctx: Admin,
    lint: LintResult | None = None,
    graph_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    graph = graph_data if graph_data is not None else version.graph_data
    view = FlowView(
        id=flow.id.hex,
        name=flow.name,
        environment=ref(flow.environment_id),
        description=flow.description,
        color=flow.color,
        enabled=flow.enabled,
        current_version=flow.current_version,
        published_version=flow.deployed_version,
        deployed_at=flow.deployed_at,
        connectors=[{"id": connector} for connector in service.connector_ids(graph)],
        graph_data=lint.annotate(graph) if lint else graph,
        input_schema=version.input_schema,
        output_schema=version.output_schema,
        settings=version.settings,
        trigger=version.trigger,
        dvlinter_error_count=lint.error_count if lint else None,
        dvlinter_warning_count=lint.warning_count if lint else None,
        created_at=flow.created_at,
        updated_at=flow.updated_at,
    )
    href = flow_href(ctx, flow)
    links = {
        "environment": ctx.href(),
        "connectorInstances": ctx.href("/connectorInstances"),
        "connectors": ctx.href("/connectors"),
        "flow.clone": href,
        "flow.deploy": href,
        "flow.validate": href,
        "flow.enabled": f"{href}/enabled",
        "versions": f"{href}/versions",
        "version": f"{href}/versions/{flow.current_version}",
    }
    return hal.resource(view, href, **links)


def render_version(
    flow: DavinciFlow, version: DavinciFlowVersion, ctx: Admin, details: bool = False
) -> dict[str, Any]:
    common: dict[str, Any] = {
        "environment": ref(flow.environment_id),
        "flow": {"id": flow.id.hex, "name": flow.name},
        "version": version.version,
        "alias": version.alias,
        "created_at": version.created_at,
        "updated_at": version.created_at,
        "deployed_at": flow.deployed_at if flow.deployed_version == version.version else None,
    }
    href = f"{flow_href(ctx, flow)}/versions/{version.version}"
    if not details:
        links = {"flow": flow_href(ctx, flow), "details": f"{href}/details", "flow.export": href}
        return hal.resource(FlowVersionView(**common), href, **links)
    view = FlowVersionDetailView(
        **common,
        name=flow.name,
        description=flow.description,
        color=flow.color,
        enabled=flow.enabled,
        connectors=[{"id": c} for c in service.connector_ids(version.graph_data)],
        graph_data=version.graph_data,
        input_schema=version.input_schema,
        output_schema=version.output_schema,
        settings=version.settings,
        trigger=version.trigger,
    )
    return hal.resource(view, f"{href}/details", flow=flow_href(ctx, flow), version=href)


async def _flow_response(ctx: Admin, flow: DavinciFlow, status: int = 200) -> hal.HalResponse:
    version = await service.current_version(ctx.session, flow)
    return hal.ok(render_flow(flow, version, ctx), status=status)


@router.get("/flows", responses={200: {"model": Collection}})
async def list_flows(ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    flows = await service.list_flows(ctx.session, ctx.environment_id)
    versions = await service.versions_by_flow(ctx.session, flows)
    items = [render_flow(flow, versions[flow.id], ctx) for flow in flows]
    return hal.ok(hal.collection("flows", items, ctx.href("/flows")))


@router.post(
    "/flows",
    status_code=201,
    responses={201: {"model": FlowView}},
    openapi_extra=body_doc({JSON: FlowBody, IMPORT: FlowImport}),
)
async def create_flow(request: Request, ctx: Admin = admin("davinci:create")) -> hal.HalResponse:
    """application/json creates a flow; the import media type creates the flows of a DaVinci
    export (one flow: that flow; the `{flows: [...]}` form: the collection of them)."""
    media_type = offered_media_type(request, (JSON, IMPORT))
    if media_type == IMPORT:
        return await _import(request, ctx)
    data = await read_model(request, FlowBody)
    flow = await service.create_flow(ctx.session, ctx.environment_id, data)
    return await _flow_response(ctx, flow, 201)


async def _import(request: Request, ctx: Admin) -> hal.HalResponse:
    body = await read_json(request)
    validate(FlowImport, body)
    flows = await exports.import_export(ctx.session, ctx.runtime.sealer, ctx.environment_id, body)
    versions = await service.versions_by_flow(ctx.session, flows)
    items = [render_flow(flow, versions[flow.id], ctx) for flow in flows]
    if "flows" not in body:
        return hal.created(items[0])
    return hal.created(hal.collection("flows", items, ctx.href("/flows")))


@router.get(FLOW, responses={200: {"model": FlowView}})
async def read_flow(flow_id: str, ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    return await _flow_response(ctx, flow)


@router.put(FLOW, responses={200: {"model": FlowView}}, openapi_extra=body_doc({JSON: FlowBody}))
async def replace_flow(
    flow_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    data = await read_model(request, FlowBody)
    flow = await service.replace_flow(ctx.session, flow, data)
    return await _flow_response(ctx, flow)


@router.delete(FLOW, status_code=204, response_class=Response)
async def delete_flow(flow_id: str, ctx: Admin = admin("davinci:delete")) -> Response:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    await service.delete_flow(ctx.session, flow)
    return hal.no_content()


@router.post(
    FLOW,
    responses={200: {"model": FlowView}, 201: {"model": FlowView}},
    openapi_extra=body_doc({CLONE: FlowClone, DEPLOY: EmptyBody, VALIDATE: FlowValidate}, False),
)
async def flow_action(flow_id: str, request: Request, ctx: Admin = admin("davinci:read")) -> Any:
    """clone (201, needs davinci:create), deploy (201) and validate (200, needs davinci:update),
    selected by Content-Type."""
    media_type = offered_media_type(request, (CLONE, DEPLOY, VALIDATE))
    ctx.require("davinci:create" if media_type == CLONE else "davinci:update")
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    if media_type == CLONE:
        clone = await read_action(request, CLONE, FlowClone)
        return await _flow_response(
            ctx, await service.clone_flow(ctx.session, flow, clone.name), 201
        )
    if media_type == DEPLOY:
        await read_action(request, DEPLOY, EmptyBody)
        return await _flow_response(ctx, await service.deploy_flow(ctx.session, flow), 201)
    data = await read_action(request, VALIDATE, FlowValidate)
    given = data.graph_data.model_dump(by_alias=True, mode="json") if data.graph_data else None
    graph, lint = await service.validate(ctx.session, flow, given)
    version = await service.current_version(ctx.session, flow)
    return hal.ok(render_flow(flow, version, ctx, lint, graph))


@router.put(
    FLOW + "/enabled",
    responses={200: {"model": FlowEnabledView}},
    openapi_extra=body_doc({JSON: FlowEnable}),
)
async def set_enabled(
    flow_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    data = await read_model(request, FlowEnable)
    flow = await service.set_enabled(ctx.session, flow, data.enabled)
    href = flow_href(ctx, flow)
    return hal.ok(hal.resource(FlowEnabledView(enabled=flow.enabled), f"{href}/enabled", flow=href))


# --- versions -------------------------------------------------------------------------------------


@router.get(FLOW + "/versions", responses={200: {"model": Collection}})
async def list_versions(flow_id: str, ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    versions = await service.list_versions(ctx.session, flow)
    items = [render_version(flow, version, ctx) for version in versions]
    return hal.ok(hal.collection("versions", items, f"{flow_href(ctx, flow)}/versions"))


@router.get(VERSION, responses={200: {"model": FlowVersionView}})
async def read_version(
    flow_id: str, version_id: str, ctx: Admin = admin("davinci:read")
) -> hal.HalResponse:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    version = await service.get_version(ctx.session, flow, version_id)
    return hal.ok(render_version(flow, version, ctx))


@router.get(VERSION + "/details", responses={200: {"model": FlowVersionDetailView}})
async def read_version_details(
    flow_id: str, version_id: str, ctx: Admin = admin("davinci:read")
) -> hal.HalResponse:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    version = await service.get_version(ctx.session, flow, version_id)
    return hal.ok(render_version(flow, version, ctx, details=True))


@router.put(
    VERSION + "/alias",
    responses={200: {"model": FlowVersionView}},
    openapi_extra=body_doc({JSON: VersionAlias}),
)
async def set_alias(
    flow_id: str, version_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    version = await service.get_version(ctx.session, flow, version_id)
    data = await read_model(request, VersionAlias)
    version = await service.set_alias(ctx.session, version, data.alias)
    return hal.ok(render_version(flow, version, ctx))


@router.delete(VERSION, status_code=204, response_class=Response)
async def delete_version(
    flow_id: str, version_id: str, ctx: Admin = admin("davinci:delete")
) -> Response:
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    version = await service.get_version(ctx.session, flow, version_id)
    await service.delete_version(ctx.session, flow, version)
    return hal.no_content()


@router.post(
    VERSION,
    responses={200: {"description": "The DaVinci export document of the version."}},
    openapi_extra=body_doc({EXPORT: ExportOptions}),
)
async def export_version(
    flow_id: str, version_id: str, request: Request, ctx: Admin = admin("davinci:read")
) -> hal.HalResponse:
    """The DaVinci export document of the version (see davinci.admin.exports)."""
    flow = await service.get_flow(ctx.session, ctx.environment_id, flow_id)
    version = await service.get_version(ctx.session, flow, version_id)
    options = await read_action(request, EXPORT, ExportOptions)
    document = await exports.export_flow(
        ctx.session,
        ctx.runtime.sealer,
        ctx.environment,
        flow,
        version,
        include_sub_flows=options.include_sub_flows,
        include_variable_values=options.include_variable_values,
    )
    return hal.ok(document)
