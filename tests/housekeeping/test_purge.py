"""Housekeeping: a run deletes, table by table, the rows that can never be used again and keeps
every row still valid (including the edge cases: a refresh token past its family's end, a DaVinci
interaction whose code is still valid, an expired session a refresh token still names); a run is
bounded per table; `gatehouse purge` runs it from the command line."""

from __future__ import annotations

import secrets
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlalchemy as sa

from gatehouse import housekeeping
from gatehouse.common import clock
from gatehouse.davinci.models import DavinciFlow
from gatehouse.davinci.runtime.models import DavinciInteraction
from gatehouse.federation.saml.models import UsedAssertion
from gatehouse.flows.models import Flow
from gatehouse.mfa.models import MfaOtpSend
from gatehouse.mfa.service import SEND_WINDOW
from gatehouse.notifications.models import OutboxMessage
from gatehouse.oauth.models import (
    AuthorizationCode,
    FamilyAccessToken,
    RefreshToken,
    RevokedAccessToken,
    UsedClientAssertion,
)
from gatehouse.sessions.models import Session
from gatehouse.settings import Settings
from tests.policies.conftest import new_identity_provider, orm_application
from tests.signon.support import user
from tests.support.api import Api
from tests.support.server import server_environment

pytestmark = pytest.mark.anyio

HOUR = timedelta(hours=1)


class World:
    """The rows the purged rows hang on, in one environment."""

    def __init__(self, env: str, application: str, user_id: str, provider: str, flow: str):
        self.env = uuid.UUID(env)
        self.application = uuid.UUID(application)
        self.user = uuid.UUID(user_id)
        self.provider = uuid.UUID(provider)
        self.davinci_flow = uuid.UUID(flow)


@pytest.fixture
async def world(app: Any, admin: Api, env: str) -> World:
    application = await orm_application(app, env)
    person = await user(admin, env)
    provider = await new_identity_provider(admin, env)
    async with app.state.runtime.sessions() as db, db.begin():
        flow = DavinciFlow(environment_id=uuid.UUID(env), name="purge")
        db.add(flow)
        await db.flush()
        flow_id = str(flow.id)
    return World(env, application, person["id"], provider, flow_id)


@pytest.fixture
def settings_of(app: Any) -> Iterator[Callable[..., None]]:
    runtime = app.state.runtime
    original = runtime.settings

    def change(**settings: Any) -> None:
        runtime.settings = original.model_copy(update=settings)

    yield change
    runtime.settings = original


def _digest() -> str:
    return secrets.token_hex(32)


def flow(w: World, expires: datetime) -> Flow:
    return Flow(
        environment_id=w.env,
        application_id=w.application,
        status="USERNAME_PASSWORD_REQUIRED",
        request={},
        expires_at=expires,
    )


def code(w: World, expires: datetime, session_id: uuid.UUID | None = None) -> AuthorizationCode:
    now = clock.now()
    return AuthorizationCode(
        environment_id=w.env,
        code_digest=_digest(),
        application_id=w.application,
        user_id=w.user,
        session_id=session_id,
        scope="openid",
        auth_time=now,
        created_at=now,
        expires_at=expires,
        token_family=uuid.uuid4(),
    )


def refresh(
    w: World,
    expires: datetime,
    family_expires: datetime | None = None,
    session_id: uuid.UUID | None = None,
) -> RefreshToken:
    now = clock.now()
    return RefreshToken(
        environment_id=w.env,
        token_digest=_digest(),
        family=uuid.uuid4(),
        application_id=w.application,
        user_id=w.user,
        session_id=session_id,
        scope="openid",
        auth_time=now,
        created_at=now,
        family_expires_at=family_expires,
        expires_at=expires,
    )


def interaction(w: World, expires: datetime, code_expires: datetime | None) -> DavinciInteraction:
    return DavinciInteraction(
        environment_id=w.env,
        token_digest=_digest(),
        kind="api",
        flow_id=w.davinci_flow,
        state_sealed="sealed",
        expires_at=expires,
        code_expires_at=code_expires,
    )


