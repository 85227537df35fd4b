"""What the directory of a new environment starts with: PingOne's password policies and a default
population."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.directory.models import PasswordPolicy, Population

_ALL_SETS = {
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ": 1,
    "abcdefghijklmnopqrstuvwxyz": 1,
    "0123456789": 1,
    "~!@#$%^&*()-_=+[]{}|;:,.<>/?": 1,
}

DEFAULT_PASSWORD_POLICIES: tuple[tuple[str, str, bool, dict[str, Any]], ...] = (
    (
        "Standard",
        "A standard policy that incorporates industry best practices",
        True,
        {
            "excludesCommonlyUsed": True,
            "excludesProfileData": True,
            "notSimilarToCurrent": True,
            "history": {"count": 6, "retentionDays": 365},
            "length": {"min": 8, "max": 255},
            "lockout": {"failureCount": 5, "durationSeconds": 900},
            "maxRepeatedCharacters": 2,
            "minCharacters": _ALL_SETS,
            "minUniqueCharacters": 5,
            "maxAgeDays": 182,
            "minAgeDays": 1,
        },
    ),
    (
        "Basic",
        "A basic policy that meets the minimum password requirements",
        False,
        {
            "excludesCommonlyUsed": True,
            "excludesProfileData": False,
            "notSimilarToCurrent": False,
            "length": {"min": 8, "max": 255},
            "lockout": {"failureCount": 5, "durationSeconds": 900},
        },
    ),
    (
        "Passphrase",
        "A policy that encourages the use of passphrases",
        False,
        {
            "excludesCommonlyUsed": True,
            "excludesProfileData": True,
            "notSimilarToCurrent": True,
            "history": {"count": 6, "retentionDays": 365},
            "length": {"min": 30, "max": 255},
            "lockout": {"failureCount": 5, "durationSeconds": 900},
            "minUniqueCharacters": 5,
        },
    ),
)


async def create_directory_defaults(session: AsyncSession, environment_id: uuid.UUID) -> None:
    for name, description, default, rules in DEFAULT_PASSWORD_POLICIES:
        session.add(
            PasswordPolicy(
                environment_id=environment_id,
                name=name,
                description=description,
                default=default,
                rules=rules,
            )
        )
    session.add(
        Population(
            environment_id=environment_id,
            name="Default",
            description="The default population",
            default=True,
        )
    )
    await session.flush()
