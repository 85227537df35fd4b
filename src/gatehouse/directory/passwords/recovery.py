"""Password recovery (pingone/02 section 4, password.sendRecoveryCode and password.recover): a
one-time code e-mailed to the user, and the new password it lets them choose.

A user has at most one recovery code, kept as a keyed digest in their password record, so a code
sent by a sign-on flow (`password.forgot`) and one sent through the management API are the same
thing and work in either. A code lives 15 minutes and is spent by its use, by a newer code, or by
five wrong tries. The new password must satisfy the user's password policy, all of it but
minAgeDays (the old one was forgotten, not just changed); setting it ends a lockout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import invalid_value
from gatehouse.crypto.codes import normalized, one_time_code
from gatehouse.crypto.passwords import is_supported_hash
from gatehouse.directory.models import User, UserPassword
from gatehouse.directory.passwords import service as passwords
from gatehouse.notifications.service import send_email
from gatehouse.runtime import Runtime

CODE_LIFETIME = timedelta(minutes=15)
MAX_FAILURES = 5


@dataclass(frozen=True)
class Recovery:
    """The outcome of presenting a recovery code: whether it was right, and whether it is now
    spent (too many wrong tries, expired, or never sent)."""

    matched: bool
    spent: bool = False


def can_recover(user: User) -> bool:
    """Enabled, not locked by an administrator, with an e-mail address and a local password."""
    locked = user.account_status == "LOCKED" and (
        user.account_unlock_at is None or user.account_unlock_at > clock.now()
    )
    return (
        user.enabled
        and not locked
        and bool(user.email)
        and user.identity_provider_type == passwords.LOCAL_IDENTITY_PROVIDER
    )


async def send_recovery_code(session: AsyncSession, runtime: Runtime, user: User) -> bool:
    """E-mail the user a new recovery code (any older one stops working). False, and nothing
    sent, when the user cannot recover a password."""
    record = await session.get(UserPassword, user.id, with_for_update=True)
    if record is None or not can_recover(user):
        return False
    code = one_time_code()
    record.recovery_code_digest = runtime.sealer.digest(code)
    record.recovery_code_expires_at = clock.now() + CODE_LIFETIME
    record.recovery_failures = 0
    await send_email(
        session,
        runtime,
        environment_id=user.environment_id,
        user=user,
        template="recovery_code",
        variables={"code": code},
    )
    return True


async def recover_password(
    session: AsyncSession, runtime: Runtime, user: User, code: str, new_password: str
) -> Recovery:
    """Set `new_password` if `code` is the user's live recovery code. A wrong code is counted and
    returned (not raised), so the count survives; a password the policy refuses raises and leaves
    the code usable for another try."""
    record = await session.get(UserPassword, user.id, with_for_update=True)
    if record is None or not _live(record) or not can_recover(user):
        return Recovery(matched=False, spent=True)
    if not runtime.sealer.matches(normalized(code), record.recovery_code_digest or ""):
        record.recovery_failures += 1
        spent = record.recovery_failures >= MAX_FAILURES
        if spent:
            _forget_code(record)
        await session.flush()
        return Recovery(matched=False, spent=spent)
    if is_supported_hash(new_password):
        raise invalid_value("newPassword", "The new password cannot be a password hash.")
    _forget_code(record)
    await passwords.set_password(session, runtime.hasher, user, new_password)
    return Recovery(matched=True)


def _live(record: UserPassword) -> bool:
    expires_at = record.recovery_code_expires_at
    return (
        record.recovery_code_digest is not None
        and expires_at is not None
        and expires_at > clock.now()
    )


def _forget_code(record: UserPassword) -> None:
    record.recovery_code_digest = None
    record.recovery_code_expires_at = None
    record.recovery_failures = 0
