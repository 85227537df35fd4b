"""Password policies: CRUD, exactly one default, unique names, rule validation, permissions."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.directory.models import Population
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _policy(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"policy-{secrets.token_hex(4)}",
        "description": "made by a test",
        "excludesCommonlyUsed": True,
        "excludesProfileData": False,
        "notSimilarToCurrent": True,
        "history": {"count": 3, "retentionDays": 30},
        "length": {"min": 10, "max": 64},
        "lockout": {"failureCount": 3, "durationSeconds": 60},
        "maxAgeDays": 90,
        "minAgeDays": 2,
        "maxRepeatedCharacters": 3,
        "minUniqueCharacters": 4,
        "minComplexity": 7,
        "minCharacters": {"0123456789": 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ": 2},
        "alphabetSequenceRule": {"maxLength": 3},
        "numberSequenceRule": {"maxLength": 2},
        "qwertySequenceRule": {"maxLength": 3},
        "shiftedNumberRowSequenceRule": {"maxLength": 3},
        **overrides,
    }


async def _policies(admin: Api, env: str) -> list[dict[str, Any]]:
    response = await admin.get(f"/environments/{env}/passwordPolicies")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == body["size"] == len(body["_embedded"]["passwordPolicies"])
    return body["_embedded"]["passwordPolicies"]


async def test_a_new_environment_has_the_three_pingone_policies_with_standard_default(
    admin: Api, env: str
) -> None:
    policies = {p["name"]: p for p in await _policies(admin, env)}
    assert set(policies) == {"Standard", "Basic", "Passphrase"}
    assert [name for name, p in policies.items() if p["default"]] == ["Standard"]
    standard = policies["Standard"]
    assert standard["lockout"] == {"failureCount": 5, "durationSeconds": 900}
    assert standard["history"] == {"count": 6, "retentionDays": 365}
    assert standard["populationCount"] == 0
    assert standard["environment"] == {"id": env}


async def test_create_read_replace_and_delete_a_policy(admin: Api, env: str) -> None:
    base = f"/environments/{env}/passwordPolicies"
    body = _policy()
    created = await admin.create(base, body)
    for key, value in body.items():
        assert created[key] == value, key
    assert created["default"] is False and created["populationCount"] == 0
    assert created["_links"]["self"]["href"].endswith(f"{base}/{created['id']}")
    assert created["createdAt"].endswith("Z")

    read = await admin.get(f"{base}/{created['id']}")
    assert read.status_code == 200 and read.json() == created

    replaced = await admin.put(
        f"{base}/{created['id']}",
        json={
            "name": body["name"],
            "excludesCommonlyUsed": False,
            "excludesProfileData": True,
            "notSimilarToCurrent": False,
        },
    )
    assert replaced.status_code == 200, replaced.text
    after = replaced.json()
    assert after["excludesProfileData"] is True and after["excludesCommonlyUsed"] is False
    assert "history" not in after and "lockout" not in after and "description" not in after

    assert (await admin.delete(f"{base}/{created['id']}")).status_code == 204
    assert_error(await admin.get(f"{base}/{created['id']}"), 404, "NOT_FOUND")


async def test_making_a_policy_default_unsets_the_previous_default(admin: Api, env: str) -> None:
    base = f"/environments/{env}/passwordPolicies"
    created = await admin.create(base, _policy(default=True))
    assert created["default"] is True
    defaults = [p["name"] for p in await _policies(admin, env) if p["default"]]
    assert defaults == [created["name"]]
    basic = next(p for p in await _policies(admin, env) if p["name"] == "Basic")
    response = await admin.put(
        f"{base}/{basic['id']}",
        json={**{k: v for k, v in basic.items() if not k.startswith("_")}, "default": True},
    )
    assert response.status_code == 200, response.text
    assert [p["name"] for p in await _policies(admin, env) if p["default"]] == ["Basic"]


async def test_the_default_policy_cannot_be_deleted_nor_made_non_default(
    admin: Api, env: str
) -> None:
    base = f"/environments/{env}/passwordPolicies"
    standard = next(p for p in await _policies(admin, env) if p["default"])
    assert_error(await admin.delete(f"{base}/{standard['id']}"), 400, "REQUEST_FAILED")
    kept = {k: v for k, v in standard.items() if not k.startswith("_")}
    assert_error(
        await admin.put(f"{base}/{standard['id']}", json={**kept, "default": False}),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="default",
    )
    # leaving `default` out of a PUT keeps it
    response = await admin.put(f"{base}/{standard['id']}", json={**kept, "default": None})
    assert response.status_code == 200 and response.json()["default"] is True


async def test_policy_names_are_unique_in_the_environment_ignoring_case(
    admin: Api, env: str
) -> None:
    base = f"/environments/{env}/passwordPolicies"
    first = await admin.create(base, _policy(name="Strict"))
    clash = await admin.post(base, json=_policy(name="STRICT"))
    body = assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    other = await admin.create(base, _policy())
    renamed = await admin.put(f"{base}/{other['id']}", json=_policy(name="strict"))
    assert_error(renamed, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")


@pytest.mark.parametrize(
    ("change", "detail", "target"),
    [
        ({"length": {"min": 4, "max": 64}}, "OUT_OF_RANGE", "length.min"),
        ({"length": {"min": 20, "max": 12}}, "INVALID_VALUE", "length.max"),
        (
            {"lockout": {"failureCount": 0, "durationSeconds": 60}},
            "OUT_OF_RANGE",
            "lockout.failureCount",
        ),
        ({"history": {"count": 3}}, "REQUIRED_VALUE", "history.retentionDays"),
        ({"maxAgeDays": 20, "minAgeDays": 1}, "INVALID_VALUE", "maxAgeDays"),
        ({"minCharacters": {"αβγ": 1}}, "INVALID_VALUE", "minCharacters"),
        (
            {"alphabetSequenceRule": {"maxLength": 5}},
            "OUT_OF_RANGE",
            "alphabetSequenceRule.maxLength",
        ),
        ({"excludesCommonlyUsed": "sometimes"}, "INVALID_VALUE", "excludesCommonlyUsed"),
        ({"name": ""}, "INVALID_VALUE", "name"),
    ],
)
async def test_invalid_policies_are_refused_with_the_offending_target(
    admin: Api, env: str, change: dict[str, Any], detail: str, target: str
) -> None:
    response = await admin.post(f"/environments/{env}/passwordPolicies", json=_policy(**change))
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)


async def test_required_rule_flags_are_required(admin: Api, env: str) -> None:
    body = _policy()
    del body["notSimilarToCurrent"]
    response = await admin.post(f"/environments/{env}/passwordPolicies", json=body)
    assert_error(
        response, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="notSimilarToCurrent"
    )


async def test_population_count_counts_the_populations_naming_the_policy(
    app: Any, admin: Api, env: str
) -> None:
    policy = await admin.create(f"/environments/{env}/passwordPolicies", _policy())
    async with app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            sa.update(Population)
            .where(Population.environment_id == uuid.UUID(env))
            .values(password_policy_id=uuid.UUID(policy["id"]))
        )
    read = await admin.get(f"/environments/{env}/passwordPolicies/{policy['id']}")
    assert read.json()["populationCount"] == 1


async def test_a_policy_of_another_environment_is_not_found(admin: Api, env: str) -> None:
    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(5)}", "type": "SANDBOX", "region": "NA"},
    )
    theirs = await admin.create(f"/environments/{other['id']}/passwordPolicies", _policy())
    path = f"/environments/{env}/passwordPolicies/{theirs['id']}"
    assert_error(await admin.get(path), 404, "NOT_FOUND")
    assert_error(await admin.put(path, json=_policy()), 404, "NOT_FOUND")
    assert_error(await admin.delete(path), 404, "NOT_FOUND")


async def test_identity_data_admins_read_policies_but_do_not_write_them(
    app: Any, admin: Api, env: str
) -> None:
    data_admin = await worker(app, admin, env, [("Identity Data Admin", "ENVIRONMENT", env)])
    assert len(await _policies(data_admin, env)) == 3
    response = await data_admin.post(f"/environments/{env}/passwordPolicies", json=_policy())
    assert_error(response, 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")
