"""The MULTI_FACTOR_AUTHENTICATION action (pingone/04 section 5, pingone/09 sections 2-3): the
user proves a second factor with one of their MFA devices (gatehouse.mfa.service).

    (user known) --> OTP_REQUIRED | ASSERTION_REQUIRED   one device, or deviceSelection
                                                         DEFAULT_TO_FIRST: the first (default) one
    (user known) --> DEVICE_SELECTION_REQUIRED --device.select--> OTP_REQUIRED | ASSERTION_REQUIRED
    OTP_REQUIRED --otp.check--> done          (SMS, VOICE, EMAIL, TOTP)
    OTP_REQUIRED --otp.send--> OTP_REQUIRED   (a new code to the SMS, VOICE or EMAIL device)
    ASSERTION_REQUIRED --assertion.check--> done   (FIDO2)
    OTP_REQUIRED | ASSERTION_REQUIRED --device.select--> ...   (when the user has several devices)

The devices offered are the user's usable ones (ACTIVE, not locked) of the methods the action's
MFA policy (`deviceAuthenticationPolicy`, else the environment's default) enables, limited to the
action's per-method toggles (`sms`, `voice`, `email`, `authenticator`, `securityKey`) when any is
given. A user with none, or whose `mfaEnabled` is false, has no usable device: `noDevicesMode`
BYPASS skips the action, BLOCK fails the flow with the code NO_USABLE_DEVICES.

A refused code or assertion is reported with the MFA service's refusal (`failuresRemaining`,
DEVICE_LOCKED) while the failure count it wrote is kept. Success records the "mfa" authenticator
and the device's RFC 8176 method ("sms", "tel", "otp", "hwk", "swk") in the flow: both reach the
session's and the tokens' `amr`.

The passcode's message is the `strong_authentication` template's, or the template a signed
request object's pi.template names (`transaction`, with its variant and variables).

Passwordless sign-on: an MFA action with no user yet asks for the identifier (SIGN_ON_REQUIRED,
`user.lookup`); an IDENTIFIER_FIRST action directly followed by an applicable MFA action goes
straight to it (no password) when the user has a usable device for it, else on to the password as
before. A username alone never completes a sign-on: without a usable device the lookup fails the
flow (NO_USABLE_DEVICES) whatever `noDevicesMode` says.
"""

from __future__ import annotations

import uuid
from typing import Any

from gatehouse.common.errors import Problem, invalid_value
from gatehouse.directory.models import User
from gatehouse.flows.actions import common, identifier_first
from gatehouse.flows.context import Start, Step, Transition, find_user
from gatehouse.flows.schemas import AssertionCheck, DeviceSelection, OtpCheck, UserLookup
from gatehouse.flows.statuses import (
    ACTION_COMPLETED,
    ASSERTION_CHECK,
    ASSERTION_REQUIRED,
    DEVICE_SELECT,
    DEVICE_SELECTION_REQUIRED,
    OTP_CHECK,
    OTP_REQUIRED,
    OTP_SEND,
    SIGN_ON_REQUIRED,
    USER_LOOKUP,
)
from gatehouse.mfa import service as mfa
from gatehouse.mfa.delivery import AUTHENTICATION, Notice
from gatehouse.mfa.models import MfaDevice
from gatehouse.mfa.policies.schemas import EMAIL, FIDO2, OTP_TYPES, SMS, TOTP, VOICE
from gatehouse.mfa.policies.service import effective_policy
from gatehouse.policies.conditions import ConditionError, evaluate
from gatehouse.policies.models import SignOnPolicyAction

MFA = "MULTI_FACTOR_AUTHENTICATION"
NO_USABLE_DEVICES = "NO_USABLE_DEVICES"
DEFAULT_TO_FIRST = "DEFAULT_TO_FIRST"
# the action's per-method toggles and the device types they stand for
TOGGLES = {
    "sms": SMS,
    "voice": VOICE,
    "email": EMAIL,
    "authenticator": TOTP,
    "securityKey": FIDO2,
}


# --- starting ------------------------------------------------------------------------------


async def start(step: Step) -> str:
    if step.user is None:
        return SIGN_ON_REQUIRED
    return await _begin(step, step.user)


