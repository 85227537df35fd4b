"""Sending an SMS or a voice message through the environment's custom providers
(/notificationsSettings/phoneDeliverySettings): the provider's HTTP request for the delivery
method, its `${...}` variables filled (URL-encoded in the URL; JSON-escaped in a JSON body,
form-encoded in any other body), its headers, and Basic or Bearer authentication, sent under the
outbound request policy (federation.outbound). A 2xx answer is a delivery; otherwise the next
provider of the fallback chain is tried. How it went is recorded on the outbox message; a
failure is logged, never raised.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.federation import outbound
from gatehouse.notifications import rendering
from gatehouse.notifications.delivery_settings import phone_providers, phone_secret
from gatehouse.notifications.models import OutboxMessage, PhoneDeliverySettings
from gatehouse.runtime import Runtime

log = logging.getLogger("gatehouse.notifications")


@dataclass(frozen=True)
class PhoneMessage:
    method: str  # SMS | VOICE
    to: str  # E.164
    text: str
    otp: str | None = None
    locale: str = "en"
    user: dict[str, str] | None = None  # the ${user.*} variables
    voice: str | None = None  # the ${voice} of a Voice template content


class ProviderRefused(Exception):
    pass


async def deliver_phone(
    session: AsyncSession, runtime: Runtime, message: OutboxMessage, phone: PhoneMessage
) -> None:
    """Deliver through the first provider that takes it; without providers the outbox row is
    the delivery (nothing is recorded on it)."""
    errors: list[str] = []
    for provider in await phone_providers(session, message.environment_id):
        request = _request_for(provider, phone.method)
        if request is None:
            continue
        try:
            await _send(runtime, provider, request, phone)
        except (outbound.OutboundError, ProviderRefused) as error:
            reason = error.message if isinstance(error, outbound.OutboundError) else str(error)
            log.warning("phone provider %s refused message %s: %s", provider.id, message.id, reason)
            errors.append(f"{provider.settings.get('name')}: {reason}")
            continue
        message.delivered_at = clock.now()
        message.delivery_error = None
        return
    if errors:
        message.record_failure("; ".join(errors))


def _request_for(provider: PhoneDeliverySettings, method: str) -> dict[str, object] | None:
    for request in provider.settings.get("requests") or []:
        if request.get("deliveryMethod") == method:
            return dict(request)
    return None


async def _send(
    runtime: Runtime,
    provider: PhoneDeliverySettings,
    request: dict[str, object],
    phone: PhoneMessage,
) -> None:
    values = _values(provider, request, phone)
    headers = {str(k): str(v) for k, v in dict(request.get("headers") or {}).items()}
    authorization = _authorization(runtime, provider)
    if authorization:
        headers["Authorization"] = authorization
    url = rendering.render(str(request["url"]), values, lambda value: quote(value, safe=""))
    body = request.get("body")
    content = None
    if request["method"] == "POST" and isinstance(body, str):
        content = rendering.render(body, values, _body_escape(headers)).encode()
    policy = outbound.OutboundPolicy.from_settings(runtime.settings)
    response = await outbound.request(
        str(request["method"]), url, policy, headers=headers, content=content
    )
    if not 200 <= response.status_code < 300:
        raise ProviderRefused(f"{response.url} answered HTTP {response.status_code}.")


def _values(
    provider: PhoneDeliverySettings, request: dict[str, object], phone: PhoneMessage
) -> dict[str, str]:
    number = phone.to if request.get("phoneNumberFormat") != "NUMBER_ONLY" else phone.to[1:]
    otp = phone.otp or ""
    if phone.method == "VOICE" and (request.get("beforeTag") or request.get("afterTag")):
        before, after = str(request.get("beforeTag") or ""), str(request.get("afterTag") or "")
        otp = "".join(f"{before}{digit}{after}" for digit in otp)
    return {
        **(phone.user or {}),
        "to": number,
        "message": phone.text,
        "otp": otp,
        "from": _from_number(provider, phone.method),
        "locale": phone.locale,
        "voice": phone.voice or "",
    }


def _from_number(provider: PhoneDeliverySettings, method: str) -> str:
    numbers = provider.settings.get("numbers") or []
    for number in numbers:
        if number.get("selected") and method in (number.get("capabilities") or [method]):
            return str(number["number"])
    return ""


def _body_escape(headers: dict[str, str]) -> Callable[[str], str]:
    content_type = next(
        (value.lower() for name, value in headers.items() if name.lower() == "content-type"), ""
    )
    if "json" in content_type:
        return lambda value: json.dumps(value)[1:-1]
    return quote_plus


def _authorization(runtime: Runtime, provider: PhoneDeliverySettings) -> str | None:
    authentication = provider.settings.get("authentication") or {}
    secret = phone_secret(runtime.sealer, provider)
    if secret is None:
        return None
    if authentication.get("method") == "BEARER":
        return f"Bearer {secret}"
    pair = f"{authentication.get('username', '')}:{secret}".encode()
    return f"Basic {base64.b64encode(pair).decode()}"
