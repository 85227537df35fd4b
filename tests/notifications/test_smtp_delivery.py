"""Delivery over SMTP to a real server on loopback (aiosmtpd): the message arrives with its code,
in plain text, over STARTTLS with a login, or over implicit TLS; a server that cannot be reached,
does not offer the STARTTLS we require, or presents a certificate we do not trust, is recorded on
the message, which stays in the outbox."""

from __future__ import annotations

import pytest

from gatehouse.notifications.models import OutboxMessage
from tests.notifications.smtp_servers import Inbox, accept_ada, running, server_tls
from tests.support.server import free_port

pytestmark = pytest.mark.anyio


def smtp_settings(port: int, **extra: object) -> dict[str, object]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_timeout_seconds": 5.0,
        **extra,
    }


async def test_the_message_arrives_over_smtp(app, env, make_user, send, smtp_server) -> None:
    inbox, port = smtp_server
    user_id = await make_user(env, email="grace@example.com")
    sent = await send(env, user_id, "recovery_code", {"code": "917364"}, **smtp_settings(port))

    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == "noreply@gatehouse.local"
    assert envelope.rcpt_tos == ["grace@example.com"]
    message = inbox.message()
    assert message["Subject"] == "Your password recovery code"
    assert message["To"] == "grace@example.com"
    assert message["Message-ID"] and message["Date"]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and "917364" in text.get_content()
    assert html is not None and "<strong>917364</strong>" in html.get_content()

    async with app.state.runtime.sessions() as session:
        stored = await session.get(OutboxMessage, sent.id)
    assert stored is not None
    assert stored.delivered_at is not None and stored.delivery_error is None


async def test_an_unreachable_server_is_recorded_and_the_row_kept(
    app, env, make_user, send
) -> None:
    user_id = await make_user(env)
    closed_port = free_port()  # nothing listens there
    sent = await send(env, user_id, **smtp_settings(closed_port))
    async with app.state.runtime.sessions() as session:
        stored = await session.get(OutboxMessage, sent.id)
    assert stored is not None
    assert stored.delivered_at is None
    assert stored.delivery_error and "ConnectionRefusedError" in stored.delivery_error
    assert "123456" in stored.body


async def test_starttls_is_required_when_configured(app, env, make_user, send, smtp_server) -> None:
    inbox, port = smtp_server
    user_id = await make_user(env)
    sent = await send(env, user_id, **smtp_settings(port, smtp_starttls=True))
    assert inbox.envelopes == []
    async with app.state.runtime.sessions() as session:
        stored = await session.get(OutboxMessage, sent.id)
    assert stored is not None and stored.delivered_at is None
    assert stored.delivery_error and "STARTTLS" in stored.delivery_error


async def test_starttls_with_a_login(env, make_user, send, certificate, monkeypatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trust the test's certificate
    options = {
        "tls_context": server_tls(certificate),
        "require_starttls": True,
        "auth_required": True,
        "authenticator": accept_ada,
    }
    user_id = await make_user(env, email="tls@example.com")
    with running(Inbox(), **options) as (inbox, port):
        sent = await send(
            env,
            user_id,
            variables={"code": "STARTTLS1"},
            **smtp_settings(port, smtp_starttls=True, smtp_username="ada", smtp_password="s3cret"),
        )
        refused = await send(
            env,
            user_id,
            **smtp_settings(port, smtp_starttls=True, smtp_username="ada", smtp_password="wrong"),
        )
    assert sent.delivered_at is not None and sent.delivery_error is None
    assert "STARTTLS1" in inbox.message(0).get_body(("plain",)).get_content()
    assert len(inbox.envelopes) == 1
    assert refused.delivered_at is None
    assert refused.delivery_error and "SMTPAuthenticationError" in refused.delivery_error


async def test_implicit_tls(env, make_user, send, certificate, monkeypatch) -> None:
    user_id = await make_user(env, email="ssl@example.com")
    settings = smtp_settings(0, smtp_ssl=True)
    with running(Inbox(), ssl_context=server_tls(certificate)) as (inbox, port):
        settings["smtp_port"] = port
        # A certificate nobody vouches for is refused before anything is sent.
        untrusted = await send(env, user_id, **settings)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        trusted = await send(env, user_id, variables={"code": "IMPLICIT1"}, **settings)
    assert untrusted.delivered_at is None
    assert untrusted.delivery_error and "CERTIFICATE_VERIFY_FAILED" in untrusted.delivery_error
    assert trusted.delivered_at is not None and trusted.delivery_error is None
    assert len(inbox.envelopes) == 1
    assert "IMPLICIT1" in inbox.message().get_body(("plain",)).get_content()
