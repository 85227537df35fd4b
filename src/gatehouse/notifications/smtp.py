"""Delivery over SMTP (RFC 5321) with smtplib, run in a worker thread so the event loop never
waits on the network. Implicit TLS when `implicit_tls`, else STARTTLS when `starttls` (required:
a server that does not offer it is a delivery error, never a silent downgrade to plain text).
`connect_to` pins the address dialled (checked by the outbound policy) while TLS verifies the
host name."""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import anyio.to_thread

from gatehouse.notifications.templates import RenderedEmail
from gatehouse.settings import Settings

DeliveryError = (smtplib.SMTPException, OSError, UnicodeError)


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    sender: str  # the From header
    implicit_tls: bool = False
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    connect_to: str | None = None  # the checked address to connect to, when not `host` itself

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer | None:
        """The server of GATEHOUSE_SMTP_*; None when no host is set."""
        if not settings.smtp_host:
            return None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            implicit_tls=settings.smtp_ssl,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )


def build_message(
    sender: str, recipient: str, email: RenderedEmail, reply_to: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
    message.set_content(email.text)
    if email.html is not None:
        message.add_alternative(email.html, subtype="html")
    return message


async def send(server: SmtpServer, message: EmailMessage) -> None:
    """Deliver `message`; raises one of DeliveryError when the server cannot be reached or
    refuses it."""
    await anyio.to_thread.run_sync(_send_blocking, server, message)


def _send_blocking(server: SmtpServer, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    where = {"host": server.host, "port": server.port, "timeout": server.timeout}
    client: smtplib.SMTP
    if server.implicit_tls:
        client = _PinnedSMTPSSL(server.connect_to, **where, context=context)
    else:
        client = _PinnedSMTP(server.connect_to, **where)
    with client:
        client.ehlo()
        if server.starttls and not server.implicit_tls:
            client.starttls(context=context)
            client.ehlo()
        if server.username:
            client.login(server.username, server.password or "")
        client.send_message(message)


class _Pinned(smtplib.SMTP):
    """Dials the checked address while the host name stays what TLS verifies."""

    def __init__(self, address: str | None, **options: Any) -> None:
        self.pinned_address = address
        super().__init__(**options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return super()._get_socket(self.pinned_address or host, port, timeout)  # type: ignore[misc]


class _PinnedSMTP(_Pinned):
    pass


class _PinnedSMTPSSL(_Pinned, smtplib.SMTP_SSL):
    pass


def _domain_of(address: str) -> str:
    domain = address.rsplit("@", 1)[-1].strip(" >")
    return domain or "gatehouse.local"
