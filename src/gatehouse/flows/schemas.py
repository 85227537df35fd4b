"""The bodies of flow actions (pingone/09 section 2), named after the media type that selects them."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from gatehouse.common.schemas import RequestModel

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class UsernamePasswordCheck(RequestModel):
    """usernamePassword.check: `username` may be left out once the flow knows the user
    (PASSWORD_REQUIRED)."""

    username: Username | None = None
    password: Password


class UserLookup(RequestModel):
    """user.lookup and password.forgot."""

    username: Username


class UserRegistration(RequestModel):
    """user.register: the password, and the new user's attributes as POST /users takes them
    (`username` and `email` required)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    password: Password


class UserVerification(RequestModel):
    verification_code: Code = Field(alias="verificationCode")


class PasswordRecovery(RequestModel):
    recovery_code: Code = Field(alias="recoveryCode")
    new_password: Password = Field(alias="newPassword")


class PasswordChange(RequestModel):
    """password.reset in MUST_CHANGE_PASSWORD and PASSWORD_EXPIRED."""

    current_password: Password = Field(alias="currentPassword")
    new_password: Password = Field(alias="newPassword")


class ProfileUpdate(RequestModel):
    """user.update: the prompted attributes, as PATCH /users takes them (`{"address":
    {"postalCode": ...}}`; a dotted name, `"address.postalCode"`, is accepted too)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class DeviceRef(RequestModel):
    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class DeviceSelection(RequestModel):
    """device.select: one of the user's usable devices."""

    device: DeviceRef


class OtpCheck(RequestModel):
    otp: Code


class AssertionCheck(RequestModel):
    """assertion.check: the browser's PublicKeyCredential as a JSON string, and the page's
    origin when the client knows it."""

    assertion: Annotated[str, StringConstraints(min_length=1, max_length=65536)]
    origin: Annotated[str, StringConstraints(max_length=2048)] | None = None
