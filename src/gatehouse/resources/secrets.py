"""Resource secrets: what a custom resource's server authenticates with to introspect tokens.
Generated, sealed at rest (GET /secret shows them again), checked by keyed digest, rotated with an
optional overlap during which the previous secret still works."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.crypto.sealing import Sealer, random_secret
from gatehouse.resources.models import ResourceSecret

SECRET_LENGTH = 64
CURRENT, PREVIOUS = "CURRENT", "PREVIOUS"


@dataclass(frozen=True)
class Secrets:
    current: ResourceSecret
    previous: ResourceSecret | None


def _context(resource_id: uuid.UUID) -> str:
    return f"resource:{resource_id}"


async def create_secret(
    session: AsyncSession, sealer: Sealer, resource_id: uuid.UUID
) -> ResourceSecret:
    value = random_secret(SECRET_LENGTH)
    row = ResourceSecret(
        resource_id=resource_id,
        status=CURRENT,
        secret_sealed=sealer.seal(value, context=_context(resource_id)),
        secret_digest=sealer.digest(value),
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


async def secrets_of(session: AsyncSession, sealer: Sealer, resource_id: uuid.UUID) -> Secrets:
    """The current secret (made now if the resource has none) and an unexpired previous one."""
    rows = await _live_secrets(session, resource_id)
    current = next((row for row in rows if row.status == CURRENT), None)
    previous = next((row for row in rows if row.status == PREVIOUS), None)
    if current is None:
        current = await create_secret(session, sealer, resource_id)
    return Secrets(current, previous)


async def rotate_secret(
    session: AsyncSession,
    sealer: Sealer,
    resource_id: uuid.UUID,
    previous_expires_at: datetime | None,
) -> None:
    """A new current secret. The old one stays valid as the previous secret until
    `previous_expires_at`, or is dropped at once when that is None; an older previous is dropped."""
    await delete_previous_secret(session, resource_id)
    current = sa.and_(ResourceSecret.resource_id == resource_id, ResourceSecret.status == CURRENT)
    if previous_expires_at is None:
        await session.execute(sa.delete(ResourceSecret).where(current))
    else:
        await session.execute(
            sa.update(ResourceSecret)
            .where(current)
            .values(status=PREVIOUS, expires_at=previous_expires_at)
        )
    await create_secret(session, sealer, resource_id)


async def delete_previous_secret(session: AsyncSession, resource_id: uuid.UUID) -> None:
    await session.execute(
        sa.delete(ResourceSecret).where(
            ResourceSecret.resource_id == resource_id, ResourceSecret.status == PREVIOUS
        )
    )


def reveal(sealer: Sealer, row: ResourceSecret) -> str:
    return sealer.unseal(row.secret_sealed, context=_context(row.resource_id))


async def check_resource_secret(
    session: AsyncSession, sealer: Sealer, resource_id: uuid.UUID, presented: str
) -> bool:
    """Whether `presented` is the resource's current secret or an unexpired previous one (whose
    use is then recorded). Every candidate is compared, so timing does not tell which matched."""
    matched: ResourceSecret | None = None
    for row in await _live_secrets(session, resource_id):
        if sealer.matches(presented, row.secret_digest) and matched is None:
            matched = row
    if matched is not None and matched.status == PREVIOUS:
        matched.last_used_at = clock.now()
        await session.flush()
    return matched is not None


async def _live_secrets(session: AsyncSession, resource_id: uuid.UUID) -> list[ResourceSecret]:
    rows = await session.scalars(
        sa.select(ResourceSecret)
        .where(ResourceSecret.resource_id == resource_id)
        .order_by(ResourceSecret.status)
    )
    now = clock.now()
    return [row for row in rows if row.expires_at is None or row.expires_at > now]
