"""Environments: CRUD, what a new environment is given, names, filters, and who may touch them."""

from __future__ import annotations

import secrets

import pytest

from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _name() -> str:
    return f"env-{secrets.token_hex(5)}"


async def test_create_environment_returns_hal_resource(admin: Api) -> None:
    body = await admin.create(
        "/environments",
        {"name": (name := _name()), "description": "d", "type": "SANDBOX", "region": "EU"},
    )
    assert body["name"] == name and body["type"] == "SANDBOX" and body["region"] == "EU"
    assert body["_links"]["self"]["href"].endswith(f"/v1/environments/{body['id']}")
    assert body["createdAt"].endswith("Z")
    read = await admin.get(f"/environments/{body['id']}")
    assert read.status_code == 200 and read.json()["id"] == body["id"]


async def test_new_environment_has_pingone_defaults(admin: Api, env: str) -> None:
    populations = (await admin.get(f"/environments/{env}/populations")).json()["_embedded"][
        "populations"
    ]
    assert [p["name"] for p in populations if p["default"]] == ["Default"]
    policies = (await admin.get(f"/environments/{env}/passwordPolicies")).json()["_embedded"][
        "passwordPolicies"
    ]
    assert [p["name"] for p in policies if p["default"]] == ["Standard"]
    sign_on = (await admin.get(f"/environments/{env}/signOnPolicies")).json()["_embedded"][
        "signOnPolicies"
    ]
    default = [p for p in sign_on if p["default"]]
    assert [p["name"] for p in default] == ["Single_Factor"]
    actions = (
        await admin.get(f"/environments/{env}/signOnPolicies/{default[0]['id']}/actions")
    ).json()
    assert [a["type"] for a in actions["_embedded"]["actions"]] == ["LOGIN"]
    resources = (await admin.get(f"/environments/{env}/resources")).json()["_embedded"]["resources"]
    by_type = {r["type"]: r for r in resources}
    assert by_type["PINGONE_API"]["name"] == "PingOne API"
    assert by_type["OPENID_CONNECT"]["name"] == "openid"
    scopes = (
        await admin.get(f"/environments/{env}/resources/{by_type['OPENID_CONNECT']['id']}/scopes")
    ).json()
    names = {s["name"] for s in scopes["_embedded"]["scopes"]}
    assert {"openid", "profile", "email", "address", "phone", "offline_access"} <= names


async def test_new_environment_has_its_own_signing_key(admin: Api, env: str, credentials) -> None:
    mine = (await admin.client.get(f"/{env}/as/jwks")).json()["keys"]
    theirs = (await admin.client.get(f"/{credentials.environment_id}/as/jwks")).json()["keys"]
    assert len(mine) == 1 and mine[0]["kty"] == "RSA" and mine[0]["alg"] == "RS256"
    assert "d" not in mine[0]
    assert mine[0]["kid"] not in {key["kid"] for key in theirs}


async def test_environment_names_are_unique_in_the_organization(admin: Api) -> None:
    name = _name()
    await admin.create("/environments", {"name": name, "type": "SANDBOX", "region": "NA"})
    response = await admin.post(
        "/environments", json={"name": name.upper(), "type": "SANDBOX", "region": "NA"}
    )
    assert_error(response, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="name")


async def test_bad_environment_bodies_are_rejected_with_targets(admin: Api) -> None:
    missing = await admin.post("/environments", json={"name": _name(), "region": "NA"})
    assert_error(missing, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="type")
    bad_enum = await admin.post(
        "/environments", json={"name": _name(), "type": "STAGING", "region": "NA"}
    )
    assert_error(bad_enum, 400, "INVALID_DATA", detail="INVALID_VALUE", target="type")
    too_long = await admin.post(
        "/environments", json={"name": "x" * 300, "type": "SANDBOX", "region": "NA"}
    )
    assert_error(too_long, 400, "INVALID_DATA", detail="SIZE_LIMIT_EXCEEDED", target="name")
    malformed = await admin.post(
        "/environments", content=b"{not json", media_type="application/json"
    )
    assert_error(malformed, 400, "INVALID_REQUEST")
    wrong_type = await admin.post("/environments", content=b"name=x", media_type="text/plain")
    assert_error(wrong_type, 415, "INVALID_REQUEST")


async def test_update_and_type_change(admin: Api, env: str) -> None:
    current = (await admin.get(f"/environments/{env}")).json()
    updated = await admin.put(
        f"/environments/{env}", json={**current, "description": "changed", "region": "CA"}
    )
    assert updated.status_code == 200 and updated.json()["description"] == "changed"
    typed = await admin.put(f"/environments/{env}/type", json={"type": "PRODUCTION"})
    assert typed.status_code == 200 and typed.json()["type"] == "PRODUCTION"


async def test_delete_environment_removes_it_and_its_data(admin: Api, env: str) -> None:
    assert (await admin.delete(f"/environments/{env}")).status_code == 204
    assert_error(await admin.get(f"/environments/{env}"), 404, "NOT_FOUND")
    assert (await admin.client.get(f"/{env}/as/jwks")).status_code == 404


async def test_list_filters_environments_by_name(admin: Api) -> None:
    prefix = f"flt{secrets.token_hex(3)}"
    for suffix in ("a", "b"):
        await admin.create(
            "/environments", {"name": f"{prefix}-{suffix}", "type": "SANDBOX", "region": "NA"}
        )
    page = await admin.get("/environments", params={"filter": f'name sw "{prefix}"'})
    assert page.status_code == 200
    assert sorted(e["name"] for e in page.json()["_embedded"]["environments"]) == [
        f"{prefix}-a",
        f"{prefix}-b",
    ]
    bad = await admin.get("/environments", params={"filter": 'name xx "a"'})
    assert_error(bad, 400, "INVALID_DATA", detail="INVALID_FILTER")


async def test_unknown_and_malformed_environment_ids_are_not_found(admin: Api) -> None:
    assert_error(
        await admin.get("/environments/7d4b3b36-9f7e-4f1e-9d57-7a1d2e6b9f00"), 404, "NOT_FOUND"
    )
    assert_error(await admin.get("/environments/not-a-uuid"), 404, "NOT_FOUND")


async def test_organization_is_listed_for_the_admin(admin: Api, credentials) -> None:
    page = (await admin.get("/organizations")).json()
    assert [o["id"] for o in page["_embedded"]["organizations"]] == [credentials.organization_id]
    assert (await admin.get(f"/organizations/{credentials.organization_id}")).status_code == 200
