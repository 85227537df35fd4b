"""/v1/environments/{envId}/connectors (the catalog of what Gatehouse runs) and
/connectorInstances (with clone)."""

from __future__ import annotations

from importlib.metadata import version as package_version
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import JSON, body_doc, read_model
from gatehouse.common.schemas import Collection, ref
from gatehouse.davinci.admin import connectors as service
from gatehouse.davinci.admin.bodies import read_action
from gatehouse.davinci.admin.schemas import (
    ConnectorDetailsView,
    ConnectorInstanceBody,
    ConnectorInstanceClone,
    ConnectorInstanceView,
    ConnectorView,
)
from gatehouse.davinci.connectors.catalog import ConnectorSpec, connectors
from gatehouse.davinci.models import DavinciConnectorInstance

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["DaVinci Connectors"])

CONNECTOR = "/connectors/{connector_id}"
INSTANCE = "/connectorInstances/{instance_id}"
CLONE = "application/vnd.pingidentity.connectorInstance.clone+json"


def render_connector(spec: ConnectorSpec, ctx: Admin) -> dict[str, Any]:
    href = ctx.href(f"/connectors/{spec.id}")
    view = ConnectorView(
        id=spec.id,
        name=spec.name,
        environment=ref(ctx.environment_id),
        version=package_version("gatehouse"),
        metadata={"type": service.connector_type(spec), "vendor": "Gatehouse"},
        created_at=ctx.environment.created_at,
    )
    return hal.resource(view, href, environment=ctx.href(), details=f"{href}/details")


def render_details(spec: ConnectorSpec, ctx: Admin) -> dict[str, Any]:
    href = ctx.href(f"/connectors/{spec.id}")
    view = ConnectorDetailsView(
        id=spec.id,
        environment=ref(ctx.environment_id),
        properties=service.property_specs(spec),
        capabilities={
            name: {"name": name, "properties": capability.properties, "pauses": capability.pauses}
            for name, capability in spec.capabilities.items()
        },
    )
    return hal.resource(view, f"{href}/details", connector=href, environment=ctx.href())


def render_instance(instance: DavinciConnectorInstance, ctx: Admin) -> dict[str, Any]:
    href = ctx.href(f"/connectorInstances/{instance.id.hex}")
    view = ConnectorInstanceView(
        id=instance.id.hex,
        name=instance.name,
        environment=ref(instance.environment_id),
        connector={"id": instance.connector_id},
        properties=service.masked(instance, ctx.runtime.sealer),
        created_at=instance.created_at,
        updated_at=instance.updated_at,
    )
    return hal.resource(view, href, environment=ctx.href(), **{"connectorInstance.clone": href})


@router.get("/connectors", responses={200: {"model": Collection}})
async def list_connectors(ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    items = [render_connector(spec, ctx) for spec in connectors()]
    return hal.ok(hal.collection("connectors", items, ctx.href("/connectors")))


@router.get(CONNECTOR, responses={200: {"model": ConnectorView}})
async def read_connector(connector_id: str, ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    return hal.ok(render_connector(service.get_connector(connector_id), ctx))


@router.get(CONNECTOR + "/details", responses={200: {"model": ConnectorDetailsView}})
async def read_connector_details(
    connector_id: str, ctx: Admin = admin("davinci:read")
) -> hal.HalResponse:
    return hal.ok(render_details(service.get_connector(connector_id), ctx))


@router.get("/connectorInstances", responses={200: {"model": Collection}})
async def list_instances(ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    instances = await service.list_instances(ctx.session, ctx.environment_id)
    items = [render_instance(instance, ctx) for instance in instances]
    return hal.ok(hal.collection("connectorInstances", items, ctx.href("/connectorInstances")))


@router.post(
    "/connectorInstances",
    status_code=201,
    responses={201: {"model": ConnectorInstanceView}},
    openapi_extra=body_doc({JSON: ConnectorInstanceBody}),
)
async def create_instance(
    request: Request, ctx: Admin = admin("davinci:create")
) -> hal.HalResponse:
    data = await read_model(request, ConnectorInstanceBody)
    instance = await service.create_instance(
        ctx.session, ctx.runtime.sealer, ctx.environment_id, data
    )
    return hal.created(render_instance(instance, ctx))


@router.get(INSTANCE, responses={200: {"model": ConnectorInstanceView}})
async def read_instance(instance_id: str, ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    instance = await service.get_instance(ctx.session, ctx.environment_id, instance_id)
    return hal.ok(render_instance(instance, ctx))


@router.put(
    INSTANCE,
    responses={200: {"model": ConnectorInstanceView}},
    openapi_extra=body_doc({JSON: ConnectorInstanceBody}),
)
async def replace_instance(
    instance_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    instance = await service.get_instance(ctx.session, ctx.environment_id, instance_id)
    data = await read_model(request, ConnectorInstanceBody)
    instance = await service.replace_instance(ctx.session, ctx.runtime.sealer, instance, data)
    return hal.ok(render_instance(instance, ctx))


@router.post(
    INSTANCE,
    status_code=201,
    responses={201: {"model": ConnectorInstanceView}},
    openapi_extra=body_doc({CLONE: ConnectorInstanceClone}, required=False),
)
async def clone_instance(
    instance_id: str, request: Request, ctx: Admin = admin("davinci:create")
) -> hal.HalResponse:
    instance = await service.get_instance(ctx.session, ctx.environment_id, instance_id)
    data = await read_action(request, CLONE, ConnectorInstanceClone)
    clone = await service.clone_instance(ctx.session, ctx.runtime.sealer, instance, data.name)
    return hal.created(render_instance(clone, ctx))


@router.delete(INSTANCE, status_code=204, response_class=Response)
async def delete_instance(instance_id: str, ctx: Admin = admin("davinci:delete")) -> Response:
    instance = await service.get_instance(ctx.session, ctx.environment_id, instance_id)
    await service.delete_instance(ctx.session, instance)
    return hal.no_content()
