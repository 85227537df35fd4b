"""/v1/environments/{environmentId}/identityProviders: external identity providers, OpenID
Provider discovery, and the providers' attribute mappings."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import (
    JSON,
    body_doc,
    media_type_of,
    read_json,
    read_model,
    validate,
)
from gatehouse.common.errors import unsupported_media_type
from gatehouse.common.schemas import Collection, ref
from gatehouse.federation import service
from gatehouse.federation.models import IdentityProvider, IdentityProviderAttribute
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.federation.schemas import (
    AttributeMappingBody,
    AttributeMappingView,
    DiscoverRequest,
    IdentityProviderBody,
    IdentityProviderView,
    parse_provider,
)

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Identity Providers"])

DISCOVER = "application/vnd.pingidentity.openid-configuration.discover+json"
PROVIDERS = "/identityProviders"
PROVIDER = PROVIDERS + "/{provider_id}"
MAPPINGS = PROVIDER + "/attributes"
MAPPING = MAPPINGS + "/{mapping_id}"


def render_provider(provider: IdentityProvider, ctx: Admin) -> dict[str, Any]:
    href = ctx.href(f"{PROVIDERS}/{provider.id}")
    view = IdentityProviderView(
        id=provider.id,
        type=provider.type,
        name=provider.name,
        description=provider.description,
        enabled=provider.enabled,
        icon=provider.icon,
        login_button_icon=provider.login_button_icon,
        registration=service.registration_of(provider),
        environment=ref(provider.environment_id),
        created_at=provider.created_at,
        updated_at=provider.updated_at,
    )
    body = {**hal.dump(view), **provider.config}
    return hal.resource(body, href, environment=ctx.href(), attributes=f"{href}/attributes")


def render_mapping(mapping: IdentityProviderAttribute, ctx: Admin) -> dict[str, Any]:
    provider_href = ctx.href(f"{PROVIDERS}/{mapping.identity_provider_id}")
    view = AttributeMappingView(
        id=mapping.id,
        environment=ref(mapping.environment_id),
        identity_provider=ref(mapping.identity_provider_id),
        name=mapping.name,
        value=mapping.value,
        update=mapping.update_mode,
        mapping_type=mapping.mapping_type,
        created_at=mapping.created_at,
        updated_at=mapping.updated_at,
    )
    return hal.resource(
        view,
        f"{provider_href}/attributes/{mapping.id}",
        environment=ctx.href(),
        identityProvider=provider_href,
    )


def outbound_policy(ctx: Admin) -> OutboundPolicy:
    return OutboundPolicy.from_settings(ctx.runtime.settings)


# Providers


@router.get(PROVIDERS, responses={200: {"model": Collection}})
async def list_identity_providers(
    ctx: Admin = admin("identityProviders:read"),
) -> hal.HalResponse:
    providers = await service.list_providers(ctx.session, ctx.environment_id)
    items = [render_provider(provider, ctx) for provider in providers]
    return hal.ok(hal.collection("identityProviders", items, ctx.href(PROVIDERS)))


@router.post(
    PROVIDERS,
    responses={200: {"model": IdentityProviderView}},
    openapi_extra=body_doc({JSON: IdentityProviderBody, DISCOVER: DiscoverRequest}),
)
async def create_identity_provider(
    request: Request, ctx: Admin = admin("identityProviders:create")
) -> Response:
    """application/json creates a provider (200, as PingOne answers); the discover media type
    returns the metadata of the OpenID Provider at `url` and creates nothing."""
    media_type = media_type_of(request)
    if media_type == DISCOVER:
        data = validate(DiscoverRequest, await read_json(request))
        return JSONResponse(await service.discover(data.url, outbound_policy(ctx)))
    if media_type != JSON:
        raise unsupported_media_type(media_type)
    body = parse_provider(await read_json(request))
    provider = await service.create_provider(
        ctx.session, ctx.runtime.sealer, outbound_policy(ctx), ctx.environment_id, body
    )
    return hal.ok(render_provider(provider, ctx))


@router.get(PROVIDER, responses={200: {"model": IdentityProviderView}})
async def read_identity_provider(
    provider_id: uuid.UUID, ctx: Admin = admin("identityProviders:read")
) -> hal.HalResponse:
    provider = await service.get_provider(ctx.session, ctx.environment_id, provider_id)
    return hal.ok(render_provider(provider, ctx))


@router.put(
    PROVIDER,
    responses={200: {"model": IdentityProviderView}},
    openapi_extra=body_doc({JSON: IdentityProviderBody}),
)
async def update_identity_provider(
    provider_id: uuid.UUID, request: Request, ctx: Admin = admin("identityProviders:update")
) -> hal.HalResponse:
    provider = await service.get_provider(ctx.session, ctx.environment_id, provider_id)
    media_type = media_type_of(request)
    if media_type != JSON:
        raise unsupported_media_type(media_type)
    body = parse_provider(await read_json(request))
    provider = await service.update_provider(
        ctx.session, ctx.runtime.sealer, outbound_policy(ctx), provider, body
    )
    return hal.ok(render_provider(provider, ctx))


@router.delete(PROVIDER, status_code=204, response_class=Response)
async def delete_identity_provider(
    provider_id: uuid.UUID, ctx: Admin = admin("identityProviders:delete")
) -> Response:
    provider = await service.get_provider(ctx.session, ctx.environment_id, provider_id)
    await service.delete_provider(ctx.session, provider)
    return hal.no_content()


# Attribute mappings


@router.get(MAPPINGS, responses={200: {"model": Collection}})
async def list_attribute_mappings(
    provider_id: uuid.UUID, ctx: Admin = admin("identityProviders:read")
) -> hal.HalResponse:
    provider = await service.get_provider(ctx.session, ctx.environment_id, provider_id)
    items = [
        render_mapping(item, ctx) for item in await service.list_mappings(ctx.session, provider)
    ]
    return hal.ok(
        hal.collection("attributes", items, ctx.href(f"{PROVIDERS}/{provider.id}/attributes"))
    )


@router.post(
    MAPPINGS,
    status_code=201,
    responses={201: {"model": AttributeMappingView}},
    openapi_extra=body_doc({JSON: AttributeMappingBody}),
)
async def create_attribute_mapping(
    provider_id: uuid.UUID, request: Request, ctx: Admin = admin("identityProviders:create")
) -> hal.HalResponse:
    provider = await service.get_provider(ctx.session, ctx.environment_id, provider_id)
    data = await read_model(request, AttributeMappingBody)
    mapping = await service.create_mapping(ctx.session, provider, data)
    return hal.created(render_mapping(mapping, ctx))


@router.get(MAPPING, responses={200: {"model": AttributeMappingView}})
async def read_attribute_mapping(
    provider_id: uuid.UUID, mapping_id: uuid.UUID, ctx: Admin = admin("identityProviders:read")
) -> hal.HalResponse:
    provider = await service.get_provider(ctx.session, ctx.environment_id, provider_id)
    mapping = await service.get_mapping(ctx.session, provider, mapping_id)
    return hal.ok(render_mapping(mapping, ctx))


@router.put(
    MAPPING,
    responses={200: {"model": AttributeMappingView}},
    openapi_extra=body_doc({JSON: AttributeMappingBody}),
)
async def update_attribute_mapping(
    provider_id: uuid.UUID,
    mapping_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("identityProviders:update"),
) -> hal.HalResponse:
    provider = await service.get_provider(ctx.session, ctx.environment_id, provider_id)
    data = await read_model(request, AttributeMappingBody)
    mapping = await service.update_mapping(ctx.session, provider, mapping_id, data)
    return hal.ok(render_mapping(mapping, ctx))


@router.delete(MAPPING, status_code=204, response_class=Response)
async def delete_attribute_mapping(
    provider_id: uuid.UUID, mapping_id: uuid.UUID, ctx: Admin = admin("identityProviders:delete")
) -> Response:
    provider = await service.get_provider(ctx.session, ctx.environment_id, provider_id)
    await service.delete_mapping(ctx.session, provider, mapping_id)
    return hal.no_content()
