"""The LOGIN action (pingone/04 section 5, pingone/09 sections 2-3): a username and password.

    USERNAME_PASSWORD_REQUIRED --usernamePassword.check--> done
    PASSWORD_REQUIRED (the browser's session names the user) --usernamePassword.check--> done
    ... --usernamePassword.check--> MUST_CHANGE_PASSWORD | PASSWORD_EXPIRED --password.reset--> done
    ... --usernamePassword.check--> VERIFICATION_CODE_REQUIRED (e-mail not verified yet)

The registration and recovery branches are in `registration` and `recovery`.
"""

from __future__ import annotations

from typing import Any

from gatehouse.common.errors import Problem, required_value
from gatehouse.directory.passwords import service as passwords
from gatehouse.flows.actions import common
from gatehouse.flows.context import Start, Step, Transition, find_user
from gatehouse.flows.schemas import PasswordChange, UsernamePasswordCheck
from gatehouse.flows.statuses import (
    ACTION_COMPLETED,
    MUST_CHANGE_PASSWORD,
    PASSWORD_EXPIRED,
    PASSWORD_REQUIRED,
    PASSWORD_RESET,
    USERNAME_PASSWORD_CHECK,
    USERNAME_PASSWORD_REQUIRED,
)


async def start(step: Step) -> str:
    return PASSWORD_REQUIRED if step.user is not None else USERNAME_PASSWORD_REQUIRED


async def check(step: Step, body: UsernamePasswordCheck) -> str | Problem:
    username = (
        body.username
        or step.state.get("username")
        or (step.user.username if step.user is not None else None)
    )
    if not username:
        raise required_value("username")
    user = await find_user(step, username)
    refusal = await common.check_password(step, user, body.password)
    if refusal is not None:
        return refusal
    assert user is not None
    return await common.password_accepted(step, user)


async def change(step: Step, body: PasswordChange) -> str | Problem:
    """password.reset: the password must be changed before the sign-on goes on."""
    assert step.user is not None
    outcome = await passwords.change_password(
        step.session,
        step.runtime.hasher,
        step.user,
        body.new_password,
        current_password=body.current_password,
        require_current=True,
    )
    if not outcome.matched:
        return passwords.refusal(outcome.state, "currentPassword")
    step.authenticated("pwd")
    return ACTION_COMPLETED


async def user_policy(step: Step) -> dict[str, Any]:
    if step.user is None:
        return {}
    return common.policy_view(await passwords.effective_policy(step.session, step.user))


START: dict[str, Start] = {"LOGIN": start}
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (USERNAME_PASSWORD_REQUIRED, USERNAME_PASSWORD_CHECK): Transition(UsernamePasswordCheck, check),
    (PASSWORD_REQUIRED, USERNAME_PASSWORD_CHECK): Transition(UsernamePasswordCheck, check),
    (MUST_CHANGE_PASSWORD, PASSWORD_RESET): Transition(PasswordChange, change),
    (PASSWORD_EXPIRED, PASSWORD_RESET): Transition(PasswordChange, change),
}
EMBEDDED = {MUST_CHANGE_PASSWORD: user_policy, PASSWORD_EXPIRED: user_policy}
