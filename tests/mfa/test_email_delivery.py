"""E-mail devices' codes over SMTP (a real aiosmtpd server on loopback) when SMTP is configured:
sent to the device's address, kept in the outbox; an unreachable server is recorded on the
message and does not fail the pairing."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from gatehouse.directory.models import User
from gatehouse.mfa import service
from gatehouse.mfa.schemas import DeviceCreate
from gatehouse.runtime import Runtime
from tests.mfa.support import create_user, messages_to, unit_of_work
from tests.support.api import Api
from tests.support.server import free_port

pytestmark = pytest.mark.anyio


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def with_smtp(app: Any, port: int) -> Runtime:
    base: Runtime = app.state.runtime
    settings = base.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )
    return dataclasses.replace(base, settings=settings)


async def pair_email_device(app: Any, runtime: Runtime, user_id: str, address: str) -> None:
    async with unit_of_work(app) as session:
        user = await session.get(User, uuid.UUID(user_id))
        assert user is not None
        data = DeviceCreate.model_validate({"type": "EMAIL", "email": address})
        await service.create_device(session, runtime, user, data)


async def test_the_code_is_mailed_to_the_device_address(
    app, admin: Api, env: str, smtp_server
) -> None:
    inbox, port = smtp_server
    user = await create_user(admin, env, email="profile@example.com")
    await pair_email_device(app, with_smtp(app, port), user["id"], "device@example.com")
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["device@example.com"]
    assert isinstance(envelope.content, bytes)
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "Confirm your new sign-on method"
    (stored,) = await messages_to(app, env, "device@example.com")
    assert stored.delivered_at is not None and stored.delivery_error is None
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and stored.variables["code"] in text.get_content()
    assert html is not None and stored.variables["code"] in html.get_content()


async def test_an_unreachable_server_is_recorded_not_fatal(app, admin: Api, env: str) -> None:
    user = await create_user(admin, env)
    await pair_email_device(app, with_smtp(app, free_port()), user["id"], "down@example.com")
    (stored,) = await messages_to(app, env, "down@example.com")
    assert stored.delivered_at is None and stored.delivery_error
    devices = (await admin.get(f"/environments/{env}/users/{user['id']}/devices")).json()
    assert devices["count"] == 1
