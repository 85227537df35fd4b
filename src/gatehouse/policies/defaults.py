"""The sign-on policy every new environment starts with: Single_Factor, one LOGIN action."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.policies.models import SignOnPolicy, SignOnPolicyAction


async def create_default_sign_on_policy(session: AsyncSession, environment_id: uuid.UUID) -> None:
    policy = SignOnPolicy(
        environment_id=environment_id,
        name="Single_Factor",
        description="A sign-on policy that requires a username and password",
        default=True,
    )
    session.add(policy)
    await session.flush()
    session.add(
        SignOnPolicyAction(
            environment_id=environment_id,
            policy_id=policy.id,
            type="LOGIN",
            priority=1,
            config={"recovery": {"enabled": True}, "registration": {"enabled": False}},
        )
    )
    await session.flush()
