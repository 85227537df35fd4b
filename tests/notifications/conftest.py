"""Users to send messages to, and a way to send them as a flow would (in one unit of work)."""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gatehouse.directory.models import User
from gatehouse.notifications.models import OutboxMessage
from gatehouse.notifications.service import send_email
from gatehouse.runtime import Runtime
from tests.notifications.smtp_servers import Inbox, make_certificate, running
from tests.support.api import Api

Send = Callable[..., Awaitable[OutboxMessage]]


@pytest.fixture
def make_user(admin: Api) -> Callable[..., Awaitable[str]]:
    async def make(
        environment_id: str, email: str | None = "user@example.com", **extra: Any
    ) -> str:
        body: dict[str, Any] = {"username": f"user-{secrets.token_hex(4)}", **extra}
        if email is not None:
            body["email"] = email
        return (await admin.create(f"/environments/{environment_id}/users", body))["id"]

    return make


@pytest.fixture
def send(app: Any) -> Send:
    """send(env, user_id, template, variables, **settings overrides): send_email in its own
    committed unit of work, as a request would."""

    async def run(
        environment_id: str,
        user_id: str,
        template: str = "email_verification",
        variables: dict[str, str] | None = None,
        **overrides: Any,
    ) -> OutboxMessage:
        base: Runtime = app.state.runtime
        runtime = dataclasses.replace(base, settings=base.settings.model_copy(update=overrides))
        async with runtime.sessions() as session, session.begin():
            user = await session.get(User, uuid.UUID(user_id))
            assert user is not None
            return await send_email(
                session,
                runtime,
                environment_id=uuid.UUID(environment_id),
                user=user,
                template=template,
                variables=variables if variables is not None else {"code": "123456"},
            )

    return run


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """An aiosmtpd server on loopback, without TLS."""
    with running(Inbox()) as (inbox, port):
        yield inbox, port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    return make_certificate(tmp_path_factory.mktemp("tls"))
