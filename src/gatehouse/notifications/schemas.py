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


# --- notification settings and delivery settings (pingone-management NotificationsSettings*) ---

Host = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$"
    ),
]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
HeaderName = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
]
Header = Annotated[str, StringConstraints(min_length=1, max_length=1024, pattern=r"^[^\r\n\x00]*$")]


class Sender(Party):
    address: Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s<>,]+@[^@\s<>,]+$")]


class NotificationsSettingsWrite(RequestModel):
    delivery_mode: Literal["ALL"] | None = Field(default=None, alias="deliveryMode")
    from_: Party | None = Field(default=None, alias="from")
    reply_to: Party | None = Field(default=None, alias="replyTo")
    sms_providers_fallback_chain: (
        Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=10)]
        | None
    ) = Field(default=None, alias="smsProvidersFallbackChain")


class NotificationsSettingsView(HalView):
    environment: dict[str, str]
    delivery_mode: str = Field(alias="deliveryMode")
    from_: dict[str, str] | None = Field(default=None, alias="from")
    reply_to: dict[str, str] | None = Field(default=None, alias="replyTo")
    sms_providers_fallback_chain: list[str] = Field(alias="smsProvidersFallbackChain")
    updated_at: Timestamp | None = Field(default=None, alias="updatedAt")


class EmailDeliverySettingsWrite(RequestModel):
    """The environment's own SMTP server (the SMTP form of PingOne's emailDeliverySettings).
    `protocol` SMTP is STARTTLS, SMTPS implicit TLS; without it the port decides as PingOne
    documents (25, 587 and 2525 STARTTLS, others SMTPS). The password is write-only."""

    protocol: Literal["SMTP", "SMTPS", "HTTP"] | None = None
    host: Host
    port: Annotated[int, Field(ge=1, le=65535)] = 465
    username: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    password: Secret | None = None
    from_: Sender = Field(alias="from")
    reply_to: Party | None = Field(default=None, alias="replyTo")


class EmailDeliverySettingsView(HalView):
    environment: dict[str, str]
    protocol: str
    host: str
    port: int
    username: str | None = None
    from_: dict[str, str] = Field(alias="from")
    reply_to: dict[str, str] | None = Field(default=None, alias="replyTo")
    updated_at: Timestamp = Field(alias="updatedAt")


class PhoneRequest(RequestModel):
    """One HTTP request of a custom provider: `${to}` and `${message}` are required (in the URL
    of a GET, the URL or body of a POST); `${otp}`, `${from}`, `${locale}`, `${voice}` and the
    `${user.*}` variables may be used too."""

    delivery_method: Literal["SMS", "VOICE"] = Field(alias="deliveryMethod")
    url: Annotated[str, StringConstraints(min_length=1, max_length=2048)]
    method: Literal["GET", "POST"]
    body: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    headers: Annotated[dict[HeaderName, Header], Field(max_length=20)] | None = None
    phone_number_format: Literal["FULL", "NUMBER_ONLY"] = Field(
        default="FULL", alias="phoneNumberFormat"
    )
    before_tag: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, alias="beforeTag"
    )
    after_tag: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, alias="afterTag"
    )


class PhoneAuthentication(RequestModel):
    method: Literal["BASIC", "BEARER"]
    username: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    password: Secret | None = None
    auth_token: Secret | None = Field(default=None, alias="authToken")


class PhoneNumber(RequestModel):
    number: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    type: Literal["SHORT_CODE", "TOLL_FREE", "PHONE_NUMBER"]
    selected: bool = False
    available: bool = True
    capabilities: list[Literal["SMS", "VOICE"]] = Field(default_factory=list, max_length=2)
    supported_countries: list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] | None = (
        Field(default=None, alias="supportedCountries")
    )


class PhoneDeliverySettingsWrite(RequestModel):
    """A CUSTOM_PROVIDER (the only provider Gatehouse can call): its requests, authentication
    (password and authToken write-only) and numbers."""

    provider: Literal["CUSTOM_PROVIDER", "CUSTOM_TWILIO", "CUSTOM_SYNIVERSE"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    requests: Annotated[list[PhoneRequest], Field(max_length=2)] | None = None
    authentication: PhoneAuthentication | None = None
    numbers: Annotated[list[PhoneNumber], Field(max_length=20)] | None = None


class PhoneDeliverySettingsView(HalView):
    id: uuid.UUID
    environment: dict[str, str]
    provider: str
    name: str
    requests: list[dict[str, object]]
    authentication: dict[str, str]
    numbers: list[dict[str, object]] = Field(default_factory=list)
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
