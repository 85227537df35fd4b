"""Delivery over SMTP (RFC 5321) with smtplib, run in a worker thread so the event loop never
waits on the network. Implicit TLS when `smtp_ssl`, else STARTTLS when `smtp_starttls` (required:
a server that does not offer it is a delivery error, never a silent downgrade to plain text)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import anyio.to_thread

from gatehouse.notifications.templates import RenderedEmail
from gatehouse.settings import Settings

DeliveryError = (smtplib.SMTPException, OSError, UnicodeError)


def build_message(settings: Settings, recipient: str, email: RenderedEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain_of(settings.smtp_from))
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


async def send(settings: Settings, message: EmailMessage) -> None:
    """Deliver `message`; raises one of DeliveryError when the server cannot be reached or
    refuses it."""
    await anyio.to_thread.run_sync(_send_blocking, settings, message)


def _send_blocking(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_host
    timeout = settings.smtp_timeout_seconds
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.smtp_ssl:
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with client:
        client.ehlo()
        if settings.smtp_starttls and not settings.smtp_ssl:
            client.starttls(context=context)
            client.ehlo()
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password or "")
        client.send_message(message)


def _domain_of(address: str) -> str:
    domain = address.rsplit("@", 1)[-1].strip(" >")
    return domain or "gatehouse.local"
