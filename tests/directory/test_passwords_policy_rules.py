"""Each password policy rule refuses what it should (named in unsatisfiedRequirements) and lets
through what it should; the policy that applies is the population's, else the default."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.directory.models import Population
from gatehouse.directory.passwords.rules import (
    common_passwords,
    days_to_exhaust,
    levenshtein,
    longest_run,
    too_similar,
)
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

SET = "application/vnd.pingidentity.password.set+json"
LENIENT = {
    "excludesCommonlyUsed": False,
    "excludesProfileData": False,
    "notSimilarToCurrent": False,
}


async def _policy(admin: Api, env: str, **rules: Any) -> dict[str, Any]:
    return await admin.create(
        f"/environments/{env}/passwordPolicies",
        {"name": f"rule-{secrets.token_hex(4)}", **LENIENT, **rules},
    )


async def _set(admin: Api, env: str, user: str, value: str) -> Any:
    return await admin.put(
        f"/environments/{env}/users/{user}/password", json={"value": value}, media_type=SET
    )


def _unsatisfied(response: Any) -> list[str]:
    body = assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="password")
    return body["details"][0]["innerError"]["unsatisfiedRequirements"]


PROFILE = {
    "username": "zelda.hyrule",
    "email": "link.hero@example.com",
    "name": {"given": "Ganondorf", "family": "Dragmire"},
}


@pytest.mark.parametrize(
    ("rules", "refused", "accepted"),
    [
        ({"excludesCommonlyUsed": True}, "PASSWORD123", "unusual-phrase-77"),
        ({"excludesProfileData": True}, "my-ZELDA.hyrule-pw", "unusual-phrase-77"),
        ({"excludesProfileData": True}, "xxLink.Hero99", "unusual-phrase-77"),
        ({"excludesProfileData": True}, "ganondorf!!99", "unusual-phrase-77"),
        ({"excludesProfileData": True}, "dragmire-2024", "unusual-phrase-77"),
        ({"length": {"min": 12, "max": 16}}, "Short-pw1", "twelve-chars"),
        ({"length": {"min": 8, "max": 10}}, "far-too-long-1", "just-ten-1"),
        (
            {"minCharacters": {"0123456789": 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ": 1}},
            "Digit-less1",
            "Two-Digits-12",
        ),
        ({"maxRepeatedCharacters": 2}, "baaad-horse", "baad-horse"),
        ({"minUniqueCharacters": 5}, "abababab", "abcdeabcde"),
        ({"minComplexity": 1000}, "abcdefgh", "Long-And-Varied-Pa55phrase!"),
        ({"alphabetSequenceRule": {"maxLength": 3}}, "xyABCDq9", "xyABCq9z"),
        ({"alphabetSequenceRule": {"maxLength": 2}}, "zyxw-plaid", "zyw-plaid"),
        ({"numberSequenceRule": {"maxLength": 2}}, "pass-567-word", "pass-57-word"),
        ({"numberSequenceRule": {"maxLength": 3}}, "pass-9876-word", "pass-987-word"),
        ({"qwertySequenceRule": {"maxLength": 3}}, "zQWERq-9", "zQWEq-9x"),
        ({"shiftedNumberRowSequenceRule": {"maxLength": 3}}, "ab!@#$cd", "ab!@#cd$"),
    ],
)
async def test_each_rule_refuses_a_violation_and_accepts_a_compliant_password(
    admin: Api, env: str, rules: dict[str, Any], refused: str, accepted: str
) -> None:
    await _policy(admin, env, default=True, **rules)
    user = (await admin.create(f"/environments/{env}/users", PROFILE))["id"]
    key = next(iter(rules))
    assert _unsatisfied(await _set(admin, env, user, refused)) == [key]
    response = await _set(admin, env, user, accepted)
    assert response.status_code == 200, response.text


async def test_every_unsatisfied_requirement_is_reported_in_policy_order(
    admin: Api, env: str
) -> None:
    user = (await admin.create(f"/environments/{env}/users", {"username": "someone"}))["id"]
    assert _unsatisfied(await _set(admin, env, user, "password")) == [
        "excludesCommonlyUsed",
        "minCharacters",
    ]
    assert _unsatisfied(await _set(admin, env, user, "someone-aaa")) == [
        "excludesProfileData",
        "maxRepeatedCharacters",
        "minCharacters",
    ]


async def test_the_population_policy_wins_over_the_default(app: Any, admin: Api, env: str) -> None:
    policy = await _policy(admin, env, length={"min": 30, "max": 64})
    async with app.state.runtime.sessions() as session, session.begin():
        population = Population(
            environment_id=uuid.UUID(env), name="Long", password_policy_id=uuid.UUID(policy["id"])
        )
        session.add(population)
        await session.flush()
        population_id = str(population.id)
    strict = (
        await admin.create(
            f"/environments/{env}/users",
            {"username": "strict", "population": {"id": population_id}},
        )
    )["id"]
    assert _unsatisfied(await _set(admin, env, strict, "Short-but-fine-1!")) == ["length"]
    state = (await admin.get(f"/environments/{env}/users/{strict}/password")).json()
    assert state["passwordPolicy"] == {"id": policy["id"]}
    # once the population's policy is gone, the default applies again
    assert (
        await admin.delete(f"/environments/{env}/passwordPolicies/{policy['id']}")
    ).status_code == 204
    assert (await _set(admin, env, strict, "Short-but-fine-1!")).status_code == 200
    async with app.state.runtime.sessions() as session:
        assert (
            await session.scalar(
                sa.select(Population.password_policy_id).where(
                    Population.id == uuid.UUID(population_id)
                )
            )
            is None
        )


def test_levenshtein_counts_insertions_deletions_and_substitutions() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == levenshtein("abc", "") == 3
    assert levenshtein("same", "same") == 0
    assert levenshtein("flaw", "lawn") == 2


def test_similarity_is_relative_to_the_current_password_and_ignores_case() -> None:
    assert too_similar("summer2025!", "Summer2024!")
    assert too_similar("Summer2024!", "Summer2024!")
    assert not too_similar("Winter-Garden-77", "Summer2024!")


def test_longest_run_and_search_space() -> None:
    assert longest_run("abbccc") == 3 and longest_run("") == 0
    assert days_to_exhaust("aaaa") < days_to_exhaust("aA1!") < days_to_exhaust("aA1!aA1!aA1!")
    assert days_to_exhaust("x" * 255) > 10**9


def test_the_bundled_common_password_list_is_loaded_folded() -> None:
    common = common_passwords()
    assert len(common) > 300
    assert {"password", "123456", "qwerty", "iloveyou", "p@ssw0rd"} <= common
    assert all(entry == entry.casefold() and not entry.startswith("#") for entry in common)
