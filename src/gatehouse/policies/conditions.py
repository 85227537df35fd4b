"""Sign-on policy action conditions (pingone/04 section 6): parse the JSON grammar, evaluate it.

    condition := {"and": [condition, ...]} | {"or": [condition, ...]} | {"not": condition} | leaf
    leaf      := {"secondsSince": "${session.lastSignOn[.withAuthenticator.pwd|mfa].at}",
                  "greater": int >= 0}
               | {"value": "${user.<attribute>}", "equals": string | boolean | number}
               | {"ipRange": [CIDR, ...], "contains": "${flow.request.http.remoteIp}"}
               | {"ipRisk": {"minScore": 0-100, "maxScore": 0-100},
                  "valid": "${flow.request.http.remoteIp}"}
               | {"geoVelocity": "${flow.request.http.remoteIp}",
                  "valid": {"previousSuccessfulAuthenticationIp": "${user.lastSignOn.remoteIp}",
                            "previousSuccessfulAuthenticationTime": "${user.lastSignOn.at}"}}
               | {"anonymousNetwork": [CIDR, ...], "valid": "${flow.request.http.remoteIp}"}

Compound conditions nest at most `MAX_DEPTH` levels and hold at most `MAX_ITEMS` members; a list
of ranges holds at most `MAX_RANGES` CIDRs.
`parse` turns the JSON into a tree of `Condition`s or raises `ConditionError` naming the bad part;
`evaluate` decides whether an action applies in a `ConditionContext`.

Risk signals do not exist yet: ipRisk, geoVelocity and anonymousNetwork leaves are accepted and
stored, but evaluate as not satisfied (so `{"not": <risk leaf>}` is satisfied).
"""

from __future__ import annotations

import ipaddress
import json
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_DEPTH = 10
MAX_ITEMS = 100
MAX_RANGES = 1000

