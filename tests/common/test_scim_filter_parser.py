"""The SCIM filter grammar: what parses, what does not, and the INVALID_FILTER errors."""

from __future__ import annotations

import pytest

from gatehouse.common import scim_filter
from gatehouse.common.errors import Problem


@pytest.mark.parametrize(
    "text",
    [
        'username eq "a"',
        'USERNAME EQ "a"',
        '(name.family eq "Smith") and (name.given sw "W")',
        'not (email co "x") or title pr',
        '((username eq "a") OR (username eq "b")) AND enabled eq true',
        'memberOfGroups[id eq "7d4b3b36-9f7e-4f1e-9d57-7a1d2e6b9f00"]',
        'name.given eq "quote \\" inside"',
        'createdAt gt "2024-01-01T00:00:00Z"',
    ],
)
def test_valid_filters_parse(text: str) -> None:
    scim_filter.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "username",
        "username eq",
        "username eq a",
        '(username eq "a"',
        'username xx "a"',
        'username eq "a" and',
        'a eq "b" "c"',
    ],
)
def test_invalid_filters_are_invalid_filter_problems(text: str) -> None:
    with pytest.raises(Problem) as caught:
        scim_filter.parse(text)
    assert caught.value.status == 400
    assert caught.value.details[0].code == "INVALID_FILTER"


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(Problem):
        scim_filter.parse("(" * 100 + 'a eq "b"' + ")" * 100)
