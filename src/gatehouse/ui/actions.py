"""The `action` field of a hosted sign-on form, mapped to the flows API media type it performs
and the JSON body built from the form's fields (see pingone/09-flows-api.md §2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Form = dict[str, str]

MEDIA_TYPE_PREFIX = "application/vnd.pingidentity."


@dataclass(frozen=True)
class Action:
    link: str  # the flow's `_links` key that offers it
    body: Callable[[Form], dict[str, Any] | None]  # None: the action takes no body

    @property
    def media_type(self) -> str:
        return f"{MEDIA_TYPE_PREFIX}{self.link}+json"


def _fields(*names: str, strip: tuple[str, ...] = ()) -> Callable[[Form], dict[str, Any]]:
    """A body of these form fields; dotted names nest (`name.given` -> {"name": {"given"}}).
    Fields left empty are left out, so the flow reports them as required."""

    def build(form: Form) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name in names:
            value = form.get(name, "")
            if name in strip:
                value = value.strip()
            if value == "":
                continue
            *parents, leaf = name.split(".")
            target = body
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value
        return body

    return build


def _nothing(_form: Form) -> None:
    return None


def _profile(form: Form) -> dict[str, Any]:
    """Progressive profiling: every filled attribute field (`attr.<name>`), by its (dotted)
    attribute name, as user.update takes them."""
    return {
        key.removeprefix("attr."): value.strip()
        for key, value in form.items()
        if key.startswith("attr.") and value.strip()
    }


USERNAME = ("username",)

ACTIONS: dict[str, Action] = {
    "signOn": Action("usernamePassword.check", _fields("username", "password", strip=USERNAME)),
    "lookup": Action("user.lookup", _fields("username", strip=USERNAME)),
    "forgotPassword": Action("password.forgot", _fields("username", strip=USERNAME)),
    "register": Action(
        "user.register",
        _fields(
            "username",
            "email",
            "password",
            "name.given",
            "name.family",
            strip=("username", "email", "name.given", "name.family"),
        ),
    ),
    "verifyEmail": Action("user.verify", _fields("verificationCode", strip=("verificationCode",))),
    "resendVerification": Action("user.sendVerificationCode", _nothing),
    "recoverPassword": Action(
        "password.recover", _fields("recoveryCode", "newPassword", strip=("recoveryCode",))
    ),
    "resendRecovery": Action("password.sendRecoveryCode", _nothing),
    "changePassword": Action("password.reset", _fields("currentPassword", "newPassword")),
    "updateProfile": Action("user.update", _profile),
    "confirmAccount": Action("user.confirm", _profile),
    "selectDevice": Action("device.select", _fields("device.id", strip=("device.id",))),
    "checkOtp": Action("otp.check", _fields("otp", strip=("otp",))),
    "sendOtp": Action("otp.send", _nothing),
    "checkAssertion": Action("assertion.check", _fields("assertion")),
    "startOver": Action("session.reset", _nothing),
}
