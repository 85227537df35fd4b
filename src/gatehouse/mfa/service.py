"""Users' MFA devices: pairing (create, activate), nicknames, the device order, and the operations
sign-on flows use to authenticate a user with a device.

None of these functions commits: the caller's unit of work does, or rolls everything back when
it raises.

For sign-on flows
-----------------
- `usable_devices(session, user, policy=None)`: the user's ACTIVE devices that are not locked,
  in the user's order (the first is the default device), limited to the methods `policy` enables
  when given (the MFA action's policy: `(await effective_policy(session, environment_id,
  policy_id)).settings`, from gatehouse.mfa.policies.service).
- `start_authentication(session, runtime, user, device) -> AuthenticationChallenge`: sends a fresh
  code to an SMS, VOICE or EMAIL device (template `strong_authentication`; the previous code stops
  working), nothing for TOTP, WebAuthn request options for FIDO2
  (`public_key_credential_request_options`, a JSON string for navigator.credentials.get()).
  Sends are rate-limited (at most DEVICE_SEND_LIMIT per device and USER_SEND_LIMIT per user in
  SEND_WINDOW): past that it raises 400 REQUEST_FAILED with a LIMIT_EXCEEDED detail.
- `check_code(session, runtime, device, code) -> CheckResult`: SMS, VOICE and EMAIL accept the
  code last sent, once, until it expires (the policy's `otp.lifeTime`); TOTP accepts the codes of
  the policy's `passcodeGracePeriod` steps around now (1 by default), never the same step twice.
- `check_assertion(session, runtime, device, assertion, origin=None) -> CheckResult`: FIDO2, the
  browser's answer to the options (PublicKeyCredential as a JSON string).
- Both count failures: at the policy's failure count the device is locked for its cool-down (and
  a pending code is dropped). `CheckResult.failures_remaining` says how many failures are left.
  A refused check has written that count, so report it without raising (`refusal(result)` is the
  Problem to render, e.g. as a JSONResponse), or the count rolls back with the request.
- `amr(device)`: the RFC 8176 authentication method reference of a device: "sms", "tel", "otp"
  (e-mailed codes and TOTP), "hwk" (a device-bound FIDO2 key) or "swk" (a synced passkey). The
  flow adds "mfa" itself.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.common import clock
from gatehouse.common.errors import (
    Detail,
    Problem,
    invalid_data,
    invalid_value,
    not_found,
    request_failed,
    required_value,
)
from gatehouse.common.ids import new_id
from gatehouse.directory.models import User
from gatehouse.environments.models import Environment
from gatehouse.mfa import fido2, otp, phones, totp
from gatehouse.mfa.delivery import AUTHENTICATION, PAIRING, Notice, deliver_otp
from gatehouse.mfa.models import MfaDevice, MfaOtpSend
from gatehouse.mfa.policies.schemas import (
    EMAIL,
    FIDO2,
    OTP_TYPES,
    SMS,
    TOTP,
    VOICE,
    PolicySettings,
)
from gatehouse.mfa.policies.service import EffectivePolicy, effective_policy, find_policy
from gatehouse.mfa.schemas import ACTIVATION_REQUIRED, ACTIVE, DeviceActivate, DeviceCreate
from gatehouse.runtime import Runtime

MAX_DEVICES_PER_USER = 15
DEVICE_SEND_LIMIT = 5
USER_SEND_LIMIT = 10
SEND_WINDOW = timedelta(minutes=15)

# Why a check was refused (CheckResult.reason).
INVALID = "INVALID"  # a wrong code or an assertion that does not verify: counts as a failure
EXPIRED = "EXPIRED"  # the code or challenge expired: send or start again
NOT_STARTED = "NOT_STARTED"  # no code was sent, or no challenge issued (or it was used)
LOCKED = "LOCKED"  # too many failures: wait for the cool-down

VALIDATION_MESSAGE = (
    "The request could not be completed. One or more validation errors were in the request."
)
AMR = {SMS: "sms", VOICE: "tel", EMAIL: "otp", TOTP: "otp"}


@dataclass(frozen=True)
class TotpEnrollment:
    """What an authenticator app needs, shown once when the device is created."""

    secret: str
    key_uri: str
    qr_image: str  # PNG of the key URI's QR code, base64


@dataclass(frozen=True)
class Pairing:
    """A device just created, with what only its creation shows."""

    device: MfaDevice
    totp: TotpEnrollment | None = None
    registration: fido2.Ceremony | None = None


@dataclass(frozen=True)
class CheckResult:
    accepted: bool
    failures_remaining: int
    reason: str | None = None  # INVALID | EXPIRED | NOT_STARTED | LOCKED when refused
    seconds_until_unlock: int | None = None  # when the device is (now) locked
    message: str | None = None  # why an assertion did not verify


@dataclass(frozen=True)
class AuthenticationChallenge:
    device: MfaDevice
    otp_sent: bool = False
    public_key_credential_request_options: str | None = None


@dataclass(frozen=True)
class _FailureRule:
    count: int
    cool_down_seconds: int


# --- reading -------------------------------------------------------------------------------


def _in_order(stmt: sa.Select[tuple[MfaDevice]]) -> sa.Select[tuple[MfaDevice]]:
    """The user's order: positioned devices first, then the others by creation time."""
    return stmt.order_by(
        MfaDevice.position.is_(None), MfaDevice.position, MfaDevice.created_at, MfaDevice.id
    )


