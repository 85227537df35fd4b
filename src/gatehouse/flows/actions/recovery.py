"""Password recovery in a LOGIN or IDENTIFIER_FIRST action with `recovery.enabled`
(pingone/09 sections 2-3, "Forgot password"):

    USERNAME_PASSWORD_REQUIRED | SIGN_ON_REQUIRED | PASSWORD_REQUIRED
        --password.forgot--> RECOVERY_CODE_REQUIRED
    RECOVERY_CODE_REQUIRED --password.recover--> done (the user chose a new password: pwd)
    RECOVERY_CODE_REQUIRED --password.sendRecoveryCode--> RECOVERY_CODE_REQUIRED

No user enumeration: an unknown username, or a user who cannot recover (disabled, locked by an
administrator, without an e-mail address or a local password), gets the same
RECOVERY_CODE_REQUIRED and nothing is sent; every code then fails as a wrong one would. The new
password must satisfy the user's password policy, all of it but minAgeDays (the old password was
forgotten, not just changed); setting it ends a lockout.
"""

from __future__ import annotations

import uuid
from typing import Any

from gatehouse.common.errors import Problem, invalid_value
from gatehouse.crypto.passwords import is_supported_hash
from gatehouse.directory.models import User
from gatehouse.directory.password_policies.service import default_policy
from gatehouse.directory.passwords import service as passwords
from gatehouse.flows import codes
from gatehouse.flows.actions import common
from gatehouse.flows.context import Step, Transition, find_user, get_user
from gatehouse.flows.schemas import PasswordRecovery, UserLookup
from gatehouse.flows.statuses import (
    PASSWORD_FORGOT,
    PASSWORD_RECOVER,
    PASSWORD_REQUIRED,
    RECOVERY_CODE_REQUIRED,
    SEND_RECOVERY_CODE,
    SIGN_ON_REQUIRED,
    USERNAME_PASSWORD_REQUIRED,
)
from gatehouse.notifications.service import send_email


async def forgot(step: Step, body: UserLookup) -> str:
    user = await find_user(step, body.username)
    if user is not None and _can_recover(user):
        await _send_code(step, user)
    else:
        step.keep(recovery=None, recoveryUserId=None)
    return RECOVERY_CODE_REQUIRED


async def recover(step: Step, body: PasswordRecovery) -> str | Problem:
    matched, record = codes.check(
        step.runtime.sealer, step.state.get("recovery"), body.recovery_code
    )
    step.keep(recovery=record)
    user = await get_user(step.session, _user_id(step))
    if not matched or user is None:
        return common.invalid_code("recoveryCode")
    if is_supported_hash(body.new_password):
        raise invalid_value("newPassword", "The new password cannot be a password hash.")
    await passwords.set_password(step.session, step.runtime.hasher, user, body.new_password)
    step.keep(recoveryUserId=None)
    return await common.password_accepted(step, user)


async def resend(step: Step, _body: None) -> str:
    user = await get_user(step.session, _user_id(step))
    if user is not None and _can_recover(user):
        await _send_code(step, user)
    return RECOVERY_CODE_REQUIRED


async def recovery_policy(step: Step) -> dict[str, Any]:
    """The environment's default policy: the user's own could tell whether they exist."""
    return common.policy_view(await default_policy(step.session, step.flow.environment_id))


def _can_recover(user: User) -> bool:
    return (
        common.usable(user)
        and bool(user.email)
        and user.identity_provider_type == passwords.LOCAL_IDENTITY_PROVIDER
    )


async def _send_code(step: Step, user: User) -> None:
    code, record = codes.issue(step.runtime.sealer)
    step.keep(recovery=record, recoveryUserId=str(user.id))
    await send_email(
        step.session,
        step.runtime,
        environment_id=user.environment_id,
        user=user,
        template="recovery_code",
        variables={"code": code},
    )


def _user_id(step: Step) -> uuid.UUID | None:
    value = step.state.get("recoveryUserId")
    return uuid.UUID(value) if value else None


_forgot = Transition(UserLookup, forgot, common.recovery_enabled)
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (USERNAME_PASSWORD_REQUIRED, PASSWORD_FORGOT): _forgot,
    (SIGN_ON_REQUIRED, PASSWORD_FORGOT): _forgot,
    (PASSWORD_REQUIRED, PASSWORD_FORGOT): _forgot,
    (RECOVERY_CODE_REQUIRED, PASSWORD_RECOVER): Transition(PasswordRecovery, recover),
    (RECOVERY_CODE_REQUIRED, SEND_RECOVERY_CODE): Transition(None, resend),
}
EMBEDDED = {RECOVERY_CODE_REQUIRED: recovery_policy}
