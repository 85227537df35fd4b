"""The outbox: every message Gatehouse sends is recorded here, in the unit of work of the request
that sent it, with how its delivery went when a channel is configured (SMTP for e-mail). Without
one the outbox is the delivery: admins and tests read it through
GET /v1/environments/{envId}/outbox (a Gatehouse extension).

What an e-mail says is the environment's template content for the user's locale
(notifications.contents: `email_verification_user` for the verification code,
`recovery_code_template` for the recovery code), else the built-in message
(notifications.templates).

A delivery failure is recorded on the message (`delivery_error`) and logged; it never loses the
row nor fails the request that sent it.
"""

from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import Detail, Problem, not_found
from gatehouse.common.ids import new_id
from gatehouse.common.pagination import Order, Page, fetch_page
from gatehouse.directory.models import User
from gatehouse.federation.outbound import OutboundError
from gatehouse.notifications import contents, delivery_settings, smtp, templates
from gatehouse.notifications.catalogue import EMAIL as EMAIL_METHOD
from gatehouse.notifications.catalogue import EMAIL_VERIFICATION_USER, RECOVERY_CODE
from gatehouse.notifications.models import OutboxMessage
from gatehouse.runtime import Runtime

log = logging.getLogger("gatehouse.notifications")

EMAIL = "EMAIL"
NEWEST_FIRST = Order(OutboxMessage.created_at, descending=True)
# the built-in e-mail templates and the PingOne templates whose contents replace them
CONTENT_TEMPLATES = {"email_verification": EMAIL_VERIFICATION_USER, "recovery_code": RECOVERY_CODE}


async def send_email(
    session: AsyncSession,
    runtime: Runtime,
    *,
    environment_id: uuid.UUID,
    user: User,
    template: str,
    variables: dict[str, str],
) -> OutboxMessage:
    """Write the message of `template` to `user`'s e-mail address into the outbox, and deliver it
    over SMTP when the environment or GATEHOUSE_SMTP_HOST names a server. `variables` fill the template; `username` defaults
    to the user's. A user without an e-mail address is a REQUEST_FAILED problem."""
    if not user.email:
        raise Problem(
            400,
            "REQUEST_FAILED",
            "The request could not be completed. The user has no email address to send to.",
            [Detail("INVALID_VALUE", "The user has no email address.", "email")],
        )
    email = await _email_for(session, environment_id, user, template, variables)
    message = OutboxMessage(
        id=new_id(),
        environment_id=environment_id,
        user_id=user.id,
        channel=EMAIL,
        recipient=user.email,
        template=template,
        subject=email.subject,
        body=email.text,
        variables=dict(variables),
        created_at=clock.now(),
    )
    # Deliver before writing, so no database write is held open while the SMTP server answers.
    await deliver_email(session, runtime, message, email)
    session.add(message)
    await session.flush()
    return message


async def _email_for(
    session: AsyncSession,
    environment_id: uuid.UUID,
    user: User,
    template: str,
    variables: dict[str, str],
) -> templates.RenderedEmail:
    content = await contents.find_content(
        session,
        environment_id,
        CONTENT_TEMPLATES[template],
        EMAIL_METHOD,
        locales=user_locales(user),
    )
    if content is None:
        return templates.render(template, {"username": user.username, **variables})
    return as_email(contents.render_content(content, {**user_variables(user), **variables}))


def user_variables(user: User) -> dict[str, str]:
    """The `${user.*}` variables of template contents."""
    return {
        "user.username": user.username,
        "user.name.given": user.name_given or "",
        "user.name.family": user.name_family or "",
        "user.email": user.email or "",
    }


def user_locales(user: User, requested: tuple[str, ...] = ()) -> list[str]:
    """The locales to look for a content in: the request's ui_locales, then the user's."""
    return [locale for locale in (*requested, user.locale, user.preferred_language) if locale]


def as_email(rendered: contents.RenderedContent) -> templates.RenderedEmail:
    return templates.RenderedEmail(
        subject=rendered.subject or "",
        text=rendered.text,
        html=rendered.html,
        sender=rendered.sender,
        reply_to=rendered.reply_to,
    )


async def deliver_email(
    session: AsyncSession,
    runtime: Runtime,
    message: OutboxMessage,
    email: templates.RenderedEmail,
) -> None:
    """Deliver `message` over the environment's SMTP server (else GATEHOUSE_SMTP_*, else not
    at all), recording how it went on the message; a failure is logged, never raised."""
    environment_id = message.environment_id
    try:
        server = await delivery_settings.email_server(session, runtime, environment_id)
        if server is None:
            return
        sender, reply_to = await delivery_settings.email_addresses(session, environment_id)
        built = smtp.build_message(
            email.sender or sender or server.sender,
            message.recipient,
            email,
            email.reply_to or reply_to,
        )
        await smtp.send(server, built)
    except (*smtp.DeliveryError, OutboundError) as exc:
        log.warning("delivery of outbox message %s failed: %s", message.id, exc)
        message.record_failure(f"{type(exc).__name__}: {exc}")
    else:
        message.delivered_at = clock.now()


async def list_messages(
    session: AsyncSession,
    environment_id: uuid.UUID,
    *,
    recipient: str | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """The environment's messages, newest first; `recipient` matches case-insensitively."""
    stmt = sa.select(OutboxMessage).where(OutboxMessage.environment_id == environment_id)
    if recipient is not None:
        stmt = stmt.where(sa.func.lower(OutboxMessage.recipient) == recipient.lower())
    return await fetch_page(
        session,
        stmt,
        id_column=OutboxMessage.id,
        order=NEWEST_FIRST,
        limit=limit,
        cursor=cursor,
    )


async def get_message(
    session: AsyncSession, environment_id: uuid.UUID, message_id: uuid.UUID
) -> OutboxMessage:
    message = await session.get(OutboxMessage, message_id)
    if message is None or message.environment_id != environment_id:
        raise not_found("The message was not found.")
    return message
