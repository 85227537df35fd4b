"""Sign-on sessions (pingone/08 section 3, "Session"): what the `ST` cookie stands for.

A session belongs to one user in one environment. The cookie carries a random secret; the row keeps
only its keyed digest, when each authenticator was last completed (`{"pwd": iso}`), the RFC 8176
`amr`, and its expiry: `session_idle_seconds` after its last use, never later than
`session_max_seconds` after it was created. Signing on again as the same user in the same browser
keeps the session (its id is the tokens' `sid`) and gives it a new secret; signing on as someone
else ends the previous session and starts another.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.crypto.sealing import Sealer
from gatehouse.oauth.models import RefreshToken
from gatehouse.oauth.tokens import revoke_family
from gatehouse.sessions.models import Session
from gatehouse.settings import Settings


def new_secret() -> str:
    return secrets.token_urlsafe(32)


async def find_session(
    db: AsyncSession, sealer: Sealer, environment_id: uuid.UUID, secret: str | None
) -> Session | None:
    """The live session of `environment_id` a cookie value stands for, else None."""
    if not secret:
        return None
    row = await db.scalar(
        sa.select(Session).where(
            Session.token_digest == sealer.digest(secret),
            Session.environment_id == environment_id,
        )
    )
    return row if row is not None and is_live(row) else None


async def get_live_session(
    db: AsyncSession, environment_id: uuid.UUID, session_id: uuid.UUID | None
) -> Session | None:
    if session_id is None:
        return None
    row = await db.get(Session, session_id)
    if row is None or row.environment_id != environment_id or not is_live(row):
        return None
    return row


def is_live(row: Session) -> bool:
    return row.revoked_at is None and row.expires_at > clock.now()


def touch(row: Session, settings: Settings) -> None:
    """A use of the session: its idle time starts again (within its maximum lifetime)."""
    now = clock.now()
    row.last_used_at = now
    row.expires_at = _expiry(row.created_at, now, settings)


async def establish(
    db: AsyncSession,
    sealer: Sealer,
    settings: Settings,
    *,
    environment_id: uuid.UUID,
    user_id: uuid.UUID,
    authenticators: Mapping[str, str],
    remote_ip: str | None,
    current: Session | None,
) -> tuple[Session, str]:
    """The session after a completed sign-on, and the new secret for its cookie.

    `authenticators` are the methods this sign-on completed ({"pwd": iso}); `current` is the
    browser's live session, kept when it is the same user's and ended when it is someone else's."""
    now = clock.now()
    secret = new_secret()
    if current is not None and current.user_id != user_id:
        current.revoked_at = now
        current = None
    if current is None:
        current = Session(
            environment_id=environment_id,
            user_id=user_id,
            created_at=now,
            authenticators={},
            amr=[],
        )
        db.add(current)
    merged = {**current.authenticators, **authenticators}
    current.token_digest = sealer.digest(secret)
    current.authenticators = merged
    current.amr = sorted(merged)
    current.authenticated_at = max(datetime.fromisoformat(at) for at in merged.values())
    current.remote_ip = remote_ip
    current.last_used_at = now
    current.expires_at = _expiry(current.created_at or now, now, settings)
    await db.flush()
    return current, secret


async def revoke(db: AsyncSession, row: Session) -> None:
    """End the session and every token family issued in it (refresh and access tokens)."""
    row.revoked_at = clock.now()
    families = await db.scalars(
        sa.select(RefreshToken.family)
        .where(RefreshToken.session_id == row.id, RefreshToken.revoked_at.is_(None))
        .distinct()
    )
    for family in families.all():
        await revoke_family(db, family)
    await db.flush()


def _expiry(created_at: datetime, now: datetime, settings: Settings) -> datetime:
    return min(
        now + timedelta(seconds=settings.session_idle_seconds),
        clock.as_utc(created_at) + timedelta(seconds=settings.session_max_seconds),
    )
