"""Response models of the outbox (a Gatehouse extension: PingOne has no such resource)."""

from __future__ import annotations

import uuid

from pydantic import Field

from gatehouse.common.schemas import HalView, Timestamp


class OutboxMessageView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    user: dict[str, str] | None = None
    channel: str
    recipient: str
    template: str
    subject: str | None = None
    body: str
    created_at: Timestamp = Field(alias="createdAt")
    delivered_at: Timestamp | None = Field(default=None, alias="deliveredAt")
    delivery_error: str | None = Field(default=None, alias="deliveryError")
