"""What the LOGIN and IDENTIFIER_FIRST actions share (pingone/04 section 5, pingone/09 section 4):
checking a password without revealing whether the user exists, what follows a correct password,
the e-mailed verification code, and the errors they report.

Errors, chosen so that nobody learns whether a username exists without its password:
- a wrong password, an unknown username, a user without a (local) password: 400 INVALID_DATA with
  detail INVALID_CREDENTIALS, always the same, never with `failuresRemaining`;
- a password locked after too many failures: detail PASSWORD_LOCKED_OUT with `secondsUntilUnlock`
  (as PingOne does; only a user who exists gets locked, after failures the caller caused);
- a correct password of a disabled or administratively locked account: detail ACCOUNT_NOT_USABLE.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from gatehouse.common import clock
from gatehouse.common.errors import Detail, Problem, invalid_data
from gatehouse.crypto.passwords import PasswordHasher
from gatehouse.directory.models import PasswordPolicy, Population, User
from gatehouse.directory.password_policies.service import default_policy
from gatehouse.directory.passwords import service as passwords
from gatehouse.flows import codes
from gatehouse.flows.context import Step
from gatehouse.flows.statuses import ACTION_COMPLETED, VERIFICATION_CODE_REQUIRED
from gatehouse.notifications.service import send_email

VALIDATION_MESSAGE = passwords.VALIDATION_MESSAGE
VERIFICATION_REQUIRED = "VERIFICATION_REQUIRED"

_decoys: dict[int, str] = {}


def invalid_credentials() -> Problem:
    return invalid_data(
        VALIDATION_MESSAGE,
        Detail("INVALID_CREDENTIALS", "The username or password is incorrect."),
    )


def account_not_usable() -> Problem:
    return invalid_data(
        VALIDATION_MESSAGE,
        Detail("ACCOUNT_NOT_USABLE", "The account cannot be used to sign on."),
    )


def invalid_code(target: str) -> Problem:
    return invalid_data(
        VALIDATION_MESSAGE,
        Detail("INVALID_VALUE", "The code is invalid or has expired.", target),
    )


async def check_password(step: Step, user: User | None, password: str) -> Problem | None:
    """None when `password` is `user`'s (and the account is usable); else the refusal. Every
    failure is counted towards the user's lockout; an unknown user costs the same hashing time."""
    if user is None or user.identity_provider_type != passwords.LOCAL_IDENTITY_PROVIDER:
        await _decoy_check(step.runtime.hasher, password)
        return invalid_credentials()
    verification = await passwords.verify_password(
        step.session, step.runtime.hasher, user, password
    )
    if not verification.matched:
        if verification.state.status == passwords.PASSWORD_LOCKED_OUT:
            return passwords.refusal(verification.state)
        return invalid_credentials()
    if not usable(user):
        return account_not_usable()
    return None


def usable(user: User) -> bool:
    """Enabled and not locked by an administrator (a password lockout is the password's)."""
    locked = user.account_status == "LOCKED" and (
        user.account_unlock_at is None or user.account_unlock_at > clock.now()
    )
    return user.enabled and not locked


async def password_accepted(step: Step, user: User) -> str:
    """After the user proved their password (or chose one): verify the e-mail address of a user
    who must, change a password that must be changed, else the password sign-on is complete."""
    step.identify(user)
    if user.lifecycle_status == VERIFICATION_REQUIRED:
        await send_verification_code(step, user)
        return VERIFICATION_CODE_REQUIRED
    state = await passwords.password_state(step.session, user)
    if state.status in (passwords.MUST_CHANGE_PASSWORD, passwords.PASSWORD_EXPIRED):
        return state.status
    step.authenticated("pwd")
    return ACTION_COMPLETED


async def send_verification_code(step: Step, user: User) -> None:
    code, record = codes.issue(step.runtime.sealer)
    step.keep(verification=record)
    await send_email(
        step.session,
        step.runtime,
        environment_id=user.environment_id,
        user=user,
        template="email_verification",
        variables={"code": code},
    )


def registration_enabled(step: Step) -> bool:
    registration = step.config.get("registration") or {}
    return bool(registration.get("enabled")) and not registration.get("external")


def recovery_enabled(step: Step) -> bool:
    return bool((step.config.get("recovery") or {}).get("enabled"))


def policy_view(policy: PasswordPolicy | None) -> dict[str, Any]:
    """`_embedded.passwordPolicy`: the rules a new password must satisfy."""
    if policy is None:
        return {}
    return {
        "passwordPolicy": {
            **policy.rules,
            "id": str(policy.id),
            "environment": {"id": str(policy.environment_id)},
            "name": policy.name,
        }
    }


async def population_policy(step: Step, population_id: str | None) -> PasswordPolicy | None:
    """The password policy of a population, else the environment's default."""
    population = (
        await step.session.get(Population, uuid.UUID(population_id)) if population_id else None
    )
    if population is not None and population.password_policy_id is not None:
        policy = await step.session.get(PasswordPolicy, population.password_policy_id)
        if policy is not None:
            return policy
    return await default_policy(step.session, step.flow.environment_id)


async def _decoy_check(hasher: PasswordHasher, password: str) -> None:
    decoy = _decoys.get(id(hasher))
    if decoy is None:
        decoy = _decoys[id(hasher)] = await hasher.hash_async(secrets.token_urlsafe(16))
    await hasher.verify_async(decoy, password)
