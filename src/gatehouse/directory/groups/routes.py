"""/v1/environments/{environmentId}/groups and /users/{userId}/memberOfGroups.

Memberships are identity data about the user and the group: reading them needs `groups:read`,
adding or removing one needs `groups:update`. Both may be held over a population only (Identity
Data Admin / Read Only with a population scope): the caller then reaches only the users of its
populations, and any other user is not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.bodies import body_doc, read_model
from gatehouse.common.errors import invalid_value
from gatehouse.common.pagination import parse_limit, parse_order
from gatehouse.common.queries import ListQuery, list_query
from gatehouse.common.schemas import Collection, ref
from gatehouse.directory.groups import service
from gatehouse.directory.groups.schemas import (
    GroupView,
    GroupWrite,
    MemberCounts,
    MembershipCreate,
    MembershipView,
)
from gatehouse.directory.models import Group

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Groups"])

EXPANDABLE = ("group",)


def render_group(group: Group, members: int, ctx: Admin) -> dict[str, Any]:
    view = GroupView(
        id=group.id,
        environment=ref(group.environment_id),
        name=group.name,
        display_name=group.name,
        description=group.description,
        population=ref(group.population_id),
        external_id=group.external_id,
        custom_data=group.custom_data,
        direct_member_counts=MemberCounts(users=members),
        total_member_counts=MemberCounts(users=members),
        created_at=group.created_at,
        updated_at=group.updated_at,
    )
    links = {"environment": ctx.href()}
    if group.population_id is not None:
        links["population"] = ctx.href(f"/populations/{group.population_id}")
    return hal.resource(view, ctx.href(f"/groups/{group.id}"), **links)


async def render_groups(groups: Sequence[Group], ctx: Admin) -> list[dict[str, Any]]:
    counts = await service.member_counts(ctx.session, (group.id for group in groups))
    return [render_group(group, counts.get(group.id, 0), ctx) for group in groups]


def render_membership(
    user_id: uuid.UUID, group: Group, ctx: Admin, embedded: dict[str, Any] | None = None
) -> dict[str, Any]:
    view = MembershipView(
        id=group.id,
        environment=ref(group.environment_id),
        name=group.name,
        embedded={"group": embedded} if embedded is not None else None,
    )
    return hal.resource(
        view,
        ctx.href(f"/users/{user_id}/memberOfGroups/{group.id}"),
        user=ctx.href(f"/users/{user_id}"),
        group=ctx.href(f"/groups/{group.id}"),
    )


async def render_memberships(
    user_id: uuid.UUID, groups: Sequence[Group], ctx: Admin, expand: bool
) -> list[dict[str, Any]]:
    if not expand:
        return [render_membership(user_id, group, ctx) for group in groups]
    embedded = await render_groups(groups, ctx)
    return [
        render_membership(user_id, group, ctx, body)
        for group, body in zip(groups, embedded, strict=True)
    ]


def expand_query(
    expand: str | None = Query(None, description="`group` embeds each group."),
) -> bool:
    if expand is None:
        return False
    names = {name.strip() for name in expand.split(",") if name.strip()}
    unknown = names.difference(EXPANDABLE)
    if unknown:
        raise invalid_value(
            "expand", f"Cannot expand {', '.join(sorted(unknown))}.", allowedValues=EXPANDABLE
        )
    return "group" in names


# --- groups --------------------------------------------------------------------------------


@router.get("/groups", responses={200: {"model": Collection}})
async def list_groups(
    ctx: Admin = admin("groups:read"), query: ListQuery = Depends(list_query)
) -> hal.HalResponse:
    page = await service.list_groups(
        ctx.session,
        ctx.environment_id,
        filter_text=query.filter,
        order=parse_order(query.order, service.ORDER, service.DEFAULT_ORDER),
        limit=parse_limit(query.limit),
        cursor=query.cursor,
    )
    return hal.ok(
        hal.collection(
            "groups",
            await render_groups(page.items, ctx),
            ctx.href("/groups"),
            query=query.echo(),
            count=page.count,
            next_cursor=page.next_cursor,
        )
    )


@router.post(
    "/groups",
    status_code=201,
    responses={201: {"model": GroupView}},
    openapi_extra=body_doc({"application/json": GroupWrite}),
)
async def create_group(request: Request, ctx: Admin = admin("groups:create")) -> hal.HalResponse:
    data = await read_model(request, GroupWrite)
    group = await service.create_group(ctx.session, ctx.environment_id, data)
    return hal.created(render_group(group, 0, ctx))


@router.get("/groups/{group_id}", responses={200: {"model": GroupView}})
async def read_group(group_id: uuid.UUID, ctx: Admin = admin("groups:read")) -> hal.HalResponse:
    group = await service.get_group(ctx.session, ctx.environment_id, group_id)
    return hal.ok((await render_groups([group], ctx))[0])


@router.put(
    "/groups/{group_id}",
    responses={200: {"model": GroupView}},
    openapi_extra=body_doc({"application/json": GroupWrite}),
)
async def update_group(
    group_id: uuid.UUID, request: Request, ctx: Admin = admin("groups:update")
) -> hal.HalResponse:
    group = await service.get_group(ctx.session, ctx.environment_id, group_id)
    data = await read_model(request, GroupWrite)
    group = await service.update_group(ctx.session, group, data)
    return hal.ok((await render_groups([group], ctx))[0])


@router.delete("/groups/{group_id}", status_code=204, response_class=Response)
async def delete_group(group_id: uuid.UUID, ctx: Admin = admin("groups:delete")) -> Response:
    group = await service.get_group(ctx.session, ctx.environment_id, group_id)
    await service.delete_group(ctx.session, group)
    return hal.no_content()


# --- a user's group memberships ------------------------------------------------------------


@router.get("/users/{user_id}/memberOfGroups", responses={200: {"model": Collection}})
async def list_memberships(
    user_id: uuid.UUID,
    ctx: Admin = admin("groups:read", populations=True),
    expand: bool = Depends(expand_query),
) -> hal.HalResponse:
    user = await service.get_member(
        ctx.session, ctx.environment_id, user_id, ctx.populations_for("groups:read")
    )
    groups = await service.groups_of(ctx.session, user)
    items = await render_memberships(user.id, groups, ctx, expand)
    href = ctx.href(f"/users/{user.id}/memberOfGroups")
    return hal.ok(
        hal.collection(
            "groupMemberships", items, href, query={"expand": "group" if expand else None}
        )
    )


@router.post(
    "/users/{user_id}/memberOfGroups",
    status_code=201,
    responses={201: {"model": MembershipView}},
    openapi_extra=body_doc({"application/json": MembershipCreate}),
)
async def add_membership(
    user_id: uuid.UUID, request: Request, ctx: Admin = admin("groups:update", populations=True)
) -> hal.HalResponse:
    user = await service.get_member(
        ctx.session, ctx.environment_id, user_id, ctx.populations_for("groups:update")
    )
    data = await read_model(request, MembershipCreate)
    group = await service.add_membership(ctx.session, user, data.id)
    return hal.created(render_membership(user.id, group, ctx))


@router.get(
    "/users/{user_id}/memberOfGroups/{group_id}", responses={200: {"model": MembershipView}}
)
async def read_membership(
    user_id: uuid.UUID,
    group_id: uuid.UUID,
    ctx: Admin = admin("groups:read", populations=True),
    expand: bool = Depends(expand_query),
) -> hal.HalResponse:
    user = await service.get_member(
        ctx.session, ctx.environment_id, user_id, ctx.populations_for("groups:read")
    )
    group = await service.membership(ctx.session, user, group_id)
    return hal.ok((await render_memberships(user.id, [group], ctx, expand))[0])


@router.delete(
    "/users/{user_id}/memberOfGroups/{group_id}", status_code=204, response_class=Response
)
async def remove_membership(
    user_id: uuid.UUID,
    group_id: uuid.UUID,
    ctx: Admin = admin("groups:update", populations=True),
) -> Response:
    user = await service.get_member(
        ctx.session, ctx.environment_id, user_id, ctx.populations_for("groups:update")
    )
    await service.remove_membership(ctx.session, user, group_id)
    return hal.no_content()
