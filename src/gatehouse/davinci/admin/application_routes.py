"""/v1/environments/{envId}/davinciApplications (with rotateKey / rotateSecret), their
flowPolicies, and /flowPolicies/{id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import clock, hal
from gatehouse.common.bodies import JSON, body_doc, read_model
from gatehouse.common.schemas import Collection, ref
from gatehouse.davinci.admin import applications as service
from gatehouse.davinci.admin.bodies import read_action
from gatehouse.davinci.admin.schemas import (
    ApiKeyView,
    DavinciApplicationCreate,
    DavinciApplicationReplace,
    DavinciApplicationView,
    EmptyBody,
    FlowPolicyBody,
    FlowPolicyView,
    OAuthView,
    PlatformFlowPolicyView,
)
from gatehouse.davinci.models import DavinciApplication, DavinciFlowPolicy

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["DaVinci Applications"])

APPLICATION = "/davinciApplications/{application_id}"
POLICY = APPLICATION + "/flowPolicies/{policy_id}"
ROTATE_KEY = "application/vnd.pingidentity.davinciApplication.rotateKey+json"
ROTATE_SECRET = "application/vnd.pingidentity.davinciApplication.rotateSecret+json"


def render_application(app: DavinciApplication, ctx: Admin) -> dict[str, Any]:
    sealer = ctx.runtime.sealer
    href = ctx.href(f"/davinciApplications/{app.id.hex}")
    oauth = app.oauth
    view = DavinciApplicationView(
        id=app.id.hex,
        name=app.name,
        environment=ref(app.environment_id),
        api_key=ApiKeyView(enabled=app.api_key_enabled, value=app.api_key(sealer)),
        oauth=OAuthView(client_secret=app.client_secret(sealer), **oauth),
        created_at=app.created_at,
        updated_at=app.updated_at,
    )
    links = {
        "environment": ctx.href(),
        "flowPolicies": f"{href}/flowPolicies",
        "davinciApplication.rotateKey": f"{href}/key",
        "davinciApplication.rotateSecret": f"{href}/secret",
    }
    return hal.resource(view, href, **links)


def render_policy(policy: DavinciFlowPolicy, ctx: Admin) -> dict[str, Any]:
    app_href = ctx.href(f"/davinciApplications/{policy.davinci_application_id.hex}")
    view = FlowPolicyView(
        id=policy.id.hex,
        name=policy.name,
        status=policy.status,
        environment=ref(policy.environment_id),
        application={"id": policy.davinci_application_id.hex},
        flow_distributions=policy.flow_distributions,
        trigger=policy.trigger,
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )
    links = {"environment": ctx.href(), "davinciApplication": app_href}
    for index, distribution in enumerate(policy.flow_distributions):
        links[f"flow.{index}"] = ctx.href(f"/flows/{distribution['id']}")
    return hal.resource(view, f"{app_href}/flowPolicies/{policy.id.hex}", **links)


@router.get("/davinciApplications", responses={200: {"model": Collection}})
async def list_applications(ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    apps = await service.list_applications(ctx.session, ctx.environment_id)
    items = [render_application(app, ctx) for app in apps]
    return hal.ok(hal.collection("davinciApplications", items, ctx.href("/davinciApplications")))


@router.post(
    "/davinciApplications",
    status_code=201,
    responses={201: {"model": DavinciApplicationView}},
    openapi_extra=body_doc({JSON: DavinciApplicationCreate}),
)
async def create_application(
    request: Request, ctx: Admin = admin("davinci:create")
) -> hal.HalResponse:
    data = await read_model(request, DavinciApplicationCreate)
    app = await service.create_application(
        ctx.session, ctx.runtime.sealer, ctx.environment_id, data
    )
    return hal.created(render_application(app, ctx))


@router.get(APPLICATION, responses={200: {"model": DavinciApplicationView}})
async def read_application(
    application_id: str, ctx: Admin = admin("davinci:read")
) -> hal.HalResponse:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    return hal.ok(render_application(app, ctx))


@router.put(
    APPLICATION,
    responses={200: {"model": DavinciApplicationView}},
    openapi_extra=body_doc({JSON: DavinciApplicationReplace}),
)
async def replace_application(
    application_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    data = await read_model(request, DavinciApplicationReplace)
    app = await service.replace_application(ctx.session, app, data)
    return hal.ok(render_application(app, ctx))


@router.delete(APPLICATION, status_code=204, response_class=Response)
async def delete_application(application_id: str, ctx: Admin = admin("davinci:delete")) -> Response:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await service.delete_application(ctx.session, app)
    return hal.no_content()


@router.post(
    APPLICATION + "/key",
    responses={200: {"model": DavinciApplicationView}},
    openapi_extra=body_doc({ROTATE_KEY: EmptyBody}, required=False),
)
async def rotate_key(
    application_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await read_action(request, ROTATE_KEY, EmptyBody)
    await service.rotate_key(ctx.session, ctx.runtime.sealer, app)
    return hal.ok(render_application(app, ctx))


@router.post(
    APPLICATION + "/secret",
    responses={200: {"model": DavinciApplicationView}},
    openapi_extra=body_doc({ROTATE_SECRET: EmptyBody}, required=False),
)
async def rotate_secret(
    application_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    await read_action(request, ROTATE_SECRET, EmptyBody)
    await service.rotate_secret(ctx.session, ctx.runtime.sealer, app)
    return hal.ok(render_application(app, ctx))


# --- flow policies --------------------------------------------------------------------------------


@router.get(APPLICATION + "/flowPolicies", responses={200: {"model": Collection}})
async def list_policies(application_id: str, ctx: Admin = admin("davinci:read")) -> hal.HalResponse:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    policies = await service.list_policies(ctx.session, app)
    items = [render_policy(policy, ctx) for policy in policies]
    href = ctx.href(f"/davinciApplications/{app.id.hex}/flowPolicies")
    return hal.ok(hal.collection("flowPolicies", items, href))


@router.post(
    APPLICATION + "/flowPolicies",
    status_code=201,
    responses={201: {"model": FlowPolicyView}},
    openapi_extra=body_doc({JSON: FlowPolicyBody}),
)
async def create_policy(
    application_id: str, request: Request, ctx: Admin = admin("davinci:create")
) -> hal.HalResponse:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    data = await read_model(request, FlowPolicyBody)
    policy = await service.create_policy(ctx.session, app, data)
    return hal.created(render_policy(policy, ctx))


@router.get(POLICY, responses={200: {"model": FlowPolicyView}})
async def read_policy(
    application_id: str, policy_id: str, ctx: Admin = admin("davinci:read")
) -> hal.HalResponse:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    policy = await service.get_policy(ctx.session, app, policy_id)
    return hal.ok(render_policy(policy, ctx))


@router.put(
    POLICY,
    responses={200: {"model": FlowPolicyView}},
    openapi_extra=body_doc({JSON: FlowPolicyBody}),
)
async def replace_policy(
    application_id: str, policy_id: str, request: Request, ctx: Admin = admin("davinci:update")
) -> hal.HalResponse:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    policy = await service.get_policy(ctx.session, app, policy_id)
    data = await read_model(request, FlowPolicyBody)
    policy = await service.replace_policy(ctx.session, policy, data)
    return hal.ok(render_policy(policy, ctx))


@router.delete(POLICY, status_code=204, response_class=Response)
async def delete_policy(
    application_id: str, policy_id: str, ctx: Admin = admin("davinci:delete")
) -> Response:
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    policy = await service.get_policy(ctx.session, app, policy_id)
    await service.delete_policy(ctx.session, policy)
    return hal.no_content()


@router.get("/flowPolicies/{policy_id}", responses={200: {"model": PlatformFlowPolicyView}})
async def read_platform_policy(
    policy_id: str, ctx: Admin = admin("davinci:read")
) -> hal.HalResponse:
    """The platform's view of a flow policy (what an application's assignment points at)."""
    policy = await service.find_policy(ctx.session, ctx.environment_id, policy_id)
    app = await ctx.session.get(DavinciApplication, policy.davinci_application_id)
    view = PlatformFlowPolicyView(
        id=policy.id.hex,
        name=policy.name,
        enabled=policy.status == "enabled",
        environment=ref(policy.environment_id),
        application={"id": policy.davinci_application_id.hex, "name": app.name if app else ""},
        trigger=policy.trigger,
    )
    return hal.ok(hal.resource(view, ctx.href(f"/flowPolicies/{policy.id.hex}")))


@router.get(POLICY + "/events", responses={200: {"model": Collection}})
async def read_policy_events(
    application_id: str, policy_id: str, ctx: Admin = admin("davinci:read")
) -> hal.HalResponse:
    """Per flow the policy ran: totalCount and successCount of its runs, and the latest runs."""
    app = await service.get_application(ctx.session, ctx.environment_id, application_id)
    policy = await service.get_policy(ctx.session, app, policy_id)
    items = [
        {
            "environment": ref(policy.environment_id),
            "flow": {"id": flow.flow_id.hex},
            "totalCount": flow.total,
            "successCount": flow.succeeded,
            "events": [
                {"id": str(run_id), "timestamp": clock.isoformat(started)}
                for run_id, started in flow.latest
            ],
        }
        for flow in await service.policy_events(ctx.session, policy)
    ]
    href = ctx.href(f"/davinciApplications/{app.id.hex}/flowPolicies/{policy.id.hex}/events")
    return hal.ok(hal.collection("events", items, href))