REMOTE_IP = "${flow.request.http.remoteIp}"
LAST_SIGN_ON = "${session.lastSignOn.at}"
LAST_PASSWORD_SIGN_ON = "${session.lastSignOn.withAuthenticator.pwd.at}"
LAST_MFA_SIGN_ON = "${session.lastSignOn.withAuthenticator.mfa.at}"
GEO_VELOCITY_VALID = {
    "previousSuccessfulAuthenticationIp": "${user.lastSignOn.remoteIp}",
    "previousSuccessfulAuthenticationTime": "${user.lastSignOn.at}",
}
_USER_VARIABLE = re.compile(r"\$\{user\.([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\}")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConditionError(ValueError):
    """A condition that does not follow the grammar; `path` locates the bad part."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"Invalid condition at {path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class ConditionContext:
    """What a condition is evaluated against at sign-on time.

    `user` is the user as the management API renders it (nested PingOne names:
    `{"email": ..., "name": {"given": ...}, "population": {"id": ...}}`). A sign-on time that is
    None means the session has no such sign-on yet.
    """

    now: datetime
    last_sign_on_at: datetime | None = None
    last_password_sign_on_at: datetime | None = None
    last_mfa_sign_on_at: datetime | None = None
    user: Mapping[str, Any] = field(default_factory=dict)
    remote_ip: str | None = None

    def sign_on_time(self, variable: str) -> datetime | None:
        return {
            LAST_SIGN_ON: self.last_sign_on_at,
            LAST_PASSWORD_SIGN_ON: self.last_password_sign_on_at,
            LAST_MFA_SIGN_ON: self.last_mfa_sign_on_at,
        }[variable]


class Condition(ABC):
    @abstractmethod
    def holds(self, context: ConditionContext) -> bool: ...


@dataclass(frozen=True)
class AllOf(Condition):
    members: tuple[Condition, ...]

    def holds(self, context: ConditionContext) -> bool:
        return all(member.holds(context) for member in self.members)


@dataclass(frozen=True)
class AnyOf(Condition):
    members: tuple[Condition, ...]

    def holds(self, context: ConditionContext) -> bool:
        return any(member.holds(context) for member in self.members)


@dataclass(frozen=True)
class Not(Condition):
    member: Condition

    def holds(self, context: ConditionContext) -> bool:
        return not self.member.holds(context)


@dataclass(frozen=True)
class SecondsSince(Condition):
    """More than `greater` seconds since the sign-on `variable` names (or no such sign-on)."""

    variable: str
    greater: int

    def holds(self, context: ConditionContext) -> bool:
        moment = context.sign_on_time(self.variable)
        return moment is None or (context.now - moment).total_seconds() > self.greater


@dataclass(frozen=True)
class ValueEquals(Condition):
    """The user attribute at `path` equals `expected` (booleans only equal booleans)."""

    path: tuple[str, ...]
    expected: str | bool | int | float

    def holds(self, context: ConditionContext) -> bool:
        actual: Any = context.user
        for part in self.path:
            if not isinstance(actual, Mapping) or part not in actual:
                return False
            actual = actual[part]
        if isinstance(actual, uuid.UUID):
            actual = str(actual)
        if isinstance(actual, bool) or isinstance(self.expected, bool):
            return isinstance(actual, bool) and actual is self.expected
        return bool(actual == self.expected)


@dataclass(frozen=True)
class IpRange(Condition):
    networks: tuple[Network, ...]

    def holds(self, context: ConditionContext) -> bool:
        try:
            address = ipaddress.ip_address(context.remote_ip or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class IpRisk(Condition):
    min_score: int
    max_score: int

    def holds(self, context: ConditionContext) -> bool:
        return False  # no IP reputation source yet


@dataclass(frozen=True)
class GeoVelocity(Condition):
    def holds(self, context: ConditionContext) -> bool:
        return False  # no geolocation source yet


@dataclass(frozen=True)
class AnonymousNetwork(Condition):
    allowed: tuple[Network, ...]

    def holds(self, context: ConditionContext) -> bool:
        return False  # no anonymous-network detection yet


def evaluate(condition: Condition | Mapping[str, Any] | None, context: ConditionContext) -> bool:
    """Whether an action with this condition applies: always when there is no condition."""
    if condition is None:
        return True
    parsed = condition if isinstance(condition, Condition) else parse(condition)
    return parsed.holds(context)


def parse(raw: Any, path: str = "condition") -> Condition:
    return _parse(raw, path, 1)


def _parse(raw: Any, path: str, depth: int) -> Condition:
    if depth > MAX_DEPTH:
        raise ConditionError(path, f"conditions may nest at most {MAX_DEPTH} levels")
    if not isinstance(raw, dict):
        raise ConditionError(path, "must be a JSON object")
    kind = _kind(raw, path)
    _require_keys(raw, path, _SHAPES[kind])
    if kind == "not":
        return Not(_parse(raw["not"], f"{path}.not", depth + 1))
    if kind in ("and", "or"):
        members = tuple(
            _parse(member, f"{path}.{kind}[{index}]", depth + 1)
            for index, member in enumerate(_members(raw[kind], f"{path}.{kind}"))
        )
        return AllOf(members) if kind == "and" else AnyOf(members)
    return _LEAVES[kind](raw, path)


_SHAPES: dict[str, frozenset[str]] = {
    "and": frozenset({"and"}),
    "or": frozenset({"or"}),
    "not": frozenset({"not"}),
    "secondsSince": frozenset({"secondsSince", "greater"}),
    "value": frozenset({"value", "equals"}),
    "ipRange": frozenset({"ipRange", "contains"}),
    "ipRisk": frozenset({"ipRisk", "valid"}),
    "geoVelocity": frozenset({"geoVelocity", "valid"}),
    "anonymousNetwork": frozenset({"anonymousNetwork", "valid"}),
}


def _kind(raw: dict[str, Any], path: str) -> str:
    kinds = [key for key in raw if key in _SHAPES]
    if len(kinds) == 1:
        return kinds[0]
    if not kinds:
        found = ", ".join(repr(key) for key in raw) or "nothing"
        raise ConditionError(
            path, f"found {found}; expected one of {', '.join(repr(k) for k in _SHAPES)}"
        )
    raise ConditionError(path, f"combines {', '.join(repr(k) for k in kinds)}; use 'and' or 'or'")


def _require_keys(raw: dict[str, Any], path: str, keys: frozenset[str]) -> None:
    missing = sorted(keys - raw.keys())
    if missing:
        raise ConditionError(path, f"{', '.join(repr(k) for k in missing)} is required")
    unexpected = sorted(raw.keys() - keys)
    if unexpected:
        raise ConditionError(path, f"unexpected {', '.join(repr(k) for k in unexpected)}")


def _members(raw: Any, path: str) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise ConditionError(path, "must be a non-empty array of conditions")
    if len(raw) > MAX_ITEMS:
        raise ConditionError(path, f"may hold at most {MAX_ITEMS} conditions")
    return raw


def _seconds_since(raw: dict[str, Any], path: str) -> Condition:
    variable = raw["secondsSince"]
    allowed = (LAST_PASSWORD_SIGN_ON, LAST_MFA_SIGN_ON, LAST_SIGN_ON)
    if variable not in allowed:
        raise ConditionError(
            f"{path}.secondsSince", f"must be one of {', '.join(repr(v) for v in allowed)}"
        )
    greater = raw["greater"]
    if not _is_int(greater) or greater < 0:
        raise ConditionError(f"{path}.greater", "must be an integer of 0 or more")
    return SecondsSince(variable, greater)


def _value_equals(raw: dict[str, Any], path: str) -> Condition:
    variable = raw["value"]
    match = _USER_VARIABLE.fullmatch(variable) if isinstance(variable, str) else None
    if match is None:
        raise ConditionError(f"{path}.value", "must name a user attribute: '${user.<attribute>}'")
    expected = raw["equals"]
    if not isinstance(expected, str | bool | int | float):
        raise ConditionError(f"{path}.equals", "must be a string, a boolean or a number")
    return ValueEquals(tuple(match.group(1).split(".")), expected)


def _ip_range(raw: dict[str, Any], path: str) -> Condition:
    _require_remote_ip(raw, "contains", path)
    networks = _networks(raw["ipRange"], f"{path}.ipRange")
    if not networks:
        raise ConditionError(f"{path}.ipRange", "must list at least one CIDR range")
    return IpRange(networks)


def _ip_risk(raw: dict[str, Any], path: str) -> Condition:
    _require_remote_ip(raw, "valid", path)
    scores = raw["ipRisk"]
    if not isinstance(scores, dict):
        raise ConditionError(f"{path}.ipRisk", "must be an object with minScore and maxScore")
    _require_keys(scores, f"{path}.ipRisk", frozenset({"minScore", "maxScore"}))
    for key in ("minScore", "maxScore"):
        if not _is_int(scores[key]) or not 0 <= scores[key] <= 100:
            raise ConditionError(f"{path}.ipRisk.{key}", "must be an integer from 0 to 100")
    if scores["minScore"] > scores["maxScore"]:
        raise ConditionError(f"{path}.ipRisk", "minScore must not exceed maxScore")
    return IpRisk(scores["minScore"], scores["maxScore"])


def _geo_velocity(raw: dict[str, Any], path: str) -> Condition:
    if raw["geoVelocity"] != REMOTE_IP:
        raise ConditionError(f"{path}.geoVelocity", f"must be {REMOTE_IP!r}")
    if raw["valid"] != GEO_VELOCITY_VALID:
        raise ConditionError(f"{path}.valid", f"must be {json.dumps(GEO_VELOCITY_VALID)}")
    return GeoVelocity()


def _anonymous_network(raw: dict[str, Any], path: str) -> Condition:
    _require_remote_ip(raw, "valid", path)
    return AnonymousNetwork(_networks(raw["anonymousNetwork"], f"{path}.anonymousNetwork"))


_LEAVES: dict[str, Callable[[dict[str, Any], str], Condition]] = {
    "secondsSince": _seconds_since,
    "value": _value_equals,
    "ipRange": _ip_range,
    "ipRisk": _ip_risk,
    "geoVelocity": _geo_velocity,
    "anonymousNetwork": _anonymous_network,
}


def _require_remote_ip(raw: dict[str, Any], key: str, path: str) -> None:
    if raw[key] != REMOTE_IP:
        raise ConditionError(f"{path}.{key}", f"must be {REMOTE_IP!r}")


def _networks(raw: Any, path: str) -> tuple[Network, ...]:
    if not isinstance(raw, list):
        raise ConditionError(path, "must be an array of CIDR ranges")
    if len(raw) > MAX_RANGES:
        raise ConditionError(path, f"may hold at most {MAX_RANGES} ranges")
    return tuple(_network(item, f"{path}[{index}]") for index, item in enumerate(raw))


def _network(raw: Any, path: str) -> Network:
    if isinstance(raw, str):
        try:
            return ipaddress.ip_network(raw, strict=False)
        except ValueError:
            pass
    raise ConditionError(path, f"{raw!r} is not an IP address or CIDR range")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
