"""send_email: every message lands in the outbox, rendered from its template with the variables
as data (escaped in the HTML part); a user without an address is a clear problem."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from gatehouse.common.errors import Problem
from gatehouse.notifications import templates
from gatehouse.notifications.models import OutboxMessage

pytestmark = pytest.mark.anyio


async def test_the_message_is_written_to_the_outbox(app, env, make_user, send) -> None:
    user_id = await make_user(env, email="ada@example.com")
    sent = await send(env, user_id, "email_verification", {"code": "482913"})
    async with app.state.runtime.sessions() as session:
        stored = await session.get(OutboxMessage, sent.id)
    assert stored is not None
    assert stored.environment_id == uuid.UUID(env)
    assert stored.user_id == uuid.UUID(user_id)
    assert (stored.channel, stored.recipient, stored.template) == (
        "EMAIL",
        "ada@example.com",
        "email_verification",
    )
    assert stored.subject == "Verify your email address"
    assert "482913" in stored.body
    assert stored.variables == {"code": "482913"}
    assert stored.created_at is not None
    # No SMTP server configured: the outbox is the delivery.
    assert stored.delivered_at is None and stored.delivery_error is None


async def test_recovery_code_template(env, make_user, send) -> None:
    user_id = await make_user(env)
    sent = await send(env, user_id, "recovery_code", {"code": "731904"})
    assert sent.subject == "Your password recovery code"
    assert "731904" in sent.body and "new password" in sent.body


async def test_a_user_without_an_email_address_is_refused(app, env, make_user, send) -> None:
    user_id = await make_user(env, email=None)
    with pytest.raises(Problem) as caught:
        await send(env, user_id)
    assert caught.value.status == 400
    assert caught.value.code == "REQUEST_FAILED"
    assert caught.value.details[0].target == "email"
    async with app.state.runtime.sessions() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.user_id == uuid.UUID(user_id))
        )
    assert count == 0


def test_variables_are_data_and_escaped_in_html() -> None:
    hostile = {"code": "<b>1</b>{{ 7 * 7 }}", "username": '<script>alert("x")</script>'}
    email = templates.render("email_verification", hostile)
    # Plain text carries the values as they are; nothing is evaluated as a template.
    assert "<b>1</b>{{ 7 * 7 }}" in email.text
    assert "49" not in email.text
    # HTML escapes them.
    assert "<script>" not in email.html and "<b>1</b>" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in email.html
    assert "&lt;b&gt;1&lt;/b&gt;{{ 7 * 7 }}" in email.html


def test_every_template_has_a_subject_text_and_html() -> None:
    for name in ("email_verification", "recovery_code"):
        email = templates.render(name, {"code": "000111", "username": "ada"})
        assert email.subject and "\n" not in email.subject
        assert "000111" in email.text and "000111" in email.html
        assert email.html.lstrip().startswith("<!doctype html>")


def test_an_unknown_template_or_missing_variable_is_a_programming_error() -> None:
    with pytest.raises(LookupError):
        templates.render("no_such_template", {"code": "1"})
    with pytest.raises(Exception, match="code"):
        templates.render("recovery_code", {"username": "ada"})
