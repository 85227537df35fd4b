"""/v1/environments/{environmentId}/outbox: the messages Gatehouse sent (or tried to send) to the
environment's users, newest first. A Gatehouse extension for development and tests: without an
SMTP server configured the outbox is where verification and recovery codes are read.
Reading it needs `notifications:read`."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query

from gatehouse.access.dependencies import Admin, admin
from gatehouse.common import hal
from gatehouse.common.errors import invalid_value
from gatehouse.common.pagination import parse_limit
from gatehouse.common.schemas import Collection, ref
from gatehouse.notifications import service
from gatehouse.notifications.models import OutboxMessage
from gatehouse.notifications.schemas import OutboxMessageView

router = APIRouter(prefix="/v1/environments/{environment_id}", tags=["Outbox (Gatehouse)"])

MAX_RECIPIENT_LENGTH = 320


def render_message(message: OutboxMessage, ctx: Admin) -> dict[str, Any]:
    view = OutboxMessageView(
        id=message.id,
        environment=ref(message.environment_id),
        user=ref(message.user_id),
        channel=message.channel,
        recipient=message.recipient,
        template=message.template,
        subject=message.subject,
        body=message.body,
        created_at=message.created_at,
        delivered_at=message.delivered_at,
        delivery_error=message.delivery_error,
    )
    return hal.resource(view, ctx.href(f"/outbox/{message.id}"), environment=ctx.href())


def recipient_query(
    recipient: str | None = Query(None, description="Only messages to this address."),
) -> str | None:
    if recipient is not None and (len(recipient) > MAX_RECIPIENT_LENGTH or "\x00" in recipient):
        raise invalid_value("recipient", "The recipient is not a valid address.")
    return recipient


@router.get("/outbox", responses={200: {"model": Collection}})
async def list_outbox(
    ctx: Admin = admin("notifications:read"),
    recipient: str | None = Depends(recipient_query),
    limit: int | None = Query(None, description="The page size (1-1000)."),
    cursor: str | None = Query(None, description="The cursor of the next page."),
) -> hal.HalResponse:
    """The environment's outbox, newest first (a Gatehouse extension, not a PingOne API)."""
    page = await service.list_messages(
        ctx.session,
        ctx.environment_id,
        recipient=recipient,
        limit=parse_limit(limit),
        cursor=cursor,
    )
    return hal.ok(
        hal.collection(
            "messages",
            [render_message(message, ctx) for message in page.items],
            ctx.href("/outbox"),
            query={"recipient": recipient, "limit": limit},
            count=page.count,
            next_cursor=page.next_cursor,
        )
    )


@router.get("/outbox/{message_id}", responses={200: {"model": OutboxMessageView}})
async def read_outbox_message(
    message_id: uuid.UUID, ctx: Admin = admin("notifications:read")
) -> hal.HalResponse:
    """One message of the outbox (a Gatehouse extension, not a PingOne API)."""
    message = await service.get_message(ctx.session, ctx.environment_id, message_id)
    return hal.ok(render_message(message, ctx))
