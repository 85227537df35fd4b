"""Sending one-time codes to SMS, voice and e-mail devices. Every message is written to the
notifications outbox (GET /v1/environments/{envId}/outbox reads it), under PingOne's template
names: `device_pairing` (activating a device) and `strong_authentication` (signing on).

SMS and voice have no provider yet: the outbox row is the delivery, and the SMS provider, when it
comes, delivers from here. E-mail is delivered over SMTP when `smtp_host` is set, exactly as
notifications.send_email does; send_email itself is not called because the code goes to the
device's address (which need not be the user's profile address) and the e-mail templates have no
MFA messages. Once send_email takes a recipient and those templates, `_deliver_email` becomes one
call to it.
"""

from __future__ import annotations

import html
import logging
import math
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.ids import new_id
from gatehouse.directory.models import User
from gatehouse.mfa.models import MfaDevice
from gatehouse.mfa.policies.schemas import EMAIL, VOICE
from gatehouse.notifications import smtp
from gatehouse.notifications.models import OutboxMessage
from gatehouse.notifications.templates import RenderedEmail
from gatehouse.runtime import Runtime

log = logging.getLogger("gatehouse.mfa")

PAIRING = "device_pairing"
AUTHENTICATION = "strong_authentication"
MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True)
class _Wording:
    subject: str
    sentence: str  # the message, with {code} and {duration}


_WORDING = {
    PAIRING: _Wording(
        "Confirm your new sign-on method",
        "Your code to confirm this sign-on method is {code}. It expires in {duration}.",
    ),
    AUTHENTICATION: _Wording(
        "Your sign-on code",
        "Your sign-on code is {code}. It expires in {duration}.",
    ),
}


async def deliver_otp(
    session: AsyncSession,
    runtime: Runtime,
    *,
    user: User,
    device: MfaDevice,
    code: str,
    purpose: str,
    lifetime_seconds: int,
) -> OutboxMessage:
    """Send `code` to `device` (SMS, VOICE or EMAIL) for `purpose` (PAIRING or AUTHENTICATION):
    write the outbox message, and deliver an e-mail when SMTP is configured. A delivery failure
    is recorded on the message and logged; it never fails the request."""
    wording = _WORDING[purpose]
    minutes = math.ceil(lifetime_seconds / 60)
    duration = f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    spoken = " ".join(code) if device.type == VOICE else code
    body = wording.sentence.format(code=spoken, duration=duration)
    message = OutboxMessage(
        id=new_id(),
        environment_id=device.environment_id,
        user_id=user.id,
        channel=device.type,
        recipient=device.email if device.type == EMAIL else device.phone,
        template=purpose,
        subject=wording.subject if device.type == EMAIL else None,
        body=_email_text(user, body) if device.type == EMAIL else body,
        variables={"code": code, "expiresIn": duration},
        created_at=clock.now(),
    )
    if device.type == EMAIL and runtime.settings.smtp_host:
        await _deliver_email(runtime, message, _email(user, wording.subject, body))
    session.add(message)
    await session.flush()
    return message


def _email_text(user: User, body: str) -> str:
    return f"Hello {user.username},\n\n{body}\n\nIf you did not ask for this, you can ignore it.\n"


def _email(user: User, subject: str, body: str) -> RenderedEmail:
    return RenderedEmail(
        subject=subject,
        text=_email_text(user, body),
        html=(
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(subject)}</title></head>\n"
            '<body style="font-family: sans-serif; line-height: 1.5;">\n'
            f"<p>Hello {html.escape(user.username)},</p>\n<p>{html.escape(body)}</p>\n"
            "<p>If you did not ask for this, you can ignore it.</p>\n</body></html>\n"
        ),
    )


async def _deliver_email(runtime: Runtime, message: OutboxMessage, email: RenderedEmail) -> None:
    settings = runtime.settings
    try:
        await smtp.send(settings, smtp.build_message(settings, message.recipient, email))
    except smtp.DeliveryError as exc:
        log.warning("delivery of outbox message %s failed: %s", message.id, exc)
        message.delivery_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
    else:
        message.delivered_at = clock.now()
