"""/v1/environments/{environmentId}/populations."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import body_doc, read_model
from gatehouse.common.pagination import parse_limit, parse_order
from gatehouse.common.queries import ListQuery, list_query
from gatehouse.common.schemas import Collection, ref
from gatehouse.directory.models import Population
from gatehouse.directory.populations import service
from gatehouse.directory.populations.schemas import PopulationView, PopulationWrite

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Populations"])


def render_population(population: Population, user_count: int, ctx: Admin) -> dict[str, Any]:
    view = PopulationView(
        id=population.id,
        environment=ref(population.environment_id),
        name=population.name,
        description=population.description,
        default=population.default,
        user_count=user_count,
        password_policy=ref(population.password_policy_id),
        preferred_language=population.preferred_language,
        alternative_identifiers=population.alternative_identifiers,
        theme=ref(population.theme_id),
        created_at=population.created_at,
        updated_at=population.updated_at,
    )
    return hal.resource(view, ctx.href(f"/populations/{population.id}"), environment=ctx.href())


async def _render_one(population: Population, ctx: Admin) -> dict[str, Any]:
    counts = await service.user_counts(ctx.session, [population.id])
    return render_population(population, counts.get(population.id, 0), ctx)


@router.get("/populations", responses={200: {"model": Collection}})
async def list_populations(
    ctx: Admin = admin("populations:read"), query: ListQuery = Depends(list_query)
) -> hal.HalResponse:
    page = await service.list_populations(
        ctx.session,
        ctx.environment_id,
        filter_text=query.filter,
        order=parse_order(query.order, service.ORDER, service.DEFAULT_ORDER),
        limit=parse_limit(query.limit),
        cursor=query.cursor,
    )
    counts = await service.user_counts(ctx.session, (p.id for p in page.items))
    items = [render_population(p, counts.get(p.id, 0), ctx) for p in page.items]
    return hal.ok(
        hal.collection(
            "populations",
            items,
            ctx.href("/populations"),
            query=query.echo(),
            count=page.count,
            next_cursor=page.next_cursor,
        )
    )


@router.post(
    "/populations",
    status_code=201,
    responses={201: {"model": PopulationView}},
    openapi_extra=body_doc({"application/json": PopulationWrite}),
)
async def create_population(
    request: Request, ctx: Admin = admin("populations:create")
) -> hal.HalResponse:
    data = await read_model(request, PopulationWrite)
    population = await service.create_population(ctx.session, ctx.environment_id, data)
    return hal.created(render_population(population, 0, ctx))


@router.get("/populations/{population_id}", responses={200: {"model": PopulationView}})
async def read_population(
    population_id: uuid.UUID, ctx: Admin = admin("populations:read")
) -> hal.HalResponse:
    population = await service.get_population(ctx.session, ctx.environment_id, population_id)
    return hal.ok(await _render_one(population, ctx))


@router.put(
    "/populations/{population_id}",
    responses={200: {"model": PopulationView}},
    openapi_extra=body_doc({"application/json": PopulationWrite}),
)
async def update_population(
    population_id: uuid.UUID, request: Request, ctx: Admin = admin("populations:update")
) -> hal.HalResponse:
    population = await service.get_population(ctx.session, ctx.environment_id, population_id)
    data = await read_model(request, PopulationWrite)
    population = await service.update_population(ctx.session, population, data)
    return hal.ok(await _render_one(population, ctx))


@router.delete("/populations/{population_id}", status_code=204, response_class=Response)
async def delete_population(
    population_id: uuid.UUID, ctx: Admin = admin("populations:delete")
) -> Response:
    population = await service.get_population(ctx.session, ctx.environment_id, population_id)
    await service.delete_population(ctx.session, population)
    return hal.no_content()
