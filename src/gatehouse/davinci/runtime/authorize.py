"""PingOne-initiated DaVinci flows (pingone/10 "PingOne-initiated DaVinci flows"; seed 002):
`/as/authorize` for an application whose flow policy assignment, or whose `acr_values` (a DaVinci
flow policy id), selects a DaVinci flow policy starts that policy's flow. With
`response_mode=pi.flow` it answers 200 with the first screen as JSON (`responses`); in the other
response modes with the first screen as an HTML page (`browser`), and the authorization response
goes back in the request's mode once the flow signs the user on. Applications without a DaVinci
policy go on to the sign-on policies as before."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.davinci import lookup
from gatehouse.davinci.runtime import browser, service
from gatehouse.davinci.runtime.responses import browser_of, respond
from gatehouse.environments.models import Environment
from gatehouse.oauth.authorize import PI_FLOW, ValidatedRequest
from gatehouse.oauth.responses import error_response
from gatehouse.runtime import runtime_of


async def davinci_policy_id(
    db: AsyncSession, environment: Environment, validated: ValidatedRequest
) -> str | None:
    """The DaVinci flow policy an authorization request runs: the first of `acr_values` that
    is an enabled DaVinci flow policy, else the application's assigned one."""
    for value in validated.request.acr_values:
        policy = await lookup.flow_policy(db, environment.id, value)
        if policy is not None:
            return policy.id
    return await lookup.flow_policy_for_application(db, environment.id, validated.application.id)


async def davinci_sign_on(
    db: AsyncSession, request: Request, environment: Environment, validated: ValidatedRequest
) -> Response | None:
    """The DaVinci answer to an authorization request, or None when no DaVinci policy applies."""
    policy_id = await davinci_policy_id(db, environment, validated)
    if policy_id is None:
        return None
    chosen = await lookup.choose_flow(db, environment.id, policy_id)
    if chosen is None:
        return error_response(
            validated.target, "server_error", "The DaVinci flow policy has no flow to run."
        )
    pi_flow = validated.target.response_mode == PI_FLOW
    progress = await service.start(
        db,
        runtime_of(request),
        environment.id,
        chosen,
        kind=service.PI_FLOW if pi_flow else service.AUTHORIZE,
        browser=browser_of(request),
        application_id=validated.application.id,
        request=validated.request.to_dict(),
    )
    if pi_flow:
        return await respond(request, db, environment, progress)
    action = browser.action_url(request, environment, chosen[0].id)
    return await browser.page_response(request, db, environment, progress, action)