def session(w: World, expires: datetime) -> Session:
    now = clock.now()
    return Session(
        environment_id=w.env,
        user_id=w.user,
        token_digest=_digest(),
        authenticated_at=now,
        last_used_at=now,
        expires_at=expires,
    )


def outbox(w: World, created: datetime) -> OutboxMessage:
    return OutboxMessage(
        environment_id=w.env,
        channel="EMAIL",
        recipient="someone@example.com",
        template="general",
        body="hello",
        created_at=created,
    )


# Each case: (rows that must go, rows that must stay), built from the world and "now".
Case = Callable[[World, datetime], tuple[list[Any], list[Any]]]

CASES: dict[str, Case] = {
    "flows": lambda w, now: ([flow(w, now - HOUR)], [flow(w, now + HOUR)]),
    "authorization codes": lambda w, now: ([code(w, now - HOUR)], [code(w, now + HOUR)]),
    "refresh tokens": lambda w, now: (
        [refresh(w, now - HOUR), refresh(w, now + HOUR, family_expires=now - HOUR)],
        [refresh(w, now + HOUR), refresh(w, now + HOUR, family_expires=now + 2 * HOUR)],
    ),
    "revoked access tokens": lambda w, now: (
        [RevokedAccessToken(jti=_digest(), environment_id=w.env, expires_at=now - HOUR)],
        [RevokedAccessToken(jti=_digest(), environment_id=w.env, expires_at=now + HOUR)],
    ),
    "family access tokens": lambda w, now: (
        [
            FamilyAccessToken(
                jti=_digest(), family=uuid.uuid4(), environment_id=w.env, expires_at=now - HOUR
            )
        ],
        [
            FamilyAccessToken(
                jti=_digest(), family=uuid.uuid4(), environment_id=w.env, expires_at=now + HOUR
            )
        ],
    ),
    "used client assertions": lambda w, now: (
        [UsedClientAssertion(application_id=w.application, jti=_digest(), expires_at=now - HOUR)],
        [UsedClientAssertion(application_id=w.application, jti=_digest(), expires_at=now + HOUR)],
    ),
    "davinci interactions": lambda w, now: (
        [interaction(w, now - HOUR, None), interaction(w, now - HOUR, now - 2 * HOUR)],
        [interaction(w, now + HOUR, None), interaction(w, now - HOUR, now + HOUR)],
    ),
    "saml used assertions": lambda w, now: (
        [
            UsedAssertion(
                environment_id=w.env,
                identity_provider_id=w.provider,
                assertion_id=_digest(),
                expires_at=now - HOUR,
            )
        ],
        [
            UsedAssertion(
                environment_id=w.env,
                identity_provider_id=w.provider,
                assertion_id=_digest(),
                expires_at=now + HOUR,
            )
        ],
    ),
    "sessions": lambda w, now: ([session(w, now - HOUR)], [session(w, now + HOUR)]),
    "otp sends": lambda w, now: (
        [MfaOtpSend(user_id=w.user, sent_at=now - SEND_WINDOW - HOUR)],
        [MfaOtpSend(user_id=w.user, sent_at=now - SEND_WINDOW + timedelta(minutes=1))],
    ),
    "outbox messages": lambda w, now: (
        [outbox(w, now - timedelta(days=8))],
        [outbox(w, now - timedelta(days=6))],
    ),
}


def _key(row: Any) -> tuple[Any, ...]:
    mapper = sa.inspect(type(row))
    return tuple(getattr(row, column.key) for column in mapper.primary_key)


async def _add(app: Any, rows: list[Any]) -> list[tuple[type[Any], tuple[Any, ...]]]:
    async with app.state.runtime.sessions() as db, db.begin():
        db.add_all(rows)
        await db.flush()
        return [(type(row), _key(row)) for row in rows]


