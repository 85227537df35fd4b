"""The sign-on policy every new environment starts with: Single_Factor, one LOGIN action that asks
for the password again only when the session's last password sign-on is over 8 hours old (so a
signed-on browser gets single sign-on)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.policies.models import SignOnPolicy, SignOnPolicyAction

PASSWORD_AGE_CONDITION = {
    "secondsSince": "${session.lastSignOn.withAuthenticator.pwd.at}",
    "greater": 28800,
}


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
            condition=PASSWORD_AGE_CONDITION,
            config={"recovery": {"enabled": True}, "registration": {"enabled": False}},
        )
    )
    await session.flush()
