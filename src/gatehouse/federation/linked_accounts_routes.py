"""/v1/environments/{environmentId}/users/{userId}/linkedAccounts: the user's accounts at
external identity providers (read with users:read, unlinked with users:update). Unlinking does
not change the user: the next sign-on through that provider provisions or fails anew."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter
from starlette.responses import Response

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import clock, hal
from gatehouse.common.errors import not_found
from gatehouse.common.schemas import Collection
from gatehouse.directory.users import service as users
from gatehouse.federation.models import IdentityProvider, LinkedAccount

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Users"])

LINKS = "/users/{user_id}/linkedAccounts"
LINK = LINKS + "/{link_id}"


def render_link(ctx: Admin, link: LinkedAccount, provider: IdentityProvider) -> dict[str, Any]:
    user_href = ctx.href(f"/users/{link.user_id}")
    body = {
        "id": str(link.id),
        "environment": {"id": str(link.environment_id)},
        "user": {"id": str(link.user_id)},
        "identityProvider": {"id": str(provider.id), "type": provider.type, "name": provider.name},
        "externalId": link.external_id,
        "createdAt": clock.isoformat(link.created_at),
        "updatedAt": clock.isoformat(link.updated_at),
    }
    return hal.resource(body, f"{user_href}/linkedAccounts/{link.id}", user=user_href)


@router.get(LINKS, responses={200: {"model": Collection}})
async def list_linked_accounts(
    user_id: uuid.UUID, ctx: Admin = admin("users:read", populations=True)
) -> hal.HalResponse:
    user = await users.get_user(
        ctx.session, ctx.environment_id, user_id, ctx.populations_for("users:read")
    )
    rows = await ctx.session.execute(
        sa.select(LinkedAccount, IdentityProvider)
        .join(IdentityProvider, IdentityProvider.id == LinkedAccount.identity_provider_id)
        .where(LinkedAccount.user_id == user.id)
        .order_by(LinkedAccount.created_at, LinkedAccount.id)
    )
    items = [render_link(ctx, link, provider) for link, provider in rows.tuples()]
    href = ctx.href(f"/users/{user.id}/linkedAccounts")
    return hal.ok(hal.collection("linkedAccounts", items, href))


@router.delete(LINK, status_code=204)
async def delete_linked_account(
    user_id: uuid.UUID, link_id: uuid.UUID, ctx: Admin = admin("users:update", populations=True)
) -> Response:
    user = await users.get_user(
        ctx.session, ctx.environment_id, user_id, ctx.populations_for("users:update")
    )
    link = await ctx.session.get(LinkedAccount, link_id)
    if link is None or link.user_id != user.id:
        raise not_found()
    await ctx.session.delete(link)
    await ctx.session.flush()
    return hal.no_content()