async def list_devices(session: AsyncSession, user: User) -> Sequence[MfaDevice]:
    stmt = sa.select(MfaDevice).where(
        MfaDevice.environment_id == user.environment_id, MfaDevice.user_id == user.id
    )
    return (await session.scalars(_in_order(stmt))).all()


async def get_device(session: AsyncSession, user: User, device_id: uuid.UUID) -> MfaDevice:
    """The user's device; another user's (or environment's) device is not found."""
    device = await session.get(MfaDevice, device_id)
    if device is None or device.user_id != user.id or device.environment_id != user.environment_id:
        raise not_found()
    return device


def lock_state(device: MfaDevice, now: datetime) -> datetime | None:
    """When the device's lock ends, if it is locked now."""
    return device.locked_until if _locked(device, now) else None


def relying_party(runtime: Runtime) -> fido2.RelyingParty:
    return fido2.relying_party(runtime.settings)


# --- pairing -------------------------------------------------------------------------------


async def create_device(
    session: AsyncSession, runtime: Runtime, user: User, data: DeviceCreate
) -> Pairing:
    """Pair a device under its MFA policy. ACTIVATION_REQUIRED (the default) sends an SMS, VOICE
    or EMAIL device a code (rate-limited) and starts a FIDO2 registration; a TOTP device gets
    its secret either way."""
    policy = await _policy_for_new_device(session, user.environment_id, data)
    _ensure_pairing_allowed(policy.settings, data)
    _ensure_address(data)
    await _ensure_room(session, user)
    device = MfaDevice(
        id=new_id(),
        environment_id=user.environment_id,
        user_id=user.id,
        policy_id=policy.id,
        type=data.type,
        status=data.status,
        nickname=data.nickname,
        phone=data.phone if data.type in (SMS, VOICE) else None,
        email=data.email if data.type == EMAIL else None,
    )
    session.add(device)
    await session.flush()
    if data.type == TOTP:
        return Pairing(device, totp=await _enroll_totp(session, runtime, user, device, policy))
    if data.type == FIDO2:
        return Pairing(
            device, registration=await _start_registration(session, runtime, user, device)
        )
    if data.status == ACTIVATION_REQUIRED:
        await _send_code(session, runtime, user, device, policy.settings, PAIRING)
    return Pairing(device)


