"""Housekeeping: rows that can never be used again are deleted, a bounded batch per table per run.

Each process started with the app runs `purge` every GATEHOUSE_PURGE_INTERVAL_SECONDS (0: never;
the first run comes after a random part of the interval, so nodes started together spread out);
`gatehouse purge` runs it once (`--until-done`: again until nothing expired is left). A run deletes, per table, at most GATEHOUSE_PURGE_BATCH_SIZE rows
with one `DELETE ... WHERE <key> IN (SELECT <key> ... WHERE <expired> LIMIT n FOR UPDATE SKIP
LOCKED)` in a transaction of its own, so several nodes running at once delete different rows and
hold no lock for long. What is expired, table by table (nothing deleted is still valid):

- flows, SAML used assertion ids, revoked and family access token ids, used client assertion jtis:
  past `expires_at`;
- authorization codes: past `expires_at` (they are refused after it, redeemed or not);
- refresh tokens: past their own `expires_at` or their family's (either refuses them);
- DaVinci interactions: past `expires_at` and past the expiry of the code they issued, if any;
- sign-on sessions: past `expires_at`, once no authorization code or refresh token names them
  (a refresh needs to see that its session was revoked);
- the OTP sends counted by the send limits: older than the limits' window;
- outbox messages: older than GATEHOUSE_OUTBOX_RETENTION_SECONDS (0: kept).

One-time codes kept on other rows (a device's pending OTP, a password's recovery code, a flow's
verification code) are not rows of their own: they are refused after their expiry, replaced by the
next one, and go with their flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
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
from gatehouse.runtime import Runtime
from gatehouse.sessions.models import Session
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.housekeeping")

Condition = Callable[[datetime, Settings], sa.ColumnElement[bool] | None]


@dataclass(frozen=True)
class Purge:
    """What to delete from one table: `expired(now, settings)` (None: nothing, by settings)."""

    table: sa.Table
    expired: Condition


def _past(column: Any) -> Condition:
    return lambda now, _settings: column < now


def _refresh_tokens(now: datetime, _settings: Settings) -> sa.ColumnElement[bool]:
    return sa.or_(RefreshToken.expires_at < now, RefreshToken.family_expires_at < now)


def _interactions(now: datetime, _settings: Settings) -> sa.ColumnElement[bool]:
    return sa.and_(
        DavinciInteraction.expires_at < now,
        sa.or_(
            DavinciInteraction.code_expires_at.is_(None),
            DavinciInteraction.code_expires_at < now,
        ),
    )


def _sessions(now: datetime, _settings: Settings) -> sa.ColumnElement[bool]:
    return sa.and_(
        Session.expires_at < now,
        ~sa.exists().where(AuthorizationCode.session_id == Session.id),
        ~sa.exists().where(RefreshToken.session_id == Session.id),
    )


def _otp_sends(now: datetime, _settings: Settings) -> sa.ColumnElement[bool]:
    return MfaOtpSend.sent_at < now - SEND_WINDOW


def _outbox(now: datetime, settings: Settings) -> sa.ColumnElement[bool] | None:
    if not settings.outbox_retention_seconds:
        return None
    return OutboxMessage.created_at < now - timedelta(seconds=settings.outbox_retention_seconds)


def _table(model: Any) -> sa.Table:
    return cast(sa.Table, model.__table__)


# Order matters for sessions: the codes and refresh tokens naming them go first.
PURGES: tuple[Purge, ...] = (
    Purge(_table(Flow), _past(Flow.expires_at)),
    Purge(_table(AuthorizationCode), _past(AuthorizationCode.expires_at)),
    Purge(_table(RefreshToken), _refresh_tokens),
    Purge(_table(RevokedAccessToken), _past(RevokedAccessToken.expires_at)),
    Purge(_table(FamilyAccessToken), _past(FamilyAccessToken.expires_at)),
    Purge(_table(UsedClientAssertion), _past(UsedClientAssertion.expires_at)),
    Purge(_table(DavinciInteraction), _interactions),
    Purge(_table(UsedAssertion), _past(UsedAssertion.expires_at)),
    Purge(_table(Session), _sessions),
    Purge(_table(MfaOtpSend), _otp_sends),
    Purge(_table(OutboxMessage), _outbox),
)


async def purge(runtime: Runtime) -> dict[str, int]:
    """One run: the rows deleted, by table name."""
    now = clock.now()
    deleted: dict[str, int] = {}
    for item in PURGES:
        condition = item.expired(now, runtime.settings)
        if condition is None:
            continue
        async with runtime.sessions() as session, session.begin():
            deleted[item.table.name] = await _delete_batch(
                session, item.table, condition, runtime.settings.purge_batch_size
            )
    return deleted


async def purge_all(runtime: Runtime) -> dict[str, int]:
    """Runs until no table had a full batch: every expired row deleted, by table name."""
    total: dict[str, int] = {}
    while True:
        deleted = await purge(runtime)
        for table, count in deleted.items():
            total[table] = total.get(table, 0) + count
        if all(count < runtime.settings.purge_batch_size for count in deleted.values()):
            return total


async def _delete_batch(
    session: AsyncSession, table: sa.Table, condition: sa.ColumnElement[bool], limit: int
) -> int:
    key = list(table.primary_key.columns)
    # PostgreSQL: rows another node is deleting are skipped, not waited for (no deadlock);
    # SQLite has one writer at a time and renders no FOR UPDATE
    chosen = sa.select(*key).where(condition).limit(limit).with_for_update(skip_locked=True)
    target = key[0].in_(chosen) if len(key) == 1 else sa.tuple_(*key).in_(chosen)
    result = await session.execute(sa.delete(table).where(target))
    return cast(sa.CursorResult[Any], result).rowcount or 0


@contextlib.asynccontextmanager
async def running(runtime: Runtime) -> AsyncIterator[None]:
    """Purge periodically while the context is open (not at all with an interval of 0)."""
    interval = runtime.settings.purge_interval_seconds
    if not interval:
        yield
        return
    task = asyncio.create_task(_every(runtime, interval), name="gatehouse-purge")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _every(runtime: Runtime, interval: float) -> None:
    await asyncio.sleep(random.uniform(0, interval))  # noqa: S311 (spreading, not secrecy)
    while True:
        try:
            deleted = await purge(runtime)
        except Exception:  # the loop must outlive a failing run (a database away for a while)
            log.exception("housekeeping run failed")
        else:
            if any(deleted.values()):
                log.info("housekeeping deleted %s", deleted)
        await asyncio.sleep(interval)
