"""Sending one-time codes to SMS, voice and e-mail devices. Every message is written to the
notifications outbox (GET /v1/environments/{envId}/outbox reads it), under PingOne's template
names: `device_pairing` (activating a device), `strong_authentication` (signing on) and
`transaction` (approving a transaction: a request object's pi.template).

What the message says is the environment's content of that template for the device's delivery
method, the user's locale and the notice's variant (notifications.contents), its `${otp}`,
`${user.*}` and (transaction) the notice's own variables filled in; else the built-in wording.
E-mail is delivered over SMTP when one is configured (notifications.service.deliver_email), SMS
and voice messages through the environment's custom phone providers when it has some
(notifications.phone); the outbox always keeps the message.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.ids import new_id
from gatehouse.directory.models import User
from gatehouse.mfa.models import MfaDevice
from gatehouse.mfa.policies.schemas import EMAIL, SMS, VOICE
from gatehouse.notifications import contents
from gatehouse.notifications import service as notifications
from gatehouse.notifications.catalogue import DEVICE_PAIRING as PAIRING
from gatehouse.notifications.catalogue import STRONG_AUTHENTICATION as AUTHENTICATION
from gatehouse.notifications.catalogue import TRANSACTION
from gatehouse.notifications.models import OutboxMessage
from gatehouse.notifications.phone import PhoneMessage, deliver_phone
from gatehouse.runtime import Runtime

__all__ = ["AUTHENTICATION", "PAIRING", "TRANSACTION", "Notice", "deliver_otp"]

# the device types and the delivery methods of template contents
METHODS = {EMAIL: "Email", SMS: "SMS", VOICE: "Voice"}


@dataclass(frozen=True)
class Notice:
    """Which template a sign-on passcode uses: strong_authentication, or a transaction's
    (variant and variables from the request object), and the locales the request prefers."""

    template: str = AUTHENTICATION
    variant: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    locales: tuple[str, ...] = ()


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
    TRANSACTION: _Wording(
        "Approve the transaction",
        "Your code to approve the transaction is {code}. It expires in {duration}.",
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
    notice: Notice | None = None,
) -> OutboxMessage:
    """Send `code` to `device` (SMS, VOICE or EMAIL) for `purpose` (PAIRING or AUTHENTICATION,
    which `notice` may make a transaction): write the outbox message, and deliver an e-mail when
    SMTP is configured. A delivery failure is recorded on the message and logged; it never fails
    the request."""
    notice = notice or Notice()
    template = PAIRING if purpose == PAIRING else notice.template
    minutes = math.ceil(lifetime_seconds / 60)
    duration = f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    content = await contents.find_content(
        session,
        device.environment_id,
        template,
        METHODS[device.type],
        locales=notifications.user_locales(user, notice.locales),
        variant=notice.variant,
    )
    if content is not None:
        values = {**notice.variables, **notifications.user_variables(user), "otp": code}
        rendered = contents.render_content(content, values)
    else:
        rendered = _built_in(user, device, template, code, duration)
    message = OutboxMessage(
        id=new_id(),
        environment_id=device.environment_id,
        user_id=user.id,
        channel=device.type,
        recipient=device.email if device.type == EMAIL else device.phone,
        template=template,
        subject=rendered.subject if device.type == EMAIL else None,
        body=rendered.text,
        variables={"code": code, "expiresIn": duration},
        created_at=clock.now(),
    )
    if device.type == EMAIL:
        await notifications.deliver_email(
            session, runtime, message, notifications.as_email(rendered)
        )
    else:
        phone = PhoneMessage(
            method=device.type,
            to=message.recipient,
            text=rendered.text,
            otp=code,
            locale=next(iter(notifications.user_locales(user, notice.locales)), "en"),
            user=notifications.user_variables(user),
            voice=rendered.voice,
        )
        await deliver_phone(session, runtime, message, phone)
    session.add(message)
    await session.flush()
    return message


def _built_in(
    user: User, device: MfaDevice, template: str, code: str, duration: str
) -> contents.RenderedContent:
    wording = _WORDING[template]
    spoken = " ".join(code) if device.type == VOICE else code
    body = wording.sentence.format(code=spoken, duration=duration)
    if device.type != EMAIL:
        return contents.RenderedContent(body)
    return contents.RenderedContent(
        _email_text(user, body), wording.subject, _email_html(user, wording.subject, body)
    )


def _email_text(user: User, body: str) -> str:
    return f"Hello {user.username},\n\n{body}\n\nIf you did not ask for this, you can ignore it.\n"


def _email_html(user: User, subject: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head>\n"
        '<body style="font-family: sans-serif; line-height: 1.5;">\n'
        f"<p>Hello {html.escape(user.username)},</p>\n<p>{html.escape(body)}</p>\n"
        "<p>If you did not ask for this, you can ignore it.</p>\n</body></html>\n"
    )