async def activate_device(
    session: AsyncSession, runtime: Runtime, device: MfaDevice, data: DeviceActivate
) -> CheckResult:
    """device.activate+json: the code sent (SMS, VOICE, EMAIL) or shown by the app (TOTP), or
    the FIDO2 attestation. A refused code is a CheckResult (the failure is counted); a bad
    attestation raises."""
    if device.status == ACTIVE:
        raise request_failed("The device is already active.")
    if device.type == FIDO2:
        return await _complete_registration(session, runtime, device, data)
    if data.otp is None:
        raise required_value("otp")
    result = await _check_code(session, runtime, device, data.otp)
    if result.accepted:
        device.status = ACTIVE
        await session.flush()
    return result


async def resend_activation_code(
    session: AsyncSession, runtime: Runtime, user: User, device: MfaDevice
) -> MfaDevice:
    """device.sendActivationCode+json: a new code for an SMS, VOICE or EMAIL device that is not
    active yet (the previous code stops working)."""
    if device.status == ACTIVE:
        raise request_failed("The device is already active.")
    if device.type not in OTP_TYPES:
        raise request_failed("Only SMS, voice and email devices are sent an activation code.")
    policy = await _device_policy(session, device)
    await _send_code(session, runtime, user, device, policy.settings, PAIRING)
    return device


async def set_nickname(session: AsyncSession, device: MfaDevice, nickname: str) -> MfaDevice:
    device.nickname = nickname
    await session.flush()
    return device


async def delete_device(session: AsyncSession, device: MfaDevice) -> None:
    await session.delete(device)
    await session.flush()


# --- the device order ----------------------------------------------------------------------


async def reorder_devices(
    session: AsyncSession, user: User, order: Sequence[uuid.UUID]
) -> Sequence[MfaDevice]:
    """devices.reorder+json: the listed devices first, in that order (the first becomes the
    default device); the others follow by creation time."""
    devices = {device.id: device for device in await list_devices(session, user)}
    if len(set(order)) != len(order):
        raise invalid_value("order", "A device can appear only once in the order.")
    unknown = [str(device_id) for device_id in order if device_id not in devices]
    if unknown:
        raise invalid_value(
            "order.id", "These are not devices of the user.", referencedValues=unknown
        )
    positions = {device_id: index for index, device_id in enumerate(order)}
    for device_id, device in devices.items():
        device.position = positions.get(device_id)
    await session.flush()
    return await list_devices(session, user)


async def remove_order(session: AsyncSession, user: User) -> None:
    """devices.order.remove+json: back to creation order."""
    await session.execute(
        sa.update(MfaDevice)
        .where(MfaDevice.environment_id == user.environment_id, MfaDevice.user_id == user.id)
        .values(position=None)
        .execution_options(synchronize_session="fetch")
    )


# --- sign-on -------------------------------------------------------------------------------


async def usable_devices(
    session: AsyncSession, user: User, policy: PolicySettings | None = None
) -> list[MfaDevice]:
    """The user's ACTIVE, unlocked devices in order (those `policy` enables, when given)."""
    now = clock.now()
    devices = [
        device
        for device in await list_devices(session, user)
        if device.status == ACTIVE and not _locked(device, now)
    ]
    if policy is None:
        return devices
    enabled = policy.enabled_types()
    return [device for device in devices if device.type in enabled]


async def start_authentication(
    session: AsyncSession,
    runtime: Runtime,
    user: User,
    device: MfaDevice,
    notice: Notice | None = None,
) -> AuthenticationChallenge:
    """Send a sign-on code (`notice`: which template it uses) or start a WebAuthn assertion."""
    _ensure_usable(device, clock.now())
    if device.type in OTP_TYPES:
        policy = await _device_policy(session, device)
        await _send_code(session, runtime, user, device, policy.settings, AUTHENTICATION, notice)
        return AuthenticationChallenge(device, otp_sent=True)
    if device.type == FIDO2:
        assert device.credential_id is not None
        ceremony = fido2.authentication_options(relying_party(runtime), device.credential_id)
        _keep_challenge(device, ceremony)
        await session.flush()
        return AuthenticationChallenge(
            device, public_key_credential_request_options=ceremony.options
        )
    return AuthenticationChallenge(device)


