"""Request and response models of /users/{userId}/password, named after PingOne's."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from gatehouse.common.schemas import HalView, Ref, RequestModel, Timestamp

SET = "application/vnd.pingidentity.password.set+json"
RESET = "application/vnd.pingidentity.password.reset+json"
CHECK = "application/vnd.pingidentity.password.check+json"
UNLOCK = "application/vnd.pingidentity.password.unlock+json"
SEND_RECOVERY_CODE = "application/vnd.pingidentity.password.sendRecoveryCode+json"
RECOVER = "application/vnd.pingidentity.password.recover+json"

# Long enough for any policy (length.max is at most 255) and any supported pre-encoded hash.
PasswordText = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class PasswordValue(RequestModel):
    """`password` of a user on create and import, and the body of an admin set."""

    value: PasswordText
    force_change: StrictBool = Field(default=False, alias="forceChange")


class PasswordReset(RequestModel):
    current_password: PasswordText | None = Field(default=None, alias="currentPassword")
    new_password: PasswordText = Field(alias="newPassword")


class PasswordCheck(RequestModel):
    password: PasswordText


class PasswordRecover(RequestModel):
    recovery_code: Annotated[str, StringConstraints(min_length=1, max_length=64)] = Field(
        alias="recoveryCode"
    )
    new_password: PasswordText = Field(alias="newPassword")


class PasswordStateView(HalView):
    environment: Ref
    user: Ref
    password_policy: Ref | None = Field(default=None, alias="passwordPolicy")
    status: str
    last_changed_at: Timestamp | None = Field(default=None, alias="lastChangedAt")
    seconds_until_unlock: int | None = Field(default=None, alias="secondsUntilUnlock")
    failures_remaining: int | None = Field(default=None, alias="failuresRemaining")
