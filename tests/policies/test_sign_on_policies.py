"""Sign-on policies: the default every environment gets, CRUD, names, the one default, isolation
between environments, and who may touch them."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _name() -> str:
    return f"Policy_{secrets.token_hex(4)}"


async def _policies(admin: Api, env: str) -> list[dict[str, Any]]:
    response = await admin.get(f"/environments/{env}/signOnPolicies")
    assert response.status_code == 200, response.text
    return response.json()["_embedded"]["signOnPolicies"]


async def test_new_environment_lists_single_factor_with_one_login_action(
    admin: Api, env: str
) -> None:
    listed = await admin.get(f"/environments/{env}/signOnPolicies")
    body = listed.json()
    assert body["count"] == body["size"] == 1
    assert body["_links"]["self"]["href"].endswith(f"/environments/{env}/signOnPolicies")
    (policy,) = body["_embedded"]["signOnPolicies"]
    assert policy["name"] == "Single_Factor" and policy["default"] is True
    assert policy["environment"] == {"id": env}
    assert policy["_links"]["actions"]["href"].endswith(f"/signOnPolicies/{policy['id']}/actions")
    actions = (await admin.get(f"/environments/{env}/signOnPolicies/{policy['id']}/actions")).json()
    (login,) = actions["_embedded"]["actions"]
    assert login["type"] == "LOGIN" and login["priority"] == 1
    assert login["recovery"] == {"enabled": True}
    assert login["registration"] == {"enabled": False}
    assert login["signOnPolicy"] == {"id": policy["id"]}


async def test_create_read_update_delete_policy(admin: Api, env: str) -> None:
    name = _name()
    created = await admin.create(
        f"/environments/{env}/signOnPolicies", {"name": name, "description": "login then MFA"}
    )
    assert created["name"] == name and created["description"] == "login then MFA"
    assert created["default"] is False and created["environment"] == {"id": env}
    assert created["createdAt"].endswith("Z") and created["updatedAt"].endswith("Z")
    href = f"/environments/{env}/signOnPolicies/{created['id']}"
    assert created["_links"]["self"]["href"].endswith(href)
    assert (await admin.get(href)).json()["name"] == name

    replaced = await admin.put(href, json={**created, "name": f"{name}.v2", "description": None})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["name"] == f"{name}.v2" and "description" not in replaced.json()

    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert [p["name"] for p in await _policies(admin, env)] == ["Single_Factor"]


@pytest.mark.parametrize(
    "name",
    ["Corp MFA_1.0-b", "urn:example:policy", "https://example.com/policies/mfa", "x" * 256],
)
async def test_policy_names_follow_the_pattern_or_are_absolute_uris(
    admin: Api, env: str, name: str
) -> None:
    created = await admin.create(f"/environments/{env}/signOnPolicies", {"name": name})
    assert created["name"] == name


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, "REQUIRED_VALUE"),
        ({"name": "no/slashes"}, "INVALID_VALUE"),
        ({"name": "bad:uri with space"}, "INVALID_VALUE"),
        ({"name": ":no-scheme"}, "INVALID_VALUE"),
        ({"name": "1bad:scheme"}, "INVALID_VALUE"),
        ({"name": "x" * 257}, "SIZE_LIMIT_EXCEEDED"),
        ({"name": "   "}, "INVALID_VALUE"),
        ({"name": "ok", "default": "maybe"}, "INVALID_VALUE"),
    ],
)
async def test_bad_policy_bodies_are_rejected_with_targets(
    admin: Api, env: str, body: dict[str, Any], detail: str
) -> None:
    response = await admin.post(f"/environments/{env}/signOnPolicies", json=body)
    target = "default" if "default" in body else "name"
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
    assert len(await _policies(admin, env)) == 1


async def test_policy_names_are_unique_case_insensitively(admin: Api, env: str) -> None:
    first = await admin.create(f"/environments/{env}/signOnPolicies", {"name": "Corp_MFA"})
    clash = await admin.post(f"/environments/{env}/signOnPolicies", json={"name": "corp_mfa"})
    body = assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    other = await admin.create(f"/environments/{env}/signOnPolicies", {"name": "Other"})
    renamed = await admin.put(
        f"/environments/{env}/signOnPolicies/{other['id']}", json={"name": "SINGLE_FACTOR"}
    )
    assert_error(renamed, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")
    same = await admin.put(
        f"/environments/{env}/signOnPolicies/{first['id']}", json={"name": "CORP_mfa"}
    )
    assert same.status_code == 200 and same.json()["name"] == "CORP_mfa"


async def test_same_name_is_allowed_in_another_environment(admin: Api, env: str) -> None:
    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
    )
    await admin.create(f"/environments/{env}/signOnPolicies", {"name": "Shared_Name"})
    await admin.create(f"/environments/{other['id']}/signOnPolicies", {"name": "Shared_Name"})


async def test_making_a_policy_default_unsets_the_previous_default(admin: Api, env: str) -> None:
    created = await admin.create(
        f"/environments/{env}/signOnPolicies", {"name": _name(), "default": True}
    )
    assert created["default"] is True
    defaults = [p["name"] for p in await _policies(admin, env) if p["default"]]
    assert defaults == [created["name"]]

    single = next(p for p in await _policies(admin, env) if p["name"] == "Single_Factor")
    back = await admin.put(
        f"/environments/{env}/signOnPolicies/{single['id']}",
        json={"name": "Single_Factor", "default": True},
    )
    assert back.status_code == 200 and back.json()["default"] is True
    defaults = [p["name"] for p in await _policies(admin, env) if p["default"]]
    assert defaults == ["Single_Factor"]


async def test_the_default_policy_cannot_be_deleted_or_unset(admin: Api, env: str) -> None:
    (single,) = await _policies(admin, env)
    href = f"/environments/{env}/signOnPolicies/{single['id']}"
    assert_error(await admin.delete(href), 400, "REQUEST_FAILED")
    unset = await admin.put(href, json={"name": "Single_Factor", "default": False})
    assert_error(unset, 400, "INVALID_DATA", detail="INVALID_VALUE", target="default")
    kept = await admin.put(href, json={"name": "Single_Factor", "description": "renamed"})
    assert kept.status_code == 200 and kept.json()["default"] is True
    assert (await admin.get(href)).json()["default"] is True


async def test_deleting_a_policy_removes_its_actions(admin: Api, env: str) -> None:
    policy = await admin.create(f"/environments/{env}/signOnPolicies", {"name": _name()})
    actions = f"/environments/{env}/signOnPolicies/{policy['id']}/actions"
    action = await admin.create(actions, {"type": "LOGIN", "priority": 1})
    assert (
        await admin.delete(f"/environments/{env}/signOnPolicies/{policy['id']}")
    ).status_code == 204
    assert_error(await admin.get(f"{actions}/{action['id']}"), 404, "NOT_FOUND")


async def test_policies_of_another_environment_are_not_found(admin: Api, env: str) -> None:
    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
    )
    (theirs,) = await _policies(admin, other["id"])
    href = f"/environments/{env}/signOnPolicies/{theirs['id']}"
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.put(href, json={"name": "Stolen"}), 404, "NOT_FOUND")
    assert_error(await admin.delete(href), 404, "NOT_FOUND")
    assert_error(await admin.get(f"{href}/actions"), 404, "NOT_FOUND")
    assert_error(
        await admin.get(f"/environments/{env}/signOnPolicies/not-a-uuid"), 404, "NOT_FOUND"
    )
    assert (await _policies(admin, other["id"]))[0]["name"] == "Single_Factor"


async def test_worker_without_roles_is_forbidden(app: Any, admin: Api, env: str) -> None:
    nobody = await worker(app, admin, env, [])
    (policy,) = await _policies(admin, env)
    href = f"/environments/{env}/signOnPolicies"
    assert_error(await nobody.get(href), 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")
    assert_error(await nobody.post(href, json={"name": _name()}), 403, "ACCESS_FAILED")
    assert_error(await nobody.get(f"{href}/{policy['id']}"), 403, "ACCESS_FAILED")
    assert_error(await nobody.get(f"{href}/{policy['id']}/actions"), 403, "ACCESS_FAILED")
    assert_error(await nobody.delete(f"{href}/{policy['id']}"), 403, "ACCESS_FAILED")


async def test_read_only_role_reads_but_cannot_change(app: Any, admin: Api, env: str) -> None:
    reader = await worker(app, admin, env, [("Configuration Read Only", "ENVIRONMENT", env)])
    href = f"/environments/{env}/signOnPolicies"
    assert (await reader.get(href)).status_code == 200
    assert_error(await reader.post(href, json={"name": _name()}), 403, "ACCESS_FAILED")
    editor = await worker(app, admin, env, [("Environment Admin", "ENVIRONMENT", env)])
    assert (await editor.post(href, json={"name": _name()})).status_code == 201


async def test_failed_update_writes_nothing(admin: Api, env: str) -> None:
    first = await admin.create(f"/environments/{env}/signOnPolicies", {"name": "Keep_Me"})
    second = await admin.create(
        f"/environments/{env}/signOnPolicies", {"name": "Second", "description": "before"}
    )
    clash = await admin.put(
        f"/environments/{env}/signOnPolicies/{second['id']}",
        json={"name": "keep_me", "description": "after", "default": True},
    )
    assert_error(clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION")
    after = {p["id"]: p for p in await _policies(admin, env)}
    assert after[second["id"]]["description"] == "before"
    assert after[second["id"]]["default"] is False and after[first["id"]]["name"] == "Keep_Me"
    assert [p["name"] for p in after.values() if p["default"]] == ["Single_Factor"]


async def test_bad_json_and_media_type(admin: Api, env: str) -> None:
    href = f"/environments/{env}/signOnPolicies"
    malformed = await admin.post(href, content=b"{nope", media_type="application/json")
    assert_error(malformed, 400, "INVALID_REQUEST")
    wrong = await admin.post(href, content=b"name=x", media_type="text/plain")
    assert_error(wrong, 415, "INVALID_REQUEST")
    not_object = await admin.post(href, json=["a"])
    assert_error(not_object, 400, "INVALID_DATA")
