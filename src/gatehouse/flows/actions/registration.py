"""Self-registration in a LOGIN or IDENTIFIER_FIRST action with `registration.enabled`
(pingone/04 section 5, pingone/09 section 2):

    USERNAME_PASSWORD_REQUIRED | SIGN_ON_REQUIRED --user.register--> VERIFICATION_CODE_REQUIRED
    VERIFICATION_CODE_REQUIRED --user.verify--> done (the user chose their password: pwd)
    VERIFICATION_CODE_REQUIRED --user.sendVerificationCode--> VERIFICATION_CODE_REQUIRED

The new user joins `registration.population` (else the environment's default population) with
lifecycle VERIFICATION_REQUIRED; the verification code goes to their e-mail address.
"""

from __future__ import annotations

from typing import Any

from gatehouse.common.bodies import validate
from gatehouse.common.errors import Problem, required_value
from gatehouse.directory.passwords import service as passwords
from gatehouse.directory.users import service as users
from gatehouse.directory.users.schemas import UserCreate
from gatehouse.flows import codes
from gatehouse.flows.actions import common
from gatehouse.flows.context import Step, Transition
from gatehouse.flows.schemas import UserRegistration, UserVerification
from gatehouse.flows.statuses import (
    SEND_VERIFICATION_CODE,
    SIGN_ON_REQUIRED,
    USER_REGISTER,
    USER_VERIFY,
    USERNAME_PASSWORD_REQUIRED,
    VERIFICATION_CODE_REQUIRED,
)

# What a registering user cannot say about themself.
NOT_SELF_ASSERTED = frozenset(
    {"population", "identityProvider", "mfaEnabled", "enabled", "lifecycle", "emailVerified"}
)


async def register(step: Step, body: UserRegistration) -> str:
    document = {
        name: value
        for name, value in (body.model_extra or {}).items()
        if name not in NOT_SELF_ASSERTED
    }
    if not document.get("email"):
        raise required_value("email")
    population = _population_id(step)
    if population is not None:
        document["population"] = {"id": population}
    data = validate(UserCreate, document)
    user = await users.create_user(
        step.session, step.runtime.hasher, step.flow.environment_id, data, None
    )
    user.lifecycle_status = common.VERIFICATION_REQUIRED
    await passwords.change_password(
        step.session,
        step.runtime.hasher,
        user,
        body.password,
        current_password=None,
        require_current=False,
    )
    step.identify(user)
    await common.send_verification_code(step, user)
    return VERIFICATION_CODE_REQUIRED


async def verify(step: Step, body: UserVerification) -> str | Problem:
    assert step.user is not None
    matched, record = codes.check(
        step.runtime.sealer, step.state.get("verification"), body.verification_code
    )
    step.keep(verification=record)
    if not matched:
        return common.invalid_code("verificationCode")
    step.user.lifecycle_status = "ACCOUNT_OK"
    step.user.email_verified = True
    return await common.password_accepted(step, step.user)


async def resend(step: Step, _body: None) -> str:
    assert step.user is not None
    await common.send_verification_code(step, step.user)
    return VERIFICATION_CODE_REQUIRED


async def registration_policy(step: Step) -> dict[str, Any]:
    if not common.registration_enabled(step):
        return {}
    return common.policy_view(await common.population_policy(step, _population_id(step)))


def _population_id(step: Step) -> str | None:
    population = (step.config.get("registration") or {}).get("population") or {}
    return population.get("id")


_register = Transition(UserRegistration, register, common.registration_enabled)
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (USERNAME_PASSWORD_REQUIRED, USER_REGISTER): _register,
    (SIGN_ON_REQUIRED, USER_REGISTER): _register,
    (VERIFICATION_CODE_REQUIRED, USER_VERIFY): Transition(UserVerification, verify),
    (VERIFICATION_CODE_REQUIRED, SEND_VERIFICATION_CODE): Transition(None, resend),
}
EMBEDDED = {USERNAME_PASSWORD_REQUIRED: registration_policy, SIGN_ON_REQUIRED: registration_policy}
