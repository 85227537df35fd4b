"""Flow errors as a person reads them: each PingOne error detail becomes a sentence (and a list,
for password policy requirements) placed next to the field it is about, or above the form."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from gatehouse.directory.password_policies.schemas import DIGITS, LOWERCASE, SPECIAL, UPPERCASE

Policy = Mapping[str, Any]


@dataclass(frozen=True)
class Message:
    message: str
    items: tuple[str, ...] = ()


@dataclass
class Errors:
    general: list[Message] = field(default_factory=list)
    fields: dict[str, list[Message]] = field(default_factory=dict)

    def add(self, target: str | None, message: Message, on_page: Collection[str]) -> None:
        name = _field_for(target, on_page)
        if name is None:
            self.general.append(message)
        else:
            self.fields.setdefault(name, []).append(message)


# Targets that name a field by another name: a password policy refusal is reported on
# `password` wherever the new password is asked for.
ALIASES = {"password": "newPassword"}


def _field_for(target: str | None, on_page: Collection[str]) -> str | None:
    if not target:
        return None
    for candidate in (target, f"attr.{target}", ALIASES.get(target, "")):
        if candidate in on_page:
            return candidate
    return None


CHARACTER_SETS = {
    UPPERCASE: "uppercase letter",
    LOWERCASE: "lowercase letter",
    DIGITS: "digit",
    SPECIAL: "special character",
}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _length(policy: Policy) -> str:
    length = policy.get("length") or {}
    if "min" in length and "max" in length:
        return f"Use between {length['min']} and {length['max']} characters."
    return "Use a password of the required length."


def _min_characters(policy: Policy) -> str:
    wanted = policy.get("minCharacters") or {}
    parts = [
        _plural(int(count), CHARACTER_SETS.get(charset, f"character from {charset}"))
        for charset, count in wanted.items()
    ]
    if not parts:
        return "Include the required kinds of characters."
    listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    return f"Include at least {listed}."


def _max_repeated(policy: Policy) -> str:
    limit = policy.get("maxRepeatedCharacters")
    if limit:
        return f"Do not repeat a character more than {_plural(int(limit), 'time')} in a row."
    return "Do not repeat a character too many times in a row."


def _min_unique(policy: Policy) -> str:
    count = policy.get("minUniqueCharacters")
    if count:
        return f"Use at least {_plural(int(count), 'different character')}."
    return "Use more different characters."


def _history(policy: Policy) -> str:
    count = (policy.get("history") or {}).get("count")
    if count:
        return f"Do not reuse one of your last {_plural(int(count), 'password')}."
    return "Do not reuse a recent password."


REQUIREMENTS: dict[str, Callable[[Policy], str]] = {
    "length": _length,
    "minCharacters": _min_characters,
    "maxRepeatedCharacters": _max_repeated,
    "minUniqueCharacters": _min_unique,
    "history": _history,
    "excludesCommonlyUsed": lambda _: "Do not use a commonly used password.",
    "excludesProfileData": lambda _: "Do not use your name, username or other profile data.",
    "notSimilarToCurrent": lambda _: "Choose a password that is not similar to your current one.",
    "minComplexity": lambda _: "Choose a longer or more varied password.",
    "minAgeDays": lambda _: "Your password was changed too recently to change it again yet.",
    "alphabetSequenceRule": lambda _: "Avoid runs of consecutive letters, like “abcd”.",
    "numberSequenceRule": lambda _: "Avoid runs of consecutive digits, like “1234”.",
    "qwertySequenceRule": lambda _: "Avoid runs of neighbouring keys, like “qwerty”.",
    "shiftedNumberRowSequenceRule": lambda _: "Avoid runs of shifted number keys, like “!@#$”.",
}


def requirement(key: str, policy: Policy) -> str:
    describe = REQUIREMENTS.get(key)
    return describe(policy) if describe else key


def policy_hints(policy: Policy | None) -> tuple[str, ...]:
    """What a new password must be, from the flow's embedded password policy."""
    if not policy:
        return ()
    keys = [key for key in ("length", "minCharacters", "minUniqueCharacters") if policy.get(key)]
    keys += [
        key
        for key in ("maxRepeatedCharacters", "excludesCommonlyUsed", "excludesProfileData")
        if policy.get(key)
    ]
    return tuple(requirement(key, policy) for key in keys)


def describe(detail: Mapping[str, Any], policy: Policy) -> Message:
    code = detail.get("code")
    target = detail.get("target")
    inner = detail.get("innerError") or {}
    unsatisfied = inner.get("unsatisfiedRequirements")
    if unsatisfied:
        items = tuple(requirement(str(key), policy) for key in unsatisfied)
        return Message("The password does not meet these requirements:", items)
    if code == "INVALID_CREDENTIALS":
        return Message(_with_remaining("The username or password is incorrect.", inner))
    if code in ("PASSWORD_LOCKED_OUT", "DEVICE_LOCKED"):
        return Message(_locked_out(inner))
    if code == "INVALID_OTP":
        message = str(detail.get("message") or "The passcode is not valid.")
        return Message(_with_remaining(message, inner, "device"))
    if code == "NO_PASSWORD":
        return Message("This account has no password. Use “Forgot password?” to set one.")
    if code == "UNIQUENESS_VIOLATION":
        return Message(_taken(target, str(detail.get("message") or "")))
    if code == "REQUIRED_VALUE":
        return Message("This field is required.")
    return Message(_with_remaining(str(detail.get("message") or "This value is not valid."), inner))


def _with_remaining(message: str, inner: Mapping[str, Any], locks: str = "account") -> str:
    remaining = inner.get("failuresRemaining")
    if isinstance(remaining, int):
        return f"{message} {_plural(remaining, 'attempt')} remaining before the {locks} is locked."
    return message


def _locked_out(inner: Mapping[str, Any]) -> str:
    seconds = inner.get("secondsUntilUnlock")
    if isinstance(seconds, int) and seconds > 0:
        minutes = max(1, -(-seconds // 60))
        return f"Too many failed attempts. Try again in {_plural(minutes, 'minute')}."
    return "Too many failed attempts. Try again later."


def _taken(target: str | None, fallback: str) -> str:
    if target == "username":
        return "This username is already taken."
    if target == "email":
        return "This email address is already in use."
    return fallback or "This value is already in use."


def errors_from(
    problem: Mapping[str, Any], on_page: Collection[str], policy: Policy | None
) -> Errors:
    """`problem` is a PingOne error body ({code, message, details[]})."""
    errors = Errors()
    details = problem.get("details") or []
    for detail in details:
        errors.add(detail.get("target"), describe(detail, policy or {}), on_page)
    if not details:
        errors.general.append(Message(_top_level(problem)))
    return errors


def _top_level(problem: Mapping[str, Any]) -> str:
    if problem.get("code") == "INVALID_CREDENTIALS":
        return "The username or password is incorrect."
    if problem.get("code") == "INVALID_REQUEST":
        # An action the flow does not offer now: a page left open in another tab, say.
        return "That step is not available any more. Please continue here."
    return str(problem.get("message") or "The request could not be completed.")
