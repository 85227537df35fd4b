"""Users' passwords: the effective policy, checking with lockout, setting and changing.

The management routes and the sign-on flow share these functions:

- `verify_password` checks a password and keeps the lockout bookkeeping. It never raises for a
  wrong password: the failure count it wrote must be committed, so the caller reports the refusal
  (`refusal(verification.state)`) without raising inside the unit of work.
- `set_password` is an administrator's set (or a password given on create or import).
- `change_password` is a change by the user, or by an administrator on the user's behalf.
- `password_state` and `unlock_password` read and clear the state.

Hashes are argon2id, computed off the event loop by `runtime.hasher`; imported legacy hashes
(bcrypt, {SSHA*}, ...) verify as they are and become argon2id at the next successful check.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import Detail, Problem, invalid_data, request_failed
from gatehouse.crypto.passwords import PasswordHasher, is_supported_hash
from gatehouse.directory.models import PasswordPolicy, Population, User, UserPassword
from gatehouse.directory.password_policies.schemas import History, PasswordRules
from gatehouse.directory.password_policies.service import default_policy, rules_of
from gatehouse.directory.passwords.rules import unsatisfied_requirements
from gatehouse.store import config_cache

OK = "OK"
NO_PASSWORD = "NO_PASSWORD"
MUST_CHANGE_PASSWORD = "MUST_CHANGE_PASSWORD"
PASSWORD_EXPIRED = "PASSWORD_EXPIRED"
PASSWORD_LOCKED_OUT = "PASSWORD_LOCKED_OUT"

LOCAL_IDENTITY_PROVIDER = "PING_ONE"
VALIDATION_MESSAGE = (
    "The request could not be completed. One or more validation errors were in the request."
)


@dataclass(frozen=True)
class PasswordState:
    """What GET /users/{id}/password reports."""

    status: str
    policy_id: uuid.UUID | None
    last_changed_at: datetime | None = None
    seconds_until_unlock: int | None = None
    failures_remaining: int | None = None


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a password: whether it matched, and the state after the check."""

    matched: bool
    state: PasswordState


@dataclass(frozen=True)
class _Policy:
    row: PasswordPolicy | None
    rules: PasswordRules | None

    @property
    def id(self) -> uuid.UUID | None:
        return self.row.id if self.row else None


async def effective_policy(session: AsyncSession, user: User) -> PasswordPolicy | None:
    """The policy of the user's population, else the environment's default; read once per
    configuration version (store/config_cache.py; a shared copy: never change it)."""

    async def load() -> PasswordPolicy | None:
        policy_id = await session.scalar(
            sa.select(Population.password_policy_id).where(Population.id == user.population_id)
        )
        policy = await session.get(PasswordPolicy, policy_id) if policy_id is not None else None
        policy = policy or await default_policy(session, user.environment_id)
        return None if policy is None else config_cache.detached_copy(policy)

    key = ("password_policy", user.population_id)
    return await config_cache.cached(session, user.environment_id, key, load)


async def password_state(session: AsyncSession, user: User) -> PasswordState:
    # by primary key: a row this transaction has read (a verification locks it) is not read again
    record = await session.get(UserPassword, user.id)
    return _state(record, await _policy(session, user), clock.now())


async def verify_password(
    session: AsyncSession, hasher: PasswordHasher, user: User, password: str
) -> Verification:
    """Check `password`, counting failures against the policy's lockout.

    A locked-out password is not even compared. A match resets the failure count and replaces a
    legacy or outdated hash with a fresh argon2id one; a mismatch counts a failure and, at the
    policy's `lockout.failureCount`, locks the password for `lockout.durationSeconds`."""
    record = await _record(session, user.id, for_update=True)
    policy = await _policy(session, user)
    now = clock.now()
    if record is None:
        return Verification(False, _state(None, policy, now))
    _expire_lockout(record, now)
    if _locked(record, now):
        return Verification(False, _state(record, policy, now))
    matched = await hasher.verify_async(record.password_hash, password)
    if matched:
        record.failed_attempts = 0
        if hasher.needs_rehash(record.password_hash):
            record.password_hash = await hasher.hash_async(password)
    else:
        _count_failure(record, policy.rules, now)
    await session.flush()
    return Verification(matched, _state(record, policy, now))


