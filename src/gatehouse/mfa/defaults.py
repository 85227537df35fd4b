"""The MFA policy every new environment starts with: PingOne's "Default MFA Policy", with SMS,
voice, e-mail, authenticator apps (TOTP) and FIDO2 enabled."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.mfa.models import DeviceAuthenticationPolicy
from gatehouse.mfa.policies.schemas import PolicySettings

DEFAULT_POLICY_NAME = "Default MFA Policy"

_FAILURE = {"count": 3, "coolDown": {"duration": 2, "timeUnit": "MINUTES"}}
_OTP = {"lifeTime": {"duration": 30, "timeUnit": "MINUTES"}, "failure": _FAILURE, "otpLength": 6}

DEFAULT_SETTINGS: dict[str, Any] = {
    "sms": {"enabled": True, "otp": _OTP},
    "voice": {"enabled": True, "otp": _OTP},
    "email": {"enabled": True, "otp": _OTP},
    "totp": {"enabled": True, "otp": {"failure": _FAILURE}},
    "fido2": {"enabled": True, "failure": _FAILURE},
    "mobile": {"enabled": False},
    "authentication": {"deviceSelection": "DEFAULT_TO_FIRST"},
    "newDeviceNotification": "EMAIL_THEN_SMS",
    "ignoreUserLock": False,
}


def default_settings() -> PolicySettings:
    return PolicySettings.model_validate(DEFAULT_SETTINGS)


async def create_default_mfa_policy(session: AsyncSession, environment_id: uuid.UUID) -> None:
    session.add(
        DeviceAuthenticationPolicy(
            environment_id=environment_id,
            name=DEFAULT_POLICY_NAME,
            default=True,
            settings=default_settings().document(),
        )
    )
    await session.flush()