async def check_code(
    session: AsyncSession, runtime: Runtime, device: MfaDevice, code: str
) -> CheckResult:
    """Sign-on: check the code of an ACTIVE SMS, VOICE, EMAIL or TOTP device."""
    if device.status != ACTIVE or device.type == FIDO2:
        raise request_failed("The device is not an active device that takes a code.")
    return await _check_code(session, runtime, device, code)


async def check_assertion(
    session: AsyncSession,
    runtime: Runtime,
    device: MfaDevice,
    assertion: str,
    origin: str | None = None,
) -> CheckResult:
    """Sign-on: check a WebAuthn assertion for an ACTIVE FIDO2 device, against the challenge of
    the last `start_authentication`. `origin`, when given, must be one of the allowed origins."""
    if device.status != ACTIVE or device.type != FIDO2:
        raise request_failed("The device is not an active FIDO2 device.")
    rp = relying_party(runtime)
    origins = _origins(rp, origin)
    rule = _failure_rule(await _device_policy(session, device), device.type)

    def verify(locked: MfaDevice, now: datetime) -> tuple[str | None, str | None]:
        outcome = _pending_challenge(locked, now)
        if outcome is not None:
            return outcome, None
        assert locked.webauthn_challenge and locked.credential_public_key
        try:
            locked.sign_count = fido2.verify_assertion(
                rp,
                assertion,
                locked.webauthn_challenge,
                origins,
                public_key=locked.credential_public_key,
                sign_count=locked.sign_count,
            )
        except fido2.Fido2Error as exc:
            return INVALID, str(exc)
        locked.webauthn_challenge = None
        locked.webauthn_challenge_expires_at = None
        return None, None

    return await _counted(session, device, rule, verify)


def amr(device: MfaDevice) -> str:
    if device.type == FIDO2:
        return "swk" if device.credential_backed_up else "hwk"
    return AMR[device.type]


def refusal(result: CheckResult, target: str = "otp") -> Problem:
    """The error to report for a refused check (render it without raising: see the module)."""
    inner: dict[str, int] = {"failuresRemaining": result.failures_remaining}
    if result.seconds_until_unlock is not None:
        inner["secondsUntilUnlock"] = result.seconds_until_unlock
    if result.reason == LOCKED:
        return _locked_problem(inner, target)
    messages = {
        INVALID: result.message or "The one-time passcode is not valid.",
        EXPIRED: "The one-time passcode has expired: send a new one.",
        NOT_STARTED: "No one-time passcode is pending for this device: send one first.",
    }
    code = "INVALID_OTP" if target == "otp" else "INVALID_VALUE"
    message = messages[result.reason or INVALID]
    return invalid_data(VALIDATION_MESSAGE, Detail(code, message, target, inner))


# --- internals: policies and pairing -------------------------------------------------------


async def _device_policy(session: AsyncSession, device: MfaDevice) -> EffectivePolicy:
    return await effective_policy(session, device.environment_id, device.policy_id)


async def _policy_for_new_device(
    session: AsyncSession, environment_id: uuid.UUID, data: DeviceCreate
) -> EffectivePolicy:
    if data.policy is None:
        return await effective_policy(session, environment_id)
    if await find_policy(session, environment_id, data.policy.id) is None:
        raise invalid_value("policy.id", "No MFA policy of the environment has this id.")
    return await effective_policy(session, environment_id, data.policy.id)


def _ensure_pairing_allowed(settings: PolicySettings, data: DeviceCreate) -> None:
    method = settings.method(data.type)
    if not method.enabled:
        raise invalid_value("type", f"{data.type} devices are not enabled in the MFA policy.")
    if method.pairing_disabled:
        raise invalid_value("type", f"Pairing new {data.type} devices is disabled in the policy.")
    if data.type == FIDO2 and data.status == ACTIVE:
        raise invalid_value(
            "status", "A FIDO2 device becomes active with its authenticator's attestation."
        )