async def set_password(
    session: AsyncSession,
    hasher: PasswordHasher,
    user: User,
    value: str,
    *,
    force_change: bool = False,
) -> PasswordState:
    """An administrator sets the password (also a password given on create or import).

    `value` is a password in clear, checked against the policy (all of it but minAgeDays, and
    notSimilarToCurrent, which needs the current password in clear), or a supported pre-encoded
    hash, stored as it is. Setting a password clears a lockout."""
    _ensure_local(user)
    record = await _record(session, user.id, for_update=True)
    policy = await _policy(session, user)
    if is_supported_hash(value):
        new_hash = value
    else:
        await _enforce(hasher, policy.rules, value, user, record, current=None, min_age=False)
        new_hash = await hasher.hash_async(value)
    _store(session, user, record, new_hash, force_change, policy.rules)
    await session.flush()
    return await password_state(session, user)


async def change_password(
    session: AsyncSession,
    hasher: PasswordHasher,
    user: User,
    new_password: str,
    *,
    current_password: str | None,
    require_current: bool,
) -> Verification:
    """The user (or an administrator for them) changes the password, under the whole policy.

    With `current_password` it must match first (a mismatch counts towards the lockout and the
    result is `matched=False` with nothing else changed: report `refusal(result.state,
    "currentPassword")` without raising, so the count is kept). `require_current` makes it
    mandatory when the user has a password (a user acting for themself). A policy violation
    raises the INVALID_DATA problem; on success `matched` is True and `state` the new state."""
    _ensure_local(user)
    record = await _record(session, user.id, for_update=True)
    if current_password is None and require_current and record is not None:
        raise invalid_data(
            VALIDATION_MESSAGE,
            Detail("REQUIRED_VALUE", "currentPassword is required", "currentPassword"),
        )
    if current_password is not None:
        verification = await verify_password(session, hasher, user, current_password)
        if not verification.matched:
            return verification
    policy = await _policy(session, user)
    await _enforce(
        hasher, policy.rules, new_password, user, record, current=current_password, min_age=True
    )
    _store(session, user, record, await hasher.hash_async(new_password), False, policy.rules)
    await session.flush()
    return Verification(True, await password_state(session, user))


async def unlock_password(session: AsyncSession, user: User) -> PasswordState:
    """An administrator ends a lockout (and forgets the failures before it)."""
    record = await _record(session, user.id, for_update=True)
    if record is not None:
        record.failed_attempts = 0
        record.locked_until = None
        await session.flush()
    return await password_state(session, user)


def refusal(state: PasswordState, target: str = "password") -> Problem:
    """The error a caller reports when a password check did not succeed."""
    if state.status == NO_PASSWORD:
        return invalid_data(
            VALIDATION_MESSAGE, Detail(NO_PASSWORD, "The user does not have a password.", target)
        )
    if state.status == PASSWORD_LOCKED_OUT:
        return invalid_data(
            VALIDATION_MESSAGE,
            Detail(
                PASSWORD_LOCKED_OUT,
                "The password is locked after too many failed attempts.",
                target,
                {"secondsUntilUnlock": state.seconds_until_unlock},
            ),
        )
    inner = (
        {"failuresRemaining": state.failures_remaining}
        if state.failures_remaining is not None
        else None
    )
    return invalid_data(
        VALIDATION_MESSAGE,
        Detail("INVALID_VALUE", "The provided password did not match", target, inner),
    )


def policy_violation(unsatisfied: list[str]) -> Problem:
    return invalid_data(
        VALIDATION_MESSAGE,
        Detail(
            "INVALID_VALUE",
            "User password did not satisfy password policy requirements",
            "password",
            {"unsatisfiedRequirements": unsatisfied},
        ),
    )


# --- internals -----------------------------------------------------------------------------


