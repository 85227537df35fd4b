"""conditions.evaluate: the truth table of each leaf and of and/or/not, against a context of
session sign-on times, user attributes and the remote IP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.policies.conditions import (
    MAX_DEPTH,
    ConditionContext,
    ConditionError,
    evaluate,
    parse,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
REMOTE_IP = "${flow.request.http.remoteIp}"
PWD = "${session.lastSignOn.withAuthenticator.pwd.at}"
MFA = "${session.lastSignOn.withAuthenticator.mfa.at}"
ANY = "${session.lastSignOn.at}"
POPULATION = "8a1c3d6e-0f2b-4c5d-9e8f-7a6b5c4d3e2f"
USER = {
    "email": "ada@example.com",
    "emailVerified": True,
    "name": {"given": "Ada"},
    "population": {"id": POPULATION},
    "age": 36,
}


def _context(**changes: Any) -> ConditionContext:
    values: dict[str, Any] = {
        "now": NOW,
        "last_sign_on_at": NOW - timedelta(seconds=100),
        "last_password_sign_on_at": NOW - timedelta(seconds=100),
        "last_mfa_sign_on_at": NOW - timedelta(hours=2),
        "user": USER,
        "remote_ip": "10.1.2.3",
    }
    return ConditionContext(**{**values, **changes})


def _since(variable: str, greater: int) -> dict[str, Any]:
    return {"secondsSince": variable, "greater": greater}


TRUE = _since(MFA, 60)
FALSE = _since(PWD, 3600)


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        (_since(PWD, 99), _context(), True),
        (_since(PWD, 100), _context(), False),
        (_since(MFA, 3600), _context(), True),
        (_since(MFA, 7200), _context(), False),
        (_since(ANY, 50), _context(), True),
        (_since(MFA, 10**9), _context(last_mfa_sign_on_at=None), True),
        (_since(ANY, 0), _context(last_sign_on_at=None), True),
    ],
)
def test_seconds_since(
    condition: dict[str, Any], context: ConditionContext, expected: bool
) -> None:
    assert evaluate(condition, context) is expected


@pytest.mark.parametrize(
    ("variable", "equals", "expected"),
    [
        ("${user.population.id}", POPULATION, True),
        ("${user.population.id}", "another", False),
        ("${user.email}", "ada@example.com", True),
        ("${user.email}", "ADA@example.com", False),
        ("${user.name.given}", "Ada", True),
        ("${user.name.family}", "Lovelace", False),
        ("${user.emailVerified}", True, True),
        ("${user.emailVerified}", False, False),
        ("${user.emailVerified}", 1, False),
        ("${user.emailVerified}", "true", False),
        ("${user.age}", 36, True),
        ("${user.age}", 36.0, True),
        ("${user.age}", "36", False),
        ("${user.email.local}", "ada", False),
        ("${user.missing}", "x", False),
    ],
)
def test_value_equals(variable: str, equals: Any, expected: bool) -> None:
    assert evaluate({"value": variable, "equals": equals}, _context()) is expected


@pytest.mark.parametrize(
    ("remote_ip", "expected"),
    [
        ("10.1.2.3", True),
        ("192.168.1.7", True),
        ("192.168.1.8", False),
        ("11.0.0.1", False),
        ("2001:db8::1", True),
        ("2001:db9::1", False),
        (None, False),
        ("not-an-ip", False),
    ],
)
def test_ip_range(remote_ip: str | None, expected: bool) -> None:
    condition = {"ipRange": ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"], "contains": REMOTE_IP}
    assert evaluate(condition, _context(remote_ip=remote_ip)) is expected


RISK_LEAVES = [
    {"ipRisk": {"minScore": 0, "maxScore": 100}, "valid": REMOTE_IP},
    {
        "geoVelocity": REMOTE_IP,
        "valid": {
            "previousSuccessfulAuthenticationIp": "${user.lastSignOn.remoteIp}",
            "previousSuccessfulAuthenticationTime": "${user.lastSignOn.at}",
        },
    },
    {"anonymousNetwork": [], "valid": REMOTE_IP},
]


@pytest.mark.parametrize("leaf", RISK_LEAVES)
def test_risk_leaves_are_not_satisfied_until_risk_exists(leaf: dict[str, Any]) -> None:
    assert evaluate(leaf, _context()) is False
    assert evaluate({"not": leaf}, _context()) is True


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"and": [TRUE, TRUE]}, True),
        ({"and": [TRUE, FALSE]}, False),
        ({"and": [FALSE, FALSE]}, False),
        ({"or": [FALSE, TRUE]}, True),
        ({"or": [FALSE, FALSE]}, False),
        ({"or": [TRUE]}, True),
        ({"not": TRUE}, False),
        ({"not": FALSE}, True),
        ({"not": {"not": TRUE}}, True),
        ({"and": [TRUE, {"or": [FALSE, {"not": FALSE}]}]}, True),
        ({"or": [{"and": [TRUE, FALSE]}, {"not": TRUE}]}, False),
    ],
)
def test_and_or_not(condition: dict[str, Any], expected: bool) -> None:
    assert evaluate(condition, _context()) is expected


def test_no_condition_always_applies() -> None:
    assert evaluate(None, _context()) is True


def test_a_parsed_condition_evaluates_like_its_json() -> None:
    parsed = parse({"or": [FALSE, {"value": "${user.name.given}", "equals": "Ada"}]})
    assert evaluate(parsed, _context()) is True
    assert evaluate(parsed, _context(user={})) is False


def test_parse_errors_name_the_bad_part() -> None:
    with pytest.raises(ConditionError) as caught:
        parse({"and": [TRUE, {"or": [TRUE, {"secondsSince": MFA, "greater": "soon"}]}]})
    assert caught.value.path == "condition.and[1].or[1].greater"
    assert "condition.and[1].or[1].greater" in str(caught.value)


def test_nesting_is_limited() -> None:
    condition: dict[str, Any] = TRUE
    negations = MAX_DEPTH - 1  # the leaf sits at the deepest level allowed
    for _ in range(negations):
        condition = {"not": condition}
    assert evaluate(condition, _context()) is (negations % 2 == 0)
    with pytest.raises(ConditionError, match="at most"):
        parse({"not": condition})


def test_evaluating_invalid_json_raises() -> None:
    with pytest.raises(ConditionError):
        evaluate({"sometimes": True}, _context())
