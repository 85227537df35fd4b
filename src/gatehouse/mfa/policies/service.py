"""Device authentication policies ("MFA policies"): CRUD, and the policy that applies to a device.

Rules chosen where PingOne's reference is silent:
- One policy per environment is the default (created with the environment: "Default MFA
  Policy"). Making a policy the default unsets the previous one; the default cannot be deleted,
  nor stop being the default other than by making another policy the default.
- Names are unique per environment, ignoring case.
- Deleting a policy moves the devices that named it to the environment's default policy.
- A policy that a sign-on policy action names (`deviceAuthenticationPolicy`) cannot be deleted
  (REQUEST_FAILED naming those sign-on policies).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common.defaults import apply_default, make_default, refuse_deleting_default
from gatehouse.common.errors import not_found, request_failed, uniqueness_violation
from gatehouse.mfa.defaults import default_settings
from gatehouse.mfa.models import DeviceAuthenticationPolicy
from gatehouse.mfa.policies.schemas import DeviceAuthenticationPolicyWrite, PolicySettings
from gatehouse.policies.service import named_mfa_policies, policies_naming


@dataclass(frozen=True)
class EffectivePolicy:
    """The policy that governs a device: its row's id (None only for an environment that has no
    policy at all, where the built-in defaults apply) and its settings."""

    id: uuid.UUID | None
    settings: PolicySettings


def settings_of(policy: DeviceAuthenticationPolicy) -> PolicySettings:
    return PolicySettings.model_validate(policy.settings)


async def list_policies(
    session: AsyncSession, environment_id: uuid.UUID
) -> Sequence[DeviceAuthenticationPolicy]:
    stmt = (
        sa.select(DeviceAuthenticationPolicy)
        .where(DeviceAuthenticationPolicy.environment_id == environment_id)
        .order_by(DeviceAuthenticationPolicy.created_at, DeviceAuthenticationPolicy.id)
    )
    return (await session.scalars(stmt)).all()


async def find_policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: uuid.UUID
) -> DeviceAuthenticationPolicy | None:
    policy = await session.get(DeviceAuthenticationPolicy, policy_id)
    return policy if policy is not None and policy.environment_id == environment_id else None


async def get_policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: uuid.UUID
) -> DeviceAuthenticationPolicy:
    policy = await find_policy(session, environment_id, policy_id)
    if policy is None:
        raise not_found()
    return policy


async def default_policy(
    session: AsyncSession, environment_id: uuid.UUID
) -> DeviceAuthenticationPolicy | None:
    return await session.scalar(
        sa.select(DeviceAuthenticationPolicy).where(
            DeviceAuthenticationPolicy.environment_id == environment_id,
            DeviceAuthenticationPolicy.default.is_(True),
        )
    )


async def effective_policy(
    session: AsyncSession, environment_id: uuid.UUID, policy_id: uuid.UUID | None = None
) -> EffectivePolicy:
    """The policy `policy_id` names (a device's own), else the environment's default."""
    policy = await find_policy(session, environment_id, policy_id) if policy_id else None
    if policy is None:
        policy = await default_policy(session, environment_id)
    if policy is None:
        return EffectivePolicy(None, default_settings())
    return EffectivePolicy(policy.id, settings_of(policy))


async def create_policy(
    session: AsyncSession, environment_id: uuid.UUID, data: DeviceAuthenticationPolicyWrite
) -> DeviceAuthenticationPolicy:
    await _ensure_unique_name(session, environment_id, data.name)
    policy = DeviceAuthenticationPolicy(
        environment_id=environment_id, name=data.name, settings=data.document()
    )
    session.add(policy)
    await session.flush()
    if data.default:
        await make_default(session, policy)
    return policy


async def update_policy(
    session: AsyncSession, policy: DeviceAuthenticationPolicy, data: DeviceAuthenticationPolicyWrite
) -> DeviceAuthenticationPolicy:
    """PUT replaces the settings; `default` left out keeps the policy's standing."""
    await _ensure_unique_name(session, policy.environment_id, data.name, policy.id)
    await apply_default(session, policy, data.default, "MFA policy")
    policy.name = data.name
    policy.settings = data.document()
    await session.flush()
    return policy


async def delete_policy(session: AsyncSession, policy: DeviceAuthenticationPolicy) -> None:
    refuse_deleting_default(policy, "MFA policy")
    naming = await policies_naming(session, policy.environment_id, policy.id, named_mfa_policies)
    if naming:
        raise request_failed(
            f"The MFA policy is used by the sign-on policies {', '.join(map(repr, naming))}: "
            "remove it from their actions first."
        )
    await session.delete(policy)
    await session.flush()


async def _ensure_unique_name(
    session: AsyncSession, environment_id: uuid.UUID, name: str, own_id: uuid.UUID | None = None
) -> None:
    stmt = sa.select(DeviceAuthenticationPolicy.id).where(
        DeviceAuthenticationPolicy.environment_id == environment_id,
        sa.func.lower(DeviceAuthenticationPolicy.name) == name.lower(),
    )
    if own_id is not None:
        stmt = stmt.where(DeviceAuthenticationPolicy.id != own_id)
    clash = await session.scalar(stmt)
    if clash is not None:
        raise uniqueness_violation("name", f"An MFA policy named {name!r} already exists.", clash)
