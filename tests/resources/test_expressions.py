"""`${user.*}` expressions: what `parse` accepts and what `evaluate` reads from a user."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from gatehouse.directory.models import User
from gatehouse.resources.expressions import (
    ExpressionError,
    LiteralValue,
    UserPath,
    evaluate,
    is_user_attribute,
    parse,
)

CUSTOM = {"shirtSize": "STRING", "profile": "JSON"}


def _user() -> User:
    return User(
        id=uuid.UUID("00000000-0000-0000-0000-000000000001"),
        population_id=uuid.UUID("00000000-0000-0000-0000-000000000002"),
        username="ada",
        email="ada@example.com",
        email_verified=True,
        name_given="Ada",
        enabled=True,
        lifecycle_status="ACCOUNT_OK",
        created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        custom={"shirtSize": "M", "profile": {"team": {"name": "engines"}}},
    )


def test_literals_and_placeholders_parse() -> None:
    assert parse("gold", CUSTOM) == LiteralValue("gold")
    assert parse("${user.name.given}", CUSTOM) == UserPath("name.given", custom=False)
    assert parse("${user.shirtSize}", CUSTOM) == UserPath("shirtSize", custom=True)
    assert parse("${user.profile.team.name}", CUSTOM) == UserPath("profile.team.name", custom=True)


@pytest.mark.parametrize(
    "value",
    ["${user.nope}", "${user.shirtSize.x}", "${user.}", "${user.email} ", "x ${user.id}", "${id}"],
)
def test_bad_placeholders_raise(value: str) -> None:
    with pytest.raises(ExpressionError):
        parse(value, CUSTOM)


def test_evaluate_reads_values_as_the_user_json_shows_them() -> None:
    user = _user()
    assert evaluate(parse("${user.id}", CUSTOM), user) == "00000000-0000-0000-0000-000000000001"
    assert evaluate(parse("${user.population.id}", CUSTOM), user).endswith("0002")
    assert evaluate(parse("${user.name.given}", CUSTOM), user) == "Ada"
    assert evaluate(parse("${user.emailVerified}", CUSTOM), user) is True
    assert evaluate(parse("${user.createdAt}", CUSTOM), user) == "2024-05-01T12:00:00.000Z"
    assert evaluate(parse("${user.nickname}", CUSTOM), user) is None
    assert evaluate(parse("${user.shirtSize}", CUSTOM), user) == "M"
    assert evaluate(parse("${user.profile.team.name}", CUSTOM), user) == "engines"
    assert evaluate(parse("${user.profile.team.name.first}", CUSTOM), user) is None
    assert evaluate(parse("static", CUSTOM), user) == "static"


def test_attribute_paths_include_groups_of_core_attributes() -> None:
    assert is_user_attribute("name", CUSTOM) and is_user_attribute("address.region", CUSTOM)
    assert is_user_attribute("profile.team", CUSTOM)
    assert not is_user_attribute("nam", CUSTOM) and not is_user_attribute("shirtSize.x", CUSTOM)
