"""An environment's notification settings (/notificationsSettings), its own SMTP server
(/notificationsSettings/emailDeliverySettings) and its SMS and voice providers
(/notificationsSettings/phoneDeliverySettings).

Choices where PingOne is silent or Gatehouse differs:
- Only the SMTP form of emailDeliverySettings (protocol SMTP: STARTTLS, always required; SMTPS:
  implicit TLS) and only CUSTOM_PROVIDER phone providers are served; the HTTP e-mail provider,
  CUSTOM_TWILIO and CUSTOM_SYNIVERSE are refused (INVALID_VALUE provider/protocol).
- Passwords and tokens are sealed, never returned; a PUT without one keeps the stored one.
- The environment's SMTP server replaces GATEHOUSE_SMTP_* for its messages; its host is
  reached under the outbound request policy (public addresses only unless
  GATEHOUSE_OUTBOUND_ALLOW_PRIVATE), like every URL an administrator gives.
- From: a template content's `from`, else /notificationsSettings `from`, else the SMTP server's
  `from` (the environment's, or GATEHOUSE_SMTP_FROM); Reply-To the same way.
- smsProvidersFallbackChain orders the providers (ids of phoneDeliverySettings; `PINGONE_TWILIO`
  stands for Gatehouse's own channel, the outbox, and ends the chain); without one every provider
  is tried in creation order. `restrictions` and `whitelist` are not served.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from email.utils import formataddr
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import invalid_value, not_found, required_value
from gatehouse.common.ids import new_id
from gatehouse.crypto.sealing import Sealer
from gatehouse.federation.outbound import OutboundPolicy, resolve, url_problem
from gatehouse.notifications import rendering
from gatehouse.notifications.models import (
    EmailDeliverySettings,
    NotificationSettings,
    PhoneDeliverySettings,
)
from gatehouse.notifications.schemas import (
    EmailDeliverySettingsWrite,
    NotificationsSettingsWrite,
    Party,
    PhoneDeliverySettingsWrite,
    PhoneRequest,
)
from gatehouse.notifications.smtp import SmtpServer
from gatehouse.runtime import Runtime

PINGONE_TWILIO = "PINGONE_TWILIO"
STARTTLS_PORTS = (25, 587, 2525)
CUSTOM_PROVIDER = "CUSTOM_PROVIDER"
RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
TEST_VALUES = {"to": "+14155550100", "message": "test", "otp": "123456", "from": "", "locale": "en"}


def _party(party: Party | None) -> dict[str, str] | None:
    return party.model_dump(exclude_none=True) if party is not None else None


def formatted(party: dict[str, Any] | None) -> str | None:
    if not party or not party.get("address"):
        return None
    return formataddr((str(party.get("name") or ""), str(party["address"])))


# --- /notificationsSettings ----------------------------------------------------------------------


async def get_settings(
    session: AsyncSession, environment_id: uuid.UUID
) -> NotificationSettings | None:
    return await session.get(NotificationSettings, environment_id)


async def put_settings(
    session: AsyncSession, environment_id: uuid.UUID, data: NotificationsSettingsWrite
) -> NotificationSettings:
    chain = data.sms_providers_fallback_chain or []
    await _check_chain(session, environment_id, chain)
    values = {
        "deliveryMode": data.delivery_mode or "ALL",
        "from": _party(data.from_),
        "replyTo": _party(data.reply_to),
        "smsProvidersFallbackChain": chain,
    }
    row = await get_settings(session, environment_id)
    if row is None:
        row = NotificationSettings(environment_id=environment_id, settings=values)
        session.add(row)
    row.settings = values
    row.updated_at = clock.now()
    await session.flush()
    return row


async def delete_settings(session: AsyncSession, environment_id: uuid.UUID) -> None:
    row = await get_settings(session, environment_id)
    if row is not None:
        await session.delete(row)
        await session.flush()


async def _check_chain(session: AsyncSession, environment_id: uuid.UUID, chain: list[str]) -> None:
    known = {str(row.id) for row in await list_phone_settings(session, environment_id)}
    for index, entry in enumerate(chain):
        if entry != PINGONE_TWILIO and entry not in known:
            raise invalid_value(
                f"smsProvidersFallbackChain[{index}]",
                "Each entry must be the id of a phone delivery setting or PINGONE_TWILIO.",
            )
    if len(set(chain)) != len(chain):
        raise invalid_value("smsProvidersFallbackChain", "An entry is repeated.")


# --- /notificationsSettings/emailDeliverySettings ------------------------------------------------


async def get_email_settings(
    session: AsyncSession, environment_id: uuid.UUID
) -> EmailDeliverySettings | None:
    return await session.get(EmailDeliverySettings, environment_id)


async def put_email_settings(
    session: AsyncSession,
    sealer: Sealer,
    environment_id: uuid.UUID,
    data: EmailDeliverySettingsWrite,
) -> EmailDeliverySettings:
    if data.protocol == "HTTP":
        raise invalid_value("protocol", "Only SMTP and SMTPS servers are supported.")
    protocol = data.protocol or ("SMTP" if data.port in STARTTLS_PORTS else "SMTPS")
    row = await get_email_settings(session, environment_id)
    if data.username and data.password is None and (row is None or row.password_sealed is None):
        raise required_value("password")
    values = {
        "protocol": protocol,
        "host": data.host,
        "port": data.port,
        "username": data.username,
        "from": _party(data.from_),
        "replyTo": _party(data.reply_to),
    }
    if row is None:
        row = EmailDeliverySettings(environment_id=environment_id, settings=values)
        session.add(row)
    row.settings = values
    if data.password is not None:
        row.password_sealed = sealer.seal(data.password, context=f"smtp:{environment_id}")
    if not data.username:
        row.password_sealed = None
    row.updated_at = clock.now()
    await session.flush()
    return row


async def delete_email_settings(session: AsyncSession, environment_id: uuid.UUID) -> None:
    row = await get_email_settings(session, environment_id)
    if row is None:
        raise not_found("The environment has no email delivery settings.")
    await session.delete(row)
    await session.flush()


async def email_server(
    session: AsyncSession, runtime: Runtime, environment_id: uuid.UUID
) -> SmtpServer | None:
    """The SMTP server for the environment's messages: its own (its host checked and pinned by
    the outbound policy, which raises OutboundError), else GATEHOUSE_SMTP_*, else None."""
    row = await get_email_settings(session, environment_id)
    if row is None:
        return SmtpServer.from_settings(runtime.settings)
    values = row.settings
    policy = OutboundPolicy.from_settings(runtime.settings)
    address = (await resolve(values["host"].strip("[]"), values["port"], policy))[0]
    password = (
        runtime.sealer.unseal(row.password_sealed, context=f"smtp:{environment_id}")
        if row.password_sealed
        else None
    )
    return SmtpServer(
        host=values["host"].strip("[]"),
        port=values["port"],
        sender=formatted(values.get("from")) or runtime.settings.smtp_from,
        implicit_tls=values["protocol"] == "SMTPS",
        starttls=True,
        username=values.get("username"),
        password=password,
        timeout=runtime.settings.smtp_timeout_seconds,
        connect_to=str(address),
    )


async def email_addresses(
    session: AsyncSession, environment_id: uuid.UUID
) -> tuple[str | None, str | None]:
    """The From and Reply-To of /notificationsSettings, else of the environment's SMTP server."""
    settings = await get_settings(session, environment_id)
    server = await get_email_settings(session, environment_id)
    sender = formatted(settings.settings.get("from")) if settings else None
    reply_to = formatted(settings.settings.get("replyTo")) if settings else None
    if server is not None:
        sender = sender or formatted(server.settings.get("from"))
        reply_to = reply_to or formatted(server.settings.get("replyTo"))
    return sender, reply_to


