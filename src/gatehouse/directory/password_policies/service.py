"""Password policies: exactly one default per environment, unique names, rules kept as JSON."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.defaults import apply_default, make_default, refuse_deleting_default
from gatehouse.common.errors import invalid_value, not_found, uniqueness_violation
from gatehouse.directory.models import PasswordPolicy, Population
from gatehouse.directory.password_policies.schemas import PasswordPolicyWrite, PasswordRules

# PingOne: maxAgeDays must exceed minAgeDays plus the 21-day expiration warning interval.
EXPIRY_WARNING_DAYS = 21


async def list_policies(
    session: AsyncSession, environment_id: uuid.UUID
) -> Sequence[PasswordPolicy]:
    """All the environment's policies (a small collection: one page)."""
    rows = await session.scalars(
        sa.select(PasswordPolicy)
        .where(PasswordPolicy.environment_id == environment_id)
        .order_by(PasswordPolicy.created_at, PasswordPolicy.name)
    )
    return rows.all()


async def population_counts(
    session: AsyncSession, policy_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many populations name each policy, in one aggregate query (absent: none)."""
    ids = list(policy_ids)
    if not ids:
        return {}
    rows = await session.execute(
        sa.select(Population.password_policy_id, sa.func.count())
        .where(Population.password_policy_id.in_(ids))
        .group_by(Population.password_policy_id)
    )
    return {policy_id: count for policy_id, count in rows.tuples() if policy_id is not None}


async def get_policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: uuid.UUID
) -> PasswordPolicy:
    policy = await session.get(PasswordPolicy, policy_id)
    if policy is None or policy.environment_id != environment_id:
        raise not_found()
    return policy


async def default_policy(session: AsyncSession, environment_id: uuid.UUID) -> PasswordPolicy | None:
    return await session.scalar(
        sa.select(PasswordPolicy).where(
            PasswordPolicy.environment_id == environment_id, PasswordPolicy.default.is_(True)
        )
    )


def rules_of(policy: PasswordPolicy) -> PasswordRules:
    return PasswordRules.model_validate(policy.rules)


async def create_policy(
    session: AsyncSession, environment_id: uuid.UUID, data: PasswordPolicyWrite
) -> PasswordPolicy:
    _check_consistency(data)
    await _ensure_unique_name(session, environment_id, data.name)
    policy = PasswordPolicy(environment_id=environment_id, default=False)
    _apply(policy, data)
    session.add(policy)
    await session.flush()
    if data.default:
        await make_default(session, policy)
    return policy


async def update_policy(
    session: AsyncSession, policy: PasswordPolicy, data: PasswordPolicyWrite
) -> PasswordPolicy:
    _check_consistency(data)
    if data.name.casefold() != policy.name.casefold():
        await _ensure_unique_name(session, policy.environment_id, data.name, policy.id)
    await apply_default(session, policy, data.default, "password policy")
    _apply(policy, data)
    await session.flush()
    return policy


async def delete_policy(session: AsyncSession, policy: PasswordPolicy) -> None:
    """Populations that named the policy fall back to the environment's default policy."""
    refuse_deleting_default(policy, "password policy")
    await session.delete(policy)
    await session.flush()


def _apply(policy: PasswordPolicy, data: PasswordPolicyWrite) -> None:
    policy.name = data.name
    policy.description = data.description
    policy.rules = data.document()


def _check_consistency(data: PasswordRules) -> None:
    """The cross-field rules a field validator cannot see, each with its target."""
    if data.length is not None and data.length.max < data.length.min:
        raise invalid_value(
            "length.max",
            "length.max must not be less than length.min",
            rangeMinimumValue=data.length.min,
        )
    if data.max_age_days is not None:
        floor = (data.min_age_days or 0) + EXPIRY_WARNING_DAYS
        if data.max_age_days <= floor:
            raise invalid_value(
                "maxAgeDays",
                "maxAgeDays must be greater than minAgeDays plus 21 (the expiration warning "
                "interval)",
                rangeMinimumValue=floor + 1,
            )


async def _ensure_unique_name(
    session: AsyncSession,
    environment_id: uuid.UUID,
    name: str,
    own_id: uuid.UUID | None = None,
) -> None:
    clash = await session.scalar(
        sa.select(PasswordPolicy.id).where(
            PasswordPolicy.environment_id == environment_id,
            sa.func.lower(PasswordPolicy.name) == name.lower(),
        )
    )
    if clash is not None and clash != own_id:
        raise uniqueness_violation(
            "name", f"A password policy named {name!r} already exists.", clash
        )
