"""Client secrets: generated, sealed at rest (GET /secret shows them again), checked by keyed digest
in constant time, rotated with an optional overlap during which the previous secret still works."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.applications.models import Application, ApplicationSecret
from gatehouse.common import clock
from gatehouse.crypto.sealing import Sealer, random_secret
from gatehouse.store import config_cache

SECRET_LENGTH = 64


async def create_secret(
    session: AsyncSession, sealer: Sealer, application_id: uuid.UUID, value: str | None = None
) -> ApplicationSecret:
    value = value or random_secret(SECRET_LENGTH)
    row = ApplicationSecret(
        application_id=application_id,
        status="CURRENT",
        secret_sealed=sealer.seal(value, context=str(application_id)),
        secret_digest=sealer.digest(value),
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


async def rotate_secret(
    session: AsyncSession,
    sealer: Sealer,
    application_id: uuid.UUID,
    previous_expires_at: datetime | None,
) -> ApplicationSecret:
    """A new CURRENT secret. The old one becomes PREVIOUS until `previous_expires_at`, or is
    dropped at once when that is None. Any older PREVIOUS secret is dropped."""
    if previous_expires_at is None:
        await delete_secrets(session, application_id)
    else:
        await delete_previous_secret(session, application_id)
        await session.execute(
            sa.update(ApplicationSecret)
            .where(
                ApplicationSecret.application_id == application_id,
                ApplicationSecret.status == "CURRENT",
            )
            .values(status="PREVIOUS", expires_at=previous_expires_at)
        )
    return await create_secret(session, sealer, application_id)


async def delete_previous_secret(session: AsyncSession, application_id: uuid.UUID) -> None:
    await session.execute(
        sa.delete(ApplicationSecret).where(
            ApplicationSecret.application_id == application_id,
            ApplicationSecret.status == "PREVIOUS",
        )
    )


async def delete_secrets(session: AsyncSession, application_id: uuid.UUID) -> None:
    """Every secret of the application (it became a public client)."""
    await session.execute(
        sa.delete(ApplicationSecret).where(ApplicationSecret.application_id == application_id)
    )


async def secrets_of(session: AsyncSession, application_id: uuid.UUID) -> list[ApplicationSecret]:
    """CURRENT first, then a PREVIOUS that has not expired."""
    rows = await session.scalars(
        sa.select(ApplicationSecret)
        .where(ApplicationSecret.application_id == application_id)
        .order_by(ApplicationSecret.status)
    )
    now = clock.now()
    return [row for row in rows if row.expires_at is None or row.expires_at > now]


def reveal(sealer: Sealer, row: ApplicationSecret) -> str:
    return sealer.unseal(row.secret_sealed, context=str(row.application_id))


@dataclass(frozen=True)
class SecretDigest:
    """What checking a presented secret needs, cached per configuration version."""

    id: uuid.UUID
    status: str
    digest: str
    expires_at: datetime | None


async def check_secret(
    session: AsyncSession, sealer: Sealer, application: Application, presented: str
) -> bool:
    """Whether `presented` is the application's current secret or an unexpired previous one.
    Every candidate is compared, so timing does not tell which (if any) matched."""
    matched: SecretDigest | None = None
    now = clock.now()
    for row in await _digests(session, application):
        live = row.expires_at is None or row.expires_at > now
        if sealer.matches(presented, row.digest) and live and matched is None:
            matched = row
    if matched is not None and matched.status == "PREVIOUS":
        previous = await session.get(ApplicationSecret, matched.id)
        if previous is not None:
            previous.last_used_at = now
    return matched is not None


async def _digests(session: AsyncSession, application: Application) -> tuple[SecretDigest, ...]:
    async def load() -> tuple[SecretDigest, ...]:
        rows = await session.scalars(
            sa.select(ApplicationSecret).where(ApplicationSecret.application_id == application.id)
        )
        return tuple(SecretDigest(r.id, r.status, r.secret_digest, r.expires_at) for r in rows)

    key = ("secret_digests", application.id)
    return await config_cache.cached(session, application.environment_id, key, load)