# --- /notificationsSettings/phoneDeliverySettings ------------------------------------------------


async def list_phone_settings(
    session: AsyncSession, environment_id: uuid.UUID
) -> Sequence[PhoneDeliverySettings]:
    return (
        await session.scalars(
            sa.select(PhoneDeliverySettings)
            .where(PhoneDeliverySettings.environment_id == environment_id)
            .order_by(PhoneDeliverySettings.created_at, PhoneDeliverySettings.id)
        )
    ).all()


async def get_phone_settings(
    session: AsyncSession, environment_id: uuid.UUID, settings_id: uuid.UUID
) -> PhoneDeliverySettings:
    row = await session.get(PhoneDeliverySettings, settings_id)
    if row is None or row.environment_id != environment_id:
        raise not_found("The phone delivery settings were not found.")
    return row


async def create_phone_settings(
    session: AsyncSession,
    runtime: Runtime,
    environment_id: uuid.UUID,
    data: PhoneDeliverySettingsWrite,
) -> PhoneDeliverySettings:
    row = PhoneDeliverySettings(
        id=new_id(), environment_id=environment_id, provider=CUSTOM_PROVIDER, settings={}
    )
    _apply_phone_settings(runtime, row, data)
    session.add(row)
    await session.flush()
    return row


async def replace_phone_settings(
    session: AsyncSession,
    runtime: Runtime,
    row: PhoneDeliverySettings,
    data: PhoneDeliverySettingsWrite,
) -> PhoneDeliverySettings:
    _apply_phone_settings(runtime, row, data)
    await session.flush()
    return row