def _ensure_address(data: DeviceCreate) -> None:
    if data.type in (SMS, VOICE) and data.phone is None:
        raise required_value("phone")
    if data.type == SMS and data.phone and not phones.can_receive_sms(data.phone):
        raise invalid_value("phone", "This number cannot receive text messages: use VOICE.")
    if data.type == EMAIL and data.email is None:
        raise required_value("email")


async def _ensure_room(session: AsyncSession, user: User) -> None:
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(MfaDevice).where(MfaDevice.user_id == user.id)
    )
    if (count or 0) >= MAX_DEVICES_PER_USER:
        raise request_failed(
            f"A user can have at most {MAX_DEVICES_PER_USER} MFA devices.",
            Detail(
                "LIMIT_EXCEEDED",
                "The user has the most devices allowed.",
                None,
                {"maximumValue": MAX_DEVICES_PER_USER},
            ),
        )


async def _enroll_totp(
    session: AsyncSession, runtime: Runtime, user: User, device: MfaDevice, policy: EffectivePolicy
) -> TotpEnrollment:
    secret = totp.new_secret()
    device.totp_secret = runtime.sealer.seal(secret, str(device.id))
    await session.flush()
    environment = await session.get(Environment, user.environment_id)
    issuer = environment.name if environment is not None else "Gatehouse"
    uri = totp.key_uri(secret, user.username, issuer, policy.settings.totp.uri_parameters or {})
    return TotpEnrollment(secret, uri, totp.qr_code_png(uri))


async def _start_registration(
    session: AsyncSession, runtime: Runtime, user: User, device: MfaDevice
) -> fido2.Ceremony:
    registered = await session.scalars(
        sa.select(MfaDevice.credential_id).where(
            MfaDevice.user_id == user.id, MfaDevice.credential_id.is_not(None)
        )
    )
    ceremony = fido2.registration_options(
        relying_party(runtime),
        user_handle=user.id.bytes,
        user_name=user.username,
        display_name=_display_name(user),
        exclude=[credential_id for credential_id in registered if credential_id],
    )
    _keep_challenge(device, ceremony)
    await session.flush()
    return ceremony


async def _complete_registration(
    session: AsyncSession, runtime: Runtime, device: MfaDevice, data: DeviceActivate
) -> CheckResult:
    if data.attestation is None:
        raise required_value("attestation")
    rp = relying_party(runtime)
    origins = _origins(rp, data.origin)
    if _pending_challenge(device, clock.now()) is not None:
        raise request_failed(
            "The registration options have expired: delete the device and create it again."
        )
    assert device.webauthn_challenge is not None
    try:
        credential = fido2.verify_registration(
            rp, data.attestation, device.webauthn_challenge, origins
        )
    except fido2.Fido2Error as exc:
        raise invalid_value("attestation", str(exc)) from None
    clash = await session.scalar(
        sa.select(MfaDevice.id).where(
            MfaDevice.user_id == device.user_id, MfaDevice.credential_id == credential.id
        )
    )
    if clash is not None:
        raise invalid_value("attestation", "This authenticator is already registered.")
    device.credential_id = credential.id
    device.credential_public_key = credential.public_key
    device.sign_count = credential.sign_count
    device.credential_backed_up = credential.backed_up
    device.webauthn_challenge = None
    device.webauthn_challenge_expires_at = None
    device.status = ACTIVE
    await session.flush()
    rule = _failure_rule(await _device_policy(session, device), device.type)
    return CheckResult(True, rule.count)


def _display_name(user: User) -> str:
    parts = [part for part in (user.name_given, user.name_family) if part]
    return user.name_formatted or " ".join(parts) or user.username


def _origins(rp: fido2.RelyingParty, origin: str | None) -> tuple[str, ...]:
    if origin is None:
        return rp.origins
    if origin not in rp.origins:
        raise invalid_value(
            "origin", "The origin is not allowed for FIDO2.", allowedValues=list(rp.origins)
        )
    return (origin,)


