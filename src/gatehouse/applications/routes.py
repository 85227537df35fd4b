"""/v1/environments/{environmentId}/applications: applications, their secret, resource grants and
attribute mappings."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.applications import service
from gatehouse.applications.models import Application, ApplicationAttributeMapping
from gatehouse.applications.schemas import (
    ApplicationCreate,
    ApplicationProtocol,
    ApplicationView,
    AttributeMappingRequest,
    AttributeMappingView,
    GrantRequest,
    GrantView,
    PreviousSecretView,
    SecretRotation,
    SecretView,
)
from gatehouse.common import hal
from gatehouse.common.bodies import (
    JSON,
    body_doc,
    media_type_of,
    read_body,
    read_json,
    read_model,
    validate,
)
from gatehouse.common.schemas import Collection, ref
from gatehouse.saml import service as saml_applications
from gatehouse.saml.schemas import SamlApplicationCreate

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Applications"])


# --- rendering -----------------------------------------------------------------------------


def application_href(ctx: Admin, application_id: uuid.UUID) -> str:
    return ctx.href(f"/applications/{application_id}")


def render_application(application: Application, ctx: Admin) -> dict[str, Any]:
    href = application_href(ctx, application.id)
    view = ApplicationView(
        id=application.id,
        environment=ref(application.environment_id),
        name=application.name,
        description=application.description,
        enabled=application.enabled,
        protocol=application.protocol,
        type=application.type,
        created_at=application.created_at,
        updated_at=application.updated_at,
        **application.config,
    )
    links = {
        "environment": ctx.href(),
        "attributes": f"{href}/attributes",
        "grants": f"{href}/grants",
    }
    if service.auth_method(application) != "NONE":
        links["secret"] = f"{href}/secret"
    return hal.resource(view, href, **links)


def render_secret(
    state: service.SecretState, application: Application, ctx: Admin
) -> dict[str, Any]:
    previous = state.previous
    view = SecretView(
        environment=ref(application.environment_id),
        secret=state.secret,
        previous=PreviousSecretView(
            secret=previous.secret, expires_at=previous.expires_at, last_used=previous.last_used
        )
        if previous
        else None,
    )
    href = application_href(ctx, application.id)
    return hal.resource(view, f"{href}/secret", application=href)


def render_grant(granted: service.GrantWithScopes, ctx: Admin) -> dict[str, Any]:
    grant = granted.grant
    href = application_href(ctx, grant.application_id)
    view = GrantView(
        id=grant.id,
        application=ref(grant.application_id),
        resource=ref(grant.resource_id),
        scopes=[{"id": str(scope_id)} for scope_id in granted.scope_ids],
        created_at=grant.created_at,
        updated_at=grant.updated_at,
    )
    return hal.resource(
        view,
        f"{href}/grants/{grant.id}",
        application=href,
        resource=ctx.href(f"/resources/{grant.resource_id}"),
    )


def render_mapping(mapping: ApplicationAttributeMapping, ctx: Admin) -> dict[str, Any]:
    href = application_href(ctx, mapping.application_id)
    view = AttributeMappingView(
        id=mapping.id,
        application=ref(mapping.application_id),
        name=mapping.name,
        value=mapping.value,
        required=mapping.required,
        mapping_type=mapping.mapping_type,
        name_format=mapping.name_format,
        id_token=mapping.id_token,
        user_info=mapping.user_info,
        oidc_scopes=mapping.oidc_scopes,
        created_at=mapping.created_at,
        updated_at=mapping.updated_at,
    )
    return hal.resource(view, f"{href}/attributes/{mapping.id}", application=href)


# --- bodies --------------------------------------------------------------------------------


def application_body_doc() -> dict[str, Any]:
    """An OIDC (`ApplicationCreate`) or a SAML (`SamlApplicationCreate`) application."""
    schemas = [
        body_doc({JSON: model})["requestBody"]["content"][JSON]["schema"]
        for model in (ApplicationCreate, SamlApplicationCreate)
    ]
    return {"requestBody": {"required": True, "content": {JSON: {"schema": {"oneOf": schemas}}}}}


async def read_application_body(request: Request) -> ApplicationCreate | SamlApplicationCreate:
    """The protocol first: OIDC and SAML applications are served (see service.check_protocol)."""
    _, header = await read_body(request, {JSON: ApplicationProtocol})
    service.check_protocol(header.protocol)
    if header.protocol == saml_applications.SAML:
        return validate(SamlApplicationCreate, await read_json(request))
    return validate(ApplicationCreate, await read_json(request))


async def read_rotation(request: Request) -> SecretRotation:
    """POST /secret may come without a body (no overlap); a body must be JSON."""
    if not (await request.body()).strip() and media_type_of(request) in (None, JSON):
        return SecretRotation()
    return await read_model(request, SecretRotation)


# --- applications --------------------------------------------------------------------------


@router.get("/applications", responses={200: {"model": Collection}})
async def list_applications(ctx: Admin = admin("applications:read")) -> hal.HalResponse:
    applications = await service.list_applications(ctx.session, ctx.environment_id)
    items = [render_application(application, ctx) for application in applications]
    return hal.ok(hal.collection("applications", items, ctx.href("/applications")))


@router.post(
    "/applications",
    status_code=201,
    responses={201: {"model": ApplicationView}},
    openapi_extra=application_body_doc(),
)
async def create_application(
    request: Request, ctx: Admin = admin("applications:create")
) -> hal.HalResponse:
    data = await read_application_body(request)
    if isinstance(data, SamlApplicationCreate):
        application = await saml_applications.create_application(
            ctx.session, ctx.environment_id, data
        )
    else:
        application = await service.create_application(
            ctx.session, ctx.runtime.sealer, ctx.environment_id, data, creator=ctx.caller
        )
    return hal.created(render_application(application, ctx))


@router.get("/applications/{application_id}", responses={200: {"model": ApplicationView}})
async def read_application(
    application_id: uuid.UUID, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    return hal.ok(render_application(application, ctx))


@router.put(
    "/applications/{application_id}",
    responses={200: {"model": ApplicationView}},
    openapi_extra=application_body_doc(),
)
async def update_application(
    application_id: uuid.UUID, request: Request, ctx: Admin = admin("applications:update")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    data = await read_application_body(request)
    if isinstance(data, SamlApplicationCreate):
        application = await saml_applications.update_application(ctx.session, application, data)
    else:
        application = await service.update_application(
            ctx.session, ctx.runtime.sealer, application, data
        )
    return hal.ok(render_application(application, ctx))


@router.delete("/applications/{application_id}", status_code=204, response_class=Response)
async def delete_application(
    application_id: uuid.UUID, ctx: Admin = admin("applications:delete")
) -> Response:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await service.delete_application(ctx.session, application)
    return hal.no_content()


# --- secret --------------------------------------------------------------------------------


@router.get("/applications/{application_id}/secret", responses={200: {"model": SecretView}})
async def read_secret(
    application_id: uuid.UUID, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    state = await service.read_secret(ctx.session, ctx.runtime.sealer, application)
    return hal.ok(render_secret(state, application, ctx))


@router.post(
    "/applications/{application_id}/secret",
    responses={200: {"model": SecretView}},
    openapi_extra=body_doc({JSON: SecretRotation}, required=False),
)
async def rotate_secret(
    application_id: uuid.UUID, request: Request, ctx: Admin = admin("applications:update")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    data = await read_rotation(request)
    state = await service.rotate_secret(ctx.session, ctx.runtime.sealer, application, data)
    return hal.ok(render_secret(state, application, ctx))


@router.delete("/applications/{application_id}/secret", status_code=204, response_class=Response)
async def delete_previous_secret(
    application_id: uuid.UUID, ctx: Admin = admin("applications:update")
) -> Response:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await service.delete_previous_secret(ctx.session, application)
    return hal.no_content()


# --- resource grants -----------------------------------------------------------------------


@router.get("/applications/{application_id}/grants", responses={200: {"model": Collection}})
async def list_grants(
    application_id: uuid.UUID, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    grants = await service.list_grants(ctx.session, application)
    href = f"{application_href(ctx, application.id)}/grants"
    return hal.ok(hal.collection("grants", [render_grant(g, ctx) for g in grants], href))


@router.post(
    "/applications/{application_id}/grants",
    status_code=201,
    responses={201: {"model": GrantView}},
    openapi_extra=body_doc({JSON: GrantRequest}),
)
async def create_grant(
    application_id: uuid.UUID, request: Request, ctx: Admin = admin("applications:create")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    data = await read_model(request, GrantRequest)
    granted = await service.create_grant(ctx.session, application, data)
    return hal.created(render_grant(granted, ctx))


@router.get(
    "/applications/{application_id}/grants/{grant_id}", responses={200: {"model": GrantView}}
)
async def read_grant(
    application_id: uuid.UUID, grant_id: uuid.UUID, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    return hal.ok(render_grant(await service.get_grant(ctx.session, application, grant_id), ctx))


@router.put(
    "/applications/{application_id}/grants/{grant_id}",
    responses={200: {"model": GrantView}},
    openapi_extra=body_doc({JSON: GrantRequest}),
)
async def update_grant(
    application_id: uuid.UUID,
    grant_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("applications:update"),
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await service.get_grant(ctx.session, application, grant_id)
    data = await read_model(request, GrantRequest)
    granted = await service.update_grant(ctx.session, application, grant_id, data)
    return hal.ok(render_grant(granted, ctx))


@router.delete(
    "/applications/{application_id}/grants/{grant_id}", status_code=204, response_class=Response
)
async def delete_grant(
    application_id: uuid.UUID, grant_id: uuid.UUID, ctx: Admin = admin("applications:delete")
) -> Response:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await service.delete_grant(ctx.session, application, grant_id)
    return hal.no_content()


# --- attribute mappings --------------------------------------------------------------------


@router.get("/applications/{application_id}/attributes", responses={200: {"model": Collection}})
async def list_mappings(
    application_id: uuid.UUID, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    mappings = await service.list_mappings(ctx.session, application)
    href = f"{application_href(ctx, application.id)}/attributes"
    return hal.ok(hal.collection("attributes", [render_mapping(m, ctx) for m in mappings], href))


@router.post(
    "/applications/{application_id}/attributes",
    status_code=201,
    responses={201: {"model": AttributeMappingView}},
    openapi_extra=body_doc({JSON: AttributeMappingRequest}),
)
async def create_mapping(
    application_id: uuid.UUID, request: Request, ctx: Admin = admin("applications:create")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    data = await read_model(request, AttributeMappingRequest)
    mapping = await service.create_mapping(ctx.session, application, data)
    return hal.created(render_mapping(mapping, ctx))


@router.get(
    "/applications/{application_id}/attributes/{mapping_id}",
    responses={200: {"model": AttributeMappingView}},
)
async def read_mapping(
    application_id: uuid.UUID, mapping_id: uuid.UUID, ctx: Admin = admin("applications:read")
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    mapping = await service.get_mapping(ctx.session, application, mapping_id)
    return hal.ok(render_mapping(mapping, ctx))


@router.put(
    "/applications/{application_id}/attributes/{mapping_id}",
    responses={200: {"model": AttributeMappingView}},
    openapi_extra=body_doc({JSON: AttributeMappingRequest}),
)
async def update_mapping(
    application_id: uuid.UUID,
    mapping_id: uuid.UUID,
    request: Request,
    ctx: Admin = admin("applications:update"),
) -> hal.HalResponse:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await service.get_mapping(ctx.session, application, mapping_id)
    data = await read_model(request, AttributeMappingRequest)
    mapping = await service.update_mapping(ctx.session, application, mapping_id, data)
    return hal.ok(render_mapping(mapping, ctx))


@router.delete(
    "/applications/{application_id}/attributes/{mapping_id}",
    status_code=204,
    response_class=Response,
)
async def delete_mapping(
    application_id: uuid.UUID, mapping_id: uuid.UUID, ctx: Admin = admin("applications:delete")
) -> Response:
    application = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await service.delete_mapping(ctx.session, application, mapping_id)
    return hal.no_content()