async def delete_phone_settings(session: AsyncSession, row: PhoneDeliverySettings) -> None:
    """Deleting a provider also takes it out of the fallback chain."""
    settings = await get_settings(session, row.environment_id)
    if settings is not None:
        chain = settings.settings.get("smsProvidersFallbackChain") or []
        settings.settings = {
            **settings.settings,
            "smsProvidersFallbackChain": [entry for entry in chain if entry != str(row.id)],
        }
    await session.delete(row)
    await session.flush()


def _apply_phone_settings(
    runtime: Runtime, row: PhoneDeliverySettings, data: PhoneDeliverySettingsWrite
) -> None:
    if data.provider != CUSTOM_PROVIDER:
        raise invalid_value("provider", "Only CUSTOM_PROVIDER phone delivery is supported.")
    if not data.name:
        raise required_value("name")
    if not data.requests:
        raise required_value("requests")
    if data.authentication is None:
        raise required_value("authentication")
    methods = [request.delivery_method for request in data.requests]
    if len(set(methods)) != len(methods):
        raise invalid_value("requests", "Give one request per delivery method.")
    for index, request in enumerate(data.requests):
        _check_request(runtime, request, f"requests[{index}]")
    row.settings = {
        "name": data.name,
        "requests": [
            request.model_dump(by_alias=True, exclude_none=True) for request in data.requests
        ],
        "authentication": {
            "method": data.authentication.method,
            **({"username": data.authentication.username} if data.authentication.username else {}),
        },
        "numbers": [
            number.model_dump(by_alias=True, exclude_none=True) for number in data.numbers or []
        ],
    }
    row.secret_sealed = _sealed_secret(runtime.sealer, row, data)


def _check_request(runtime: Runtime, request: PhoneRequest, target: str) -> None:
    if request.method == "POST" and request.body is None:
        raise required_value(f"{target}.body")
    for name in request.headers or {}:
        if name.lower() in RESERVED_HEADERS:
            raise invalid_value(f"{target}.headers", f"The {name} header is set by Gatehouse.")
    used = rendering.names_in(request.url) | rendering.names_in(request.body or "")
    for name in ("to", "message"):
        if name not in used:
            raise invalid_value(target, f"The request must use ${{{name}}}.")
    url = rendering.render(request.url, TEST_VALUES)
    problem = url_problem(url, allow_http=runtime.settings.outbound_allow_http)
    if problem:
        raise invalid_value(f"{target}.url", problem)


def _sealed_secret(
    sealer: Sealer, row: PhoneDeliverySettings, data: PhoneDeliverySettingsWrite
) -> str | None:
    authentication = data.authentication
    assert authentication is not None
    given = (
        authentication.password if authentication.method == "BASIC" else authentication.auth_token
    )
    if authentication.method == "BASIC" and not authentication.username:
        raise required_value("authentication.username")
    if given is not None:
        return sealer.seal(given, context=f"phone:{row.id}")
    stored_method = (
        (row.settings.get("authentication") or {}).get("method") if row.settings else None
    )
    if row.secret_sealed is not None and stored_method == authentication.method:
        return row.secret_sealed  # a PUT without the secret keeps it
    target = (
        "authentication.password"
        if authentication.method == "BASIC"
        else "authentication.authToken"
    )
    raise required_value(target)


def phone_secret(sealer: Sealer, row: PhoneDeliverySettings) -> str | None:
    if row.secret_sealed is None:
        return None
    return sealer.unseal(row.secret_sealed, context=f"phone:{row.id}")


async def phone_providers(
    session: AsyncSession, environment_id: uuid.UUID
) -> list[PhoneDeliverySettings]:
    """The providers to try, in order (smsProvidersFallbackChain, else creation order)."""
    rows = {str(row.id): row for row in await list_phone_settings(session, environment_id)}
    settings = await get_settings(session, environment_id)
    chain = (settings.settings.get("smsProvidersFallbackChain") or []) if settings else []
    if not chain:
        return list(rows.values())
    ordered: list[PhoneDeliverySettings] = []
    for entry in chain:
        if entry == PINGONE_TWILIO:
            break
        if entry in rows:
            ordered.append(rows[entry])
    return ordered