async def _begin(step: Step, user: User) -> str:
    devices = await _usable(step, step.action, user)
    if not devices:
        if step.config.get("noDevicesMode") == "BYPASS":
            return ACTION_COMPLETED
        return _no_devices(step)
    step.keep(deviceIds=[str(device.id) for device in devices])
    if len(devices) == 1 or await _selection(step) == DEFAULT_TO_FIRST:
        return await _challenge(step, user, devices[0])
    return DEVICE_SELECTION_REQUIRED


async def _usable(step: Step, action: SignOnPolicyAction | None, user: User) -> list[MfaDevice]:
    if not user.mfa_enabled or action is None:
        return []
    policy = await effective_policy(step.session, user.environment_id, _policy_id(action.config))
    devices = await mfa.usable_devices(step.session, user, policy.settings)
    allowed = _toggled_types(action.config)
    return [device for device in devices if allowed is None or device.type in allowed]


def _policy_id(config: dict[str, Any]) -> uuid.UUID | None:
    reference = config.get("deviceAuthenticationPolicy") or {}
    try:
        return uuid.UUID(str(reference.get("id")))
    except ValueError:
        return None


def _toggled_types(config: dict[str, Any]) -> frozenset[str] | None:
    """The device types the action's toggles enable; None when it gives none (all of them)."""
    given = {name: config[name] for name in TOGGLES if isinstance(config.get(name), dict)}
    if not given:
        return None
    return frozenset(TOGGLES[name] for name, toggle in given.items() if toggle.get("enabled"))


async def _selection(step: Step) -> str:
    policy = await effective_policy(step.session, step.flow.environment_id, _policy_id(step.config))
    return policy.settings.authentication.device_selection


async def _challenge(step: Step, user: User, device: MfaDevice) -> str:
    challenge = await mfa.start_authentication(
        step.session, step.runtime, user, device, _notice(step)
    )
    step.keep(
        deviceId=str(device.id),
        deviceType=device.type,
        requestOptions=challenge.public_key_credential_request_options,
    )
    return ASSERTION_REQUIRED if device.type == FIDO2 else OTP_REQUIRED


def _notice(step: Step) -> Notice:
    """The passcode's template: the request object's pi.template (a transaction approval), else
    strong_authentication; in the request's ui_locales first."""
    template = step.flow.request.get("template") or {}
    return Notice(
        template=template.get("name") or AUTHENTICATION,
        variant=template.get("variant"),
        variables=dict(template.get("variables") or {}),
        locales=tuple(step.flow.request.get("ui_locales") or ()),
    )


def _no_devices(step: Step) -> str:
    return step.fail(
        NO_USABLE_DEVICES,
        "The sign-on policy requires multi-factor authentication, and the user has no usable "
        "MFA device.",
    )


# --- handlers ------------------------------------------------------------------------------


async def select(step: Step, body: DeviceSelection) -> str:
    assert step.user is not None
    if body.device.id not in step.state.get("deviceIds", []):
        raise invalid_value("device.id", "The device is not one of the user's usable devices.")
    device = await mfa.get_device(step.session, step.user, uuid.UUID(body.device.id))
    return await _challenge(step, step.user, device)


async def check_otp(step: Step, body: OtpCheck) -> str | Problem:
    device = await _current_device(step)
    result = await mfa.check_code(step.session, step.runtime, device, body.otp)
    if not result.accepted:
        return mfa.refusal(result)
    return _accepted(step, device)


async def send_otp(step: Step, _body: None) -> str:
    assert step.user is not None
    return await _challenge(step, step.user, await _current_device(step))


async def check_assertion(step: Step, body: AssertionCheck) -> str | Problem:
    device = await _current_device(step)
    result = await mfa.check_assertion(
        step.session, step.runtime, device, body.assertion, body.origin
    )
    if not result.accepted:
        return mfa.refusal(result, "assertion")
    return _accepted(step, device)


async def _current_device(step: Step) -> MfaDevice:
    assert step.user is not None
    return await mfa.get_device(step.session, step.user, uuid.UUID(step.state["deviceId"]))


def _accepted(step: Step, device: MfaDevice) -> str:
    step.authenticated("mfa")
    step.authenticated(mfa.amr(device))
    return ACTION_COMPLETED


