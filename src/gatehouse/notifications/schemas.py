"""Request and response models of the notifications context: the outbox (a Gatehouse extension:
PingOne has no such resource), templates and their contents, and the notification settings."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from gatehouse.common.schemas import HalView, RequestModel, Timestamp


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


# --- templates and their contents (pingone/06 section 2) ---------------------------------------

Locale = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,4})?$")]
Variant = Annotated[str, StringConstraints(min_length=1, max_length=100)]
MAX_EMAIL_BODY = 100 * 1024
MAX_VOICE_CONTENT = 1024


class Party(RequestModel):
    """An e-mail's from or replyTo: a name and an address."""

    name: Annotated[str, StringConstraints(max_length=256, pattern=r"^[^\r\n]*$")] | None = None
    address: (
        Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s<>,]+@[^@\s<>,]+$")] | None
    ) = None


class TemplateContentWrite(RequestModel):
    """A template content; which fields it needs depends on deliveryMethod (Email: body; SMS and
    Voice: content). Push is refused: Gatehouse sends no push notifications."""

    locale: Locale
    delivery_method: Literal["Email", "SMS", "Voice", "Push"] = Field(alias="deliveryMethod")
    variant: Variant | None = None
    subject: Annotated[str, StringConstraints(max_length=256)] | None = None
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_EMAIL_BODY)] | None = None
    from_: Party | None = Field(default=None, alias="from")
    reply_to: Party | None = Field(default=None, alias="replyTo")
    charset: Literal["UTF-8", "utf-8"] | None = None
    email_content_type: Literal["text/html", "text/plain"] | None = Field(
        default=None, alias="emailContentType"
    )
    content: (
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_VOICE_CONTENT)] | None
    ) = None
    sender: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 ]{1,11}$")] | None = None
    voice: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class TemplateView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    name: str
    display_name: str = Field(alias="displayName")
    description: str
    delivery_methods: list[str] = Field(alias="deliveryMethods")
    variables: dict[str, dict[str, bool]]
    allow_dynamic_variables: bool = Field(alias="allowDynamicVariables")


class TemplateContentView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    template: dict[str, str]
    locale: str
    delivery_method: str = Field(alias="deliveryMethod")
    variant: str | None = None
    default: bool = False
    subject: str | None = None
    body: str | None = None
    from_: dict[str, str] | None = Field(default=None, alias="from")
    reply_to: dict[str, str] | None = Field(default=None, alias="replyTo")
    charset: str | None = None
    email_content_type: str | None = Field(default=None, alias="emailContentType")
    content: str | None = None
    sender: str | None = None
    voice: str | None = None
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