def _keep_challenge(device: MfaDevice, ceremony: fido2.Ceremony) -> None:
    device.webauthn_challenge = ceremony.challenge
    device.webauthn_challenge_expires_at = clock.now() + timedelta(seconds=fido2.CEREMONY_SECONDS)


def _pending_challenge(device: MfaDevice, now: datetime) -> str | None:
    """None when a WebAuthn challenge is pending, else why not (NOT_STARTED or EXPIRED)."""
    if device.webauthn_challenge is None or device.webauthn_challenge_expires_at is None:
        return NOT_STARTED
    if device.webauthn_challenge_expires_at <= now:
        return EXPIRED
    return None


# --- internals: codes, lockout and send limits ---------------------------------------------


async def _send_code(
    session: AsyncSession,
    runtime: Runtime,
    user: User,
    device: MfaDevice,
    settings: PolicySettings,
    purpose: str,
    notice: Notice | None = None,
) -> None:
    device = await _for_update(session, device.id)
    now = clock.now()
    _expire_lock(device, now)
    if _locked(device, now):
        raise _locked_problem(_lock_inner(device, now), None)
    await _count_send(session, device, now)
    rules = settings.offline(device.type).otp
    code = otp.new_code(rules.otp_length)
    device.otp_digest = otp.code_digest(runtime.sealer, device.id, code)
    device.otp_expires_at = now + timedelta(seconds=rules.life_time.seconds)
    await deliver_otp(
        session,
        runtime,
        user=user,
        device=device,
        code=code,
        purpose=purpose,
        lifetime_seconds=rules.life_time.seconds,
        notice=notice,
    )


async def _count_send(session: AsyncSession, device: MfaDevice, now: datetime) -> None:
    """Refuse a send past DEVICE_SEND_LIMIT (per device) or USER_SEND_LIMIT (per user) within
    SEND_WINDOW, else record it. The device row is locked, so the device count is exact; the
    user count is exact except between concurrent sends to different devices of one user."""
    since = now - SEND_WINDOW
    await session.execute(
        sa.delete(MfaOtpSend).where(
            MfaOtpSend.user_id == device.user_id, MfaOtpSend.sent_at < since
        )
    )
    for scope, limit in (
        (MfaOtpSend.device_id == device.id, DEVICE_SEND_LIMIT),
        (MfaOtpSend.user_id == device.user_id, USER_SEND_LIMIT),
    ):
        count, oldest = (
            await session.execute(
                sa.select(sa.func.count(), sa.func.min(MfaOtpSend.sent_at)).where(
                    scope, MfaOtpSend.sent_at >= since
                )
            )
        ).one()
        if count >= limit:
            raise _limit_problem(limit, clock.as_utc(oldest) + SEND_WINDOW)
    session.add(MfaOtpSend(user_id=device.user_id, device_id=device.id, sent_at=now))
    await session.flush()


def _limit_problem(limit: int, reset_at: datetime) -> Problem:
    return request_failed(
        "Too many one-time passcodes were sent: try again later.",
        Detail(
            "LIMIT_EXCEEDED",
            f"At most {limit} passcodes can be sent in {int(SEND_WINDOW.total_seconds() // 60)} "
            "minutes.",
            None,
            {"quotaLimit": limit, "quotaResetTime": clock.isoformat(reset_at)},
        ),
    )


async def _check_code(
    session: AsyncSession, runtime: Runtime, device: MfaDevice, code: str
) -> CheckResult:
    policy = await _device_policy(session, device)
    window = policy.settings.totp.window

    def verify(locked: MfaDevice, now: datetime) -> tuple[str | None, str | None]:
        if locked.type == TOTP:
            return _verify_totp(runtime, locked, code, now, window), None
        return _verify_sent_code(runtime, locked, code, now), None

    return await _counted(session, device, _failure_rule(policy, device.type), verify)


