"""Password recovery in a LOGIN or IDENTIFIER_FIRST action with `recovery.enabled`
(pingone/09 sections 2-3, "Forgot password"):

    USERNAME_PASSWORD_REQUIRED | SIGN_ON_REQUIRED | PASSWORD_REQUIRED
        --password.forgot--> RECOVERY_CODE_REQUIRED
    RECOVERY_CODE_REQUIRED --password.recover--> done (the user chose a new password: pwd)
    RECOVERY_CODE_REQUIRED --password.sendRecoveryCode--> RECOVERY_CODE_REQUIRED

No user enumeration: an unknown username, or a user who cannot recover (disabled, locked by an
administrator, without an e-mail address or a local password), gets the same
RECOVERY_CODE_REQUIRED and nothing is sent; every code then fails as a wrong one would. The code
and the new password's rules are the user's recovery code (directory.passwords.recovery), the same
one the management API's password.sendRecoveryCode sends.
"""

from __future__ import annotations

import uuid
from typing import Any

from gatehouse.common.errors import Problem
from gatehouse.directory.models import User
from gatehouse.directory.password_policies.service import default_policy
from gatehouse.directory.passwords import recovery
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


async def forgot(step: Step, body: UserLookup) -> str:
    user = await find_user(step, body.username)
    await _send_code(step, user)
    return RECOVERY_CODE_REQUIRED


async def recover(step: Step, body: PasswordRecovery) -> str | Problem:
    user = await get_user(step.session, _user_id(step))
    if user is None:
        return common.invalid_code("recoveryCode")
    outcome = await recovery.recover_password(
        step.session, step.runtime, user, body.recovery_code, body.new_password
    )
    if not outcome.matched:
        return common.invalid_code("recoveryCode")
    step.keep(recoveryUserId=None)
    return await common.password_accepted(step, user)


async def resend(step: Step, _body: None) -> str:
    await _send_code(step, await get_user(step.session, _user_id(step)))
    return RECOVERY_CODE_REQUIRED


async def recovery_policy(step: Step) -> dict[str, Any]:
    """The environment's default policy: the user's own could tell whether they exist."""
    return common.policy_view(await default_policy(step.session, step.flow.environment_id))


async def _send_code(step: Step, user: User | None) -> None:
    """Send the user a code when they can recover; remember them either way (an unknown or
    unable user then simply never has a right code)."""
    sent = user is not None and await recovery.send_recovery_code(step.session, step.runtime, user)
    step.keep(recoveryUserId=str(user.id) if sent and user else None)


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