async def _record(
    session: AsyncSession, user_id: uuid.UUID, *, for_update: bool = False
) -> UserPassword | None:
    """The password row; `for_update` locks it (PostgreSQL) so concurrent checks count right."""
    stmt = sa.select(UserPassword).where(UserPassword.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def _policy(session: AsyncSession, user: User) -> _Policy:
    row = await effective_policy(session, user)
    return _Policy(row, rules_of(row) if row else None)


def _state(record: UserPassword | None, policy: _Policy, now: datetime) -> PasswordState:
    if record is None:
        return PasswordState(NO_PASSWORD, policy.id)
    locked_until = record.locked_until
    if locked_until is not None and locked_until > now:
        return PasswordState(
            PASSWORD_LOCKED_OUT,
            policy.id,
            record.last_changed_at,
            seconds_until_unlock=math.ceil((locked_until - now).total_seconds()),
        )
    if record.must_change:
        status = MUST_CHANGE_PASSWORD
    elif _expired(record, policy.rules, now):
        status = PASSWORD_EXPIRED
    else:
        status = OK
    # a lockout that has run out forgets the failures before it
    failures = 0 if locked_until is not None else record.failed_attempts
    lockout = policy.rules.lockout if policy.rules else None
    remaining = max(lockout.failure_count - failures, 0) if lockout else None
    return PasswordState(status, policy.id, record.last_changed_at, failures_remaining=remaining)


def _locked(record: UserPassword, now: datetime) -> bool:
    return record.locked_until is not None and record.locked_until > now


def _expired(record: UserPassword, rules: PasswordRules | None, now: datetime) -> bool:
    if rules is None or rules.max_age_days is None:
        return False
    return record.last_changed_at + timedelta(days=rules.max_age_days) <= now


def _expire_lockout(record: UserPassword, now: datetime) -> None:
    if record.locked_until is not None and record.locked_until <= now:
        record.locked_until = None
        record.failed_attempts = 0


def _count_failure(record: UserPassword, rules: PasswordRules | None, now: datetime) -> None:
    record.failed_attempts += 1
    lockout = rules.lockout if rules else None
    if lockout is not None and record.failed_attempts >= lockout.failure_count:
        record.locked_until = now + timedelta(seconds=lockout.duration_seconds)


def _ensure_local(user: User) -> None:
    if user.identity_provider_type != LOCAL_IDENTITY_PROVIDER:
        raise request_failed(
            "The password of a user who signs on with an external identity provider "
            f"({user.identity_provider_type}) cannot be set or changed."
        )


def _profile(user: User) -> list[str | None]:
    """The user's values that excludesProfileData keeps out of passwords."""
    local_part = user.email.rsplit("@", 1)[0] if user.email else None
    return [user.username, local_part, user.name_given, user.name_family]


async def _enforce(
    hasher: PasswordHasher,
    rules: PasswordRules | None,
    password: str,
    user: User,
    record: UserPassword | None,
    *,
    current: str | None,
    min_age: bool,
) -> None:
    if rules is None:
        return
    now = clock.now()
    unsatisfied = unsatisfied_requirements(rules, password, profile=_profile(user), current=current)
    if min_age and record is not None and _too_young(record, rules, now):
        unsatisfied.append("minAgeDays")
    if (
        rules.history
        and record is not None
        and await _reused(hasher, record, password, rules.history, now)
    ):
        unsatisfied.append("history")
    if unsatisfied:
        raise policy_violation(unsatisfied)


def _too_young(record: UserPassword, rules: PasswordRules, now: datetime) -> bool:
    """minAgeDays: a password is kept that long, unless it must be changed (forced or expired)."""
    if rules.min_age_days is None or record.must_change or _expired(record, rules, now):
        return False
    return now < record.last_changed_at + timedelta(days=rules.min_age_days)


async def _reused(
    hasher: PasswordHasher, record: UserPassword, password: str, history: History, now: datetime
) -> bool:
    """Whether `password` is the current one or one of the last `history.count` passwords
    replaced within `history.retentionDays`."""
    hashes = [
        record.password_hash,
        *(entry["hash"] for entry in _kept(record.history, history, now)),
    ]
    for stored in hashes:
        if await hasher.verify_async(stored, password):
            return True
    return False


def _kept(entries: list[Any], history: History | None, now: datetime) -> list[Any]:
    """The history entries a policy retains (none without a history rule)."""
    if history is None:
        return []
    horizon = now - timedelta(days=history.retention_days)
    recent = [entry for entry in entries if datetime.fromisoformat(entry["changedAt"]) >= horizon]
    return recent[: history.count]


def _store(
    session: AsyncSession,
    user: User,
    record: UserPassword | None,
    new_hash: str,
    must_change: bool,
    rules: PasswordRules | None,
) -> None:
    now = clock.now()
    if record is None:
        session.add(
            UserPassword(
                user_id=user.id,
                password_hash=new_hash,
                must_change=must_change,
                last_changed_at=now,
                failed_attempts=0,
                history=[],
            )
        )
        return
    retired = {"hash": record.password_hash, "changedAt": now.isoformat()}
    record.history = _kept([retired, *record.history], rules.history if rules else None, now)
    record.password_hash = new_hash
    record.must_change = must_change
    record.last_changed_at = now
    record.failed_attempts = 0
    record.locked_until = None