def _verify_sent_code(runtime: Runtime, device: MfaDevice, code: str, now: datetime) -> str | None:
    """None when `code` is the pending code (then used up), else why not."""
    if device.otp_digest is None or device.otp_expires_at is None:
        return NOT_STARTED
    if device.otp_expires_at <= now:
        device.otp_digest = device.otp_expires_at = None
        return EXPIRED
    if not otp.code_matches(runtime.sealer, device.id, code, device.otp_digest):
        return INVALID
    device.otp_digest = device.otp_expires_at = None
    return None


def _verify_totp(
    runtime: Runtime, device: MfaDevice, code: str, now: datetime, window: int
) -> str | None:
    assert device.totp_secret is not None
    secret = runtime.sealer.unseal(device.totp_secret, str(device.id))
    step = totp.matching_step(secret, code, now, window)
    if step is None or (device.totp_last_step is not None and step <= device.totp_last_step):
        return INVALID
    device.totp_last_step = step
    return None


Verifier = Callable[[MfaDevice, datetime], tuple[str | None, str | None]]


async def _counted(
    session: AsyncSession, device: MfaDevice, rule: _FailureRule, verify: Verifier
) -> CheckResult:
    """Run `verify` (None: accepted, else the reason and a message) on the locked device row,
    with the lockout bookkeeping: a lock in force refuses without checking; an INVALID answer
    counts a failure, and the last one allowed locks the device for the cool-down."""
    device = await _for_update(session, device.id)
    now = clock.now()
    _expire_lock(device, now)
    if _locked(device, now):
        return CheckResult(False, 0, LOCKED, _seconds_until_unlock(device, now))
    reason, message = verify(device, now)
    if reason is None:
        device.failed_attempts = 0
        await session.flush()
        return CheckResult(True, rule.count)
    if reason == INVALID:
        device.failed_attempts += 1
        if device.failed_attempts >= rule.count:
            device.locked_until = now + timedelta(seconds=rule.cool_down_seconds)
            device.otp_digest = device.otp_expires_at = None
    await session.flush()
    remaining = max(rule.count - device.failed_attempts, 0)
    seconds = _seconds_until_unlock(device, now) if _locked(device, now) else None
    return CheckResult(False, remaining, reason, seconds, message)


def _failure_rule(policy: EffectivePolicy, device_type: str) -> _FailureRule:
    failure = policy.settings.failure(device_type)
    return _FailureRule(failure.count, failure.cool_down.seconds)


async def _for_update(session: AsyncSession, device_id: uuid.UUID) -> MfaDevice:
    """The device row, locked (PostgreSQL) so concurrent checks and sends count right."""
    device = await session.scalar(
        sa.select(MfaDevice)
        .where(MfaDevice.id == device_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert device is not None
    return device


def _ensure_usable(device: MfaDevice, now: datetime) -> None:
    if device.status != ACTIVE:
        raise request_failed("The device is not active.")
    if _locked(device, now):
        raise _locked_problem(_lock_inner(device, now), None)


def _locked(device: MfaDevice, now: datetime) -> bool:
    return device.locked_until is not None and device.locked_until > now


def _expire_lock(device: MfaDevice, now: datetime) -> None:
    """A lock that has run out forgets the failures before it."""
    if device.locked_until is not None and device.locked_until <= now:
        device.locked_until = None
        device.failed_attempts = 0


def _seconds_until_unlock(device: MfaDevice, now: datetime) -> int:
    assert device.locked_until is not None
    return max(math.ceil((device.locked_until - now).total_seconds()), 1)


def _lock_inner(device: MfaDevice, now: datetime) -> dict[str, int]:
    return {"failuresRemaining": 0, "secondsUntilUnlock": _seconds_until_unlock(device, now)}


def _locked_problem(inner: dict[str, int], target: str | None) -> Problem:
    return request_failed(
        "The device is locked after too many failed attempts: try again later.",
        Detail("DEVICE_LOCKED", "The device is locked.", target, inner),
    )