# --- passwordless --------------------------------------------------------------------------


async def lookup(step: Step, body: UserLookup) -> str | Problem:
    """user.lookup in SIGN_ON_REQUIRED: IDENTIFIER_FIRST's, or the MFA action's own."""
    if step.action is None or step.action.type != MFA:
        return await _identifier_first_lookup(step, body)
    user = await find_user(step, body.username)
    if user is None or not common.usable(user) or not await _usable(step, step.action, user):
        return _no_devices(step)
    step.identify(user)
    return await _begin(step, user)


async def _identifier_first_lookup(step: Step, body: UserLookup) -> str | Problem:
    """Straight on to the MFA action that follows (no password) when the user can use it."""
    following = _following_mfa(step)
    if following is not None:
        user = await find_user(step, body.username)
        if user is not None and common.usable(user) and await _usable(step, following, user):
            step.identify(user)
            return ACTION_COMPLETED
    return await identifier_first.lookup(step, body)


def _following_mfa(step: Step) -> SignOnPolicyAction | None:
    assert step.action is not None
    index = step.actions.index(step.action) + 1
    following = step.actions[index] if index < len(step.actions) else None
    if following is None or following.type != MFA:
        return None
    try:
        applies = evaluate(following.condition, step.condition_context())
    except ConditionError:
        applies = True
    return following if applies else None


# --- what the statuses show ----------------------------------------------------------------


async def devices_view(step: Step) -> dict[str, Any]:
    """`_embedded.devices` (DEVICE_SELECTION_REQUIRED, and to switch when there are several)."""
    if step.user is None:
        return {}
    ids = step.state.get("deviceIds", [])
    if step.flow.status != DEVICE_SELECTION_REQUIRED and len(ids) < 2:
        return {}
    devices = [
        device
        for device in await mfa.list_devices(step.session, step.user)
        if str(device.id) in ids
    ]
    return {"devices": [device_view(device) for device in devices]}


async def selected_view(step: Step) -> dict[str, Any]:
    """`_embedded.selectedDevice`, and the WebAuthn request options for a FIDO2 device."""
    if step.user is None or "deviceId" not in step.state:
        return {}
    device = await _current_device(step)
    content: dict[str, Any] = {"selectedDevice": device_view(device)}
    options = step.state.get("requestOptions")
    if device.type == FIDO2 and options:
        content["publicKeyCredentialRequestOptions"] = options
    return content


async def challenge_view(step: Step) -> dict[str, Any]:
    return {**await selected_view(step), **await devices_view(step)}


def device_view(device: MfaDevice) -> dict[str, Any]:
    view: dict[str, Any] = {"id": str(device.id), "type": device.type}
    if device.nickname:
        view["nickname"] = device.nickname
    if device.phone:
        view["phone"] = mask_phone(device.phone)
    if device.email:
        view["email"] = mask_email(device.email)
    return view


def mask_phone(phone: str) -> str:
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"


# --- what is offered -----------------------------------------------------------------------


def _several(step: Step) -> bool:
    return len(step.state.get("deviceIds", [])) > 1


def _sends_codes(step: Step) -> bool:
    return step.state.get("deviceType") in OTP_TYPES


START: dict[str, Start] = {MFA: start}
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (SIGN_ON_REQUIRED, USER_LOOKUP): Transition(UserLookup, lookup),
    (DEVICE_SELECTION_REQUIRED, DEVICE_SELECT): Transition(DeviceSelection, select),
    (OTP_REQUIRED, OTP_CHECK): Transition(OtpCheck, check_otp),
    (OTP_REQUIRED, OTP_SEND): Transition(None, send_otp, _sends_codes),
    (OTP_REQUIRED, DEVICE_SELECT): Transition(DeviceSelection, select, _several),
    (ASSERTION_REQUIRED, ASSERTION_CHECK): Transition(AssertionCheck, check_assertion),
    (ASSERTION_REQUIRED, DEVICE_SELECT): Transition(DeviceSelection, select, _several),
}
EMBEDDED = {
    DEVICE_SELECTION_REQUIRED: devices_view,
    OTP_REQUIRED: challenge_view,
    ASSERTION_REQUIRED: challenge_view,
}
