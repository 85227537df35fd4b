"""Request and response models of device authentication policies ("MFA policies"), named after
PingOne's DeviceAuthenticationPolicy (MFA spec).

A policy row keeps `name` and `default` as columns and everything else in one JSON document
(`DeviceAuthenticationPolicy.settings`) under PingOne's names: `PolicySettings` validates it on
the way in and reads it back when a device is paired or checked.

Ranges chosen where the spec is silent: OTP lifetimes 1 to 30 minutes, failure counts 1 to 7,
OTP cool-downs up to 30 minutes (FIDO2: 2 to 30 minutes, as the spec says). Native-app (`mobile`)
devices are not supported: `mobile.enabled` must be false.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError

from gatehouse.common.schemas import HalView, Name, RequestModel, Timestamp

SMS, VOICE, EMAIL, TOTP, FIDO2 = "SMS", "VOICE", "EMAIL", "TOTP", "FIDO2"
OTP_TYPES = (SMS, VOICE, EMAIL)

Flag = StrictBool
FailureCount = Annotated[StrictInt, Field(ge=1, le=7)]
TimeUnit = Literal["MINUTES", "SECONDS"]
DeviceSelection = Literal["DEFAULT_TO_FIRST", "PROMPT_TO_SELECT", "ALWAYS_DISPLAY_DEVICES"]
NewDeviceNotification = Literal["NONE", "EMAIL_THEN_SMS", "SMS_THEN_EMAIL"]
# otpauth parameters the key URI sets itself: a policy cannot override them
RESERVED_URI_PARAMETERS = frozenset({"secret", "algorithm", "digits", "period", "counter"})
MAX_URI_PARAMETERS = 10


class Period(RequestModel):
    duration: Annotated[StrictInt, Field(ge=0, le=86_400)]
    time_unit: TimeUnit = Field(alias="timeUnit")

    @property
    def seconds(self) -> int:
        return self.duration * 60 if self.time_unit == "MINUTES" else self.duration


def _between(low: int, high: int) -> Callable[[Period], Period]:
    def check(period: Period) -> Period:
        if not low <= period.seconds <= high:
            # this error type renders as OUT_OF_RANGE (common.bodies), the context as innerError
            raise PydanticCustomError(
                "less_than_equal",
                "must be between {rangeMinimumValue} and {rangeMaximumValue} seconds",
                {"rangeMinimumValue": low, "rangeMaximumValue": high},
            )
        return period

    return check


LifeTime = Annotated[Period, AfterValidator(_between(60, 1800))]
OtpCoolDown = Annotated[Period, AfterValidator(_between(0, 1800))]
Fido2CoolDown = Annotated[Period, AfterValidator(_between(120, 1800))]


class OtpFailure(RequestModel):
    count: FailureCount
    cool_down: OtpCoolDown = Field(alias="coolDown")


class Fido2Failure(RequestModel):
    count: FailureCount
    cool_down: Fido2CoolDown = Field(alias="coolDown")


class OfflineOtp(RequestModel):
    life_time: LifeTime = Field(alias="lifeTime")
    failure: OtpFailure
    otp_length: Annotated[StrictInt, Field(ge=6, le=10)] = Field(default=6, alias="otpLength")


class Method(RequestModel):
    enabled: Flag
    pairing_disabled: Flag = Field(default=False, alias="pairingDisabled")
    prompt_for_nickname_on_pairing: Flag = Field(default=False, alias="promptForNicknameOnPairing")


class OfflineMethod(Method):
    """SMS, voice and e-mail: a code sent to the device."""

    otp: OfflineOtp


class TotpOtp(RequestModel):
    failure: OtpFailure


def _uri_parameters(parameters: dict[str, str] | None) -> dict[str, str] | None:
    if parameters is None:
        return None
    if len(parameters) > MAX_URI_PARAMETERS:
        raise PydanticCustomError(
            "too_long", "at most {maximum} uriParameters", {"maximum": MAX_URI_PARAMETERS}
        )
    reserved = sorted(RESERVED_URI_PARAMETERS.intersection(key.lower() for key in parameters))
    if reserved:
        raise PydanticCustomError(
            "reserved_parameter", "uriParameters cannot set {names}", {"names": ", ".join(reserved)}
        )
    return parameters


UriParameterName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$")
]
UriParameterValue = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class TotpMethod(Method):
    """Authenticator apps: `passcodeGracePeriod` time steps (30 s each) are accepted on either
    side of the current one (1 when not set); `uriParameters` are added to the key URI
    (`issuer` names the account's issuer, by default the environment's name)."""

    otp: TotpOtp
    passcode_grace_period: Annotated[StrictInt, Field(ge=1, le=10)] | None = Field(
        default=None, alias="passcodeGracePeriod"
    )
    uri_parameters: Annotated[
        dict[UriParameterName, UriParameterValue] | None, AfterValidator(_uri_parameters)
    ] = Field(default=None, alias="uriParameters")

    @property
    def window(self) -> int:
        return self.passcode_grace_period or 1


def _default_fido2_failure() -> Fido2Failure:
    return Fido2Failure(count=3, cool_down=Period(duration=2, time_unit="MINUTES"))


class Fido2Method(Method):
    # FIDO2 policies (/fido2Policies) are not served yet: the id is kept as given
    fido2_policy_id: uuid.UUID | None = Field(default=None, alias="fido2PolicyId")
    failure: Fido2Failure = Field(default_factory=_default_fido2_failure)


def _not_enabled(enabled: bool) -> bool:
    if enabled:
        raise PydanticCustomError(
            "not_supported", "native-app (mobile) devices are not supported: enabled must be false"
        )
    return enabled


class MobileMethod(RequestModel):
    enabled: Annotated[Flag, AfterValidator(_not_enabled)] = False


class Authentication(RequestModel):
    device_selection: DeviceSelection = Field(default="DEFAULT_TO_FIRST", alias="deviceSelection")


class PolicySettings(RequestModel):
    """Everything of a policy but its name and default standing."""

    sms: OfflineMethod
    voice: OfflineMethod
    email: OfflineMethod
    totp: TotpMethod
    fido2: Fido2Method = Field(default_factory=lambda: Fido2Method(enabled=False))
    mobile: MobileMethod = Field(default_factory=MobileMethod)
    authentication: Authentication = Field(default_factory=Authentication)
    # stored and returned; Gatehouse does not send new-device notifications yet
    new_device_notification: NewDeviceNotification = Field(
        default="EMAIL_THEN_SMS", alias="newDeviceNotification"
    )
    ignore_user_lock: Flag = Field(default=False, alias="ignoreUserLock")

    def document(self) -> dict[str, object]:
        """The JSON stored in `DeviceAuthenticationPolicy.settings`."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, include=set(PolicySettings.model_fields)
        )

    def method(self, device_type: str) -> OfflineMethod | TotpMethod | Fido2Method:
        methods: dict[str, OfflineMethod | TotpMethod | Fido2Method] = {
            SMS: self.sms,
            VOICE: self.voice,
            EMAIL: self.email,
            TOTP: self.totp,
            FIDO2: self.fido2,
        }
        return methods[device_type]

    def offline(self, device_type: str) -> OfflineMethod:
        """The settings of a method that sends codes (SMS, VOICE, EMAIL)."""
        return {SMS: self.sms, VOICE: self.voice, EMAIL: self.email}[device_type]

    def failure(self, device_type: str) -> OtpFailure | Fido2Failure:
        """How many failed checks lock a device of this type, and for how long."""
        if device_type == FIDO2:
            return self.fido2.failure
        if device_type == TOTP:
            return self.totp.otp.failure
        return self.offline(device_type).otp.failure

    def enabled_types(self) -> frozenset[str]:
        return frozenset(kind for kind in (*OTP_TYPES, TOTP, FIDO2) if self.method(kind).enabled)


class DeviceAuthenticationPolicyWrite(PolicySettings):
    """POST and PUT bodies. `default` left out keeps the policy's standing (false on POST)."""

    name: Name
    default: Flag | None = None


class DeviceAuthenticationPolicyView(HalView, PolicySettings):
    id: uuid.UUID
    environment: dict[str, str]
    name: str
    default: bool
    # deprecated and read-only in PingOne's spec; always false
    for_sign_on_policy: bool = Field(default=False, alias="forSignOnPolicy")
    created_at: Timestamp = Field(alias="createdAt")
    updated_at: Timestamp = Field(alias="updatedAt")