async def _present(app: Any, keys: list[tuple[type[Any], tuple[Any, ...]]]) -> list[bool]:
    async with app.state.runtime.sessions() as db:
        return [await db.get(model, key) is not None for model, key in keys]


@pytest.mark.parametrize("case", list(CASES))
async def test_expired_rows_go_and_valid_rows_stay(app: Any, world: World, case: str) -> None:
    expired, valid = CASES[case](world, clock.now())
    gone, kept = await _add(app, expired), await _add(app, valid)
    assert await _present(app, gone) == [True] * len(gone)

    deleted = await housekeeping.purge(app.state.runtime)

    assert await _present(app, gone) == [False] * len(gone)
    assert await _present(app, kept) == [True] * len(kept)
    assert sum(deleted.values()) >= len(gone)


async def test_an_expired_session_stays_while_a_code_or_refresh_token_names_it(
    app: Any, world: World
) -> None:
    now = clock.now()
    named_by_token, named_by_code, alone = (session(world, now - HOUR) for _ in range(3))
    sessions = await _add(app, [named_by_token, named_by_code, alone])
    token = await _add(app, [refresh(world, now + HOUR, session_id=named_by_token.id)])
    await _add(app, [code(world, now + HOUR, session_id=named_by_code.id)])

    await housekeeping.purge(app.state.runtime)
    assert await _present(app, sessions) == [True, True, False]

    async with app.state.runtime.sessions() as db, db.begin():
        await db.execute(
            sa.update(RefreshToken)
            .values(expires_at=now - HOUR)
            .where(RefreshToken.id == token[0][1][0])
        )
    await housekeeping.purge(app.state.runtime)  # the token goes first, then its session
    assert await _present(app, sessions) == [False, True, False]


async def test_a_run_deletes_at_most_a_batch_per_table(
    app: Any, world: World, settings_of: Callable[..., None]
) -> None:
    settings_of(purge_batch_size=2)
    now = clock.now()
    keys = await _add(app, [flow(world, now - HOUR) for _ in range(5)])
    first = await housekeeping.purge(app.state.runtime)
    assert first["flows"] == 2
    assert (await _present(app, keys)).count(True) == 3
    total = await housekeeping.purge_all(app.state.runtime)
    assert total["flows"] == 3
    assert await _present(app, keys) == [False] * 5


async def test_outbox_retention_zero_keeps_messages(
    app: Any, world: World, settings_of: Callable[..., None]
) -> None:
    settings_of(outbox_retention_seconds=0)
    keys = await _add(app, [outbox(world, clock.now() - timedelta(days=400))])
    deleted = await housekeeping.purge(app.state.runtime)
    assert "outbox_messages" not in deleted
    assert await _present(app, keys) == [True]


async def test_the_purge_command(app: Any, world: World, settings: Settings) -> None:
    keys = await _add(app, [flow(world, clock.now() - HOUR), session(world, clock.now() + HOUR)])
    environment = server_environment(
        settings.database_url, Path(settings.data_dir), str(settings.secret_key), 0
    )
    with anyio.fail_after(60):
        done = await anyio.run_process(
            [sys.executable, "-m", "gatehouse", "purge"], env=environment, check=False
        )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert any(line.startswith("flows: ") and line != "flows: 0 deleted" for line in lines), lines
    assert any(line.startswith("sessions: ") for line in lines), lines
    assert await _present(app, keys) == [False, True]


async def test_the_app_purges_periodically_while_it_runs(
    app: Any, world: World, settings_of: Callable[..., None]
) -> None:
    settings_of(purge_interval_seconds=1)
    keys = await _add(app, [flow(world, clock.now() - HOUR), flow(world, clock.now() + HOUR)])
    async with app.router.lifespan_context(app):
        for _ in range(50):  # the first run comes within a second, then every second
            if not (await _present(app, keys))[0]:
                break
            await anyio.sleep(0.2)
    assert await _present(app, keys) == [False, True]
