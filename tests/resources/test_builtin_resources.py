"""The PingOne API and openid resources every environment has: present with their scopes and
claims, readable, partly updatable, and protected from what would break them."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.resources.defaults import OIDC_CLAIMS, OIDC_SCOPES, PINGONE_API_SCOPES
from tests.resources.conftest import names
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

Builtins = dict[str, dict[str, Any]]


async def test_every_environment_has_the_two_builtin_resources(
    admin: Api, env: str, builtins: Builtins
) -> None:
    assert set(builtins) == {"PINGONE_API", "OPENID_CONNECT"}
    api, openid = builtins["PINGONE_API"], builtins["OPENID_CONNECT"]
    assert api["name"] == "PingOne API" and api["audience"] == "https://api.pingone.com"
    assert openid["name"] == "openid" and openid["audience"] == "openid"
    for resource in (api, openid):
        assert resource["accessTokenValiditySeconds"] == 3600
        assert resource["environment"] == {"id": env}
        links = resource["_links"]
        assert links["self"]["href"].endswith(f"/v1/environments/{env}/resources/{resource['id']}")
        assert links["scopes"]["href"] == links["self"]["href"] + "/scopes"
        assert links["attributes"]["href"] == links["self"]["href"] + "/attributes"
        assert "secret" not in links
        read = await admin.get(f"/environments/{env}/resources/{resource['id']}")
        assert read.status_code == 200 and read.json() == resource


async def test_builtin_resources_carry_their_scopes_and_claims(
    admin: Api, env: str, builtins: Builtins
) -> None:
    api, openid = builtins["PINGONE_API"]["id"], builtins["OPENID_CONNECT"]["id"]
    base = f"/environments/{env}/resources"
    assert set(await names(admin, f"{base}/{api}/scopes", "scopes")) == set(PINGONE_API_SCOPES)
    assert set(await names(admin, f"{base}/{openid}/scopes", "scopes")) == set(OIDC_SCOPES)
    claims = (await admin.get(f"{base}/{openid}/attributes")).json()["_embedded"]["attributes"]
    by_name = {claim["name"]: claim for claim in claims}
    assert by_name["sub"]["type"] == "CORE" and by_name["sub"]["value"] == "${user.id}"
    assert {name for name, claim in by_name.items() if claim["type"] == "PREDEFINED"} == set(
        OIDC_CLAIMS
    )
    assert by_name["email"]["value"] == "${user.email}"
    assert by_name["email"]["idToken"] is True and by_name["email"]["userInfo"] is True
    assert await names(admin, f"{base}/{api}/attributes", "attributes") == []


async def test_builtin_resources_cannot_be_deleted(
    admin: Api, env: str, builtins: Builtins
) -> None:
    for resource in builtins.values():
        response = await admin.delete(f"/environments/{env}/resources/{resource['id']}")
        assert_error(response, 400, "REQUEST_FAILED")
    assert (
        len((await admin.get(f"/environments/{env}/resources")).json()["_embedded"]["resources"])
        == 2
    )


async def test_builtin_resource_accepts_its_own_body_back_and_changes_lifetime_and_description(
    admin: Api, env: str, builtins: Builtins
) -> None:
    openid = builtins["OPENID_CONNECT"]
    path = f"/environments/{env}/resources/{openid['id']}"
    body = {**openid, "accessTokenValiditySeconds": 7200, "description": "claims"}
    response = await admin.put(path, json=body)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["accessTokenValiditySeconds"] == 7200 and updated["description"] == "claims"
    assert updated["name"] == "openid" and updated["audience"] == "openid"
    minimal = await admin.put(path, json={"name": "openid"})
    assert minimal.json()["accessTokenValiditySeconds"] == 3600
    assert "description" not in minimal.json()


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"name": "renamed"}, "name"),
        ({"audience": "https://elsewhere.example"}, "audience"),
        ({"type": "CUSTOM"}, "type"),
        ({"introspectEndpointAuthMethod": "NONE"}, "introspectEndpointAuthMethod"),
        (
            {"applicationPermissionsSettings": {"claimEnabled": True}},
            "applicationPermissionsSettings.claimEnabled",
        ),
    ],
)
async def test_builtin_resource_refuses_changes_to_its_fixed_fields(
    admin: Api, env: str, builtins: Builtins, change: dict[str, Any], target: str
) -> None:
    api = builtins["PINGONE_API"]
    path = f"/environments/{env}/resources/{api['id']}"
    response = await admin.put(path, json={"name": api["name"], **change})
    assert_error(response, 400, "REQUEST_FAILED", detail="INVALID_VALUE", target=target)
    assert (await admin.get(path)).json() == api


async def test_builtin_scopes_cannot_be_renamed_or_deleted_but_can_be_described(
    admin: Api, env: str, builtins: Builtins
) -> None:
    for resource in builtins.values():
        scopes_path = f"/environments/{env}/resources/{resource['id']}/scopes"
        for scope in (await admin.get(scopes_path)).json()["_embedded"]["scopes"]:
            path = f"{scopes_path}/{scope['id']}"
            assert_error(await admin.delete(path), 400, "REQUEST_FAILED")
            renamed = await admin.put(path, json={"name": scope["name"] + "x"})
            assert_error(renamed, 400, "REQUEST_FAILED", target="name")
        profile = next(
            s
            for s in (await admin.get(scopes_path)).json()["_embedded"]["scopes"]
            if s["name"] in ("profile", "p1:read:user")
        )
        described = await admin.put(
            f"{scopes_path}/{profile['id']}", json={"name": profile["name"], "description": "new"}
        )
        assert described.status_code == 200 and described.json()["description"] == "new"


async def test_core_and_predefined_claims_can_be_remapped_but_not_renamed_or_deleted(
    admin: Api, env: str, builtins: Builtins
) -> None:
    path = f"/environments/{env}/resources/{builtins['OPENID_CONNECT']['id']}/attributes"
    claims = {c["name"]: c for c in (await admin.get(path)).json()["_embedded"]["attributes"]}
    for name in ("sub", "given_name"):
        claim_path = f"{path}/{claims[name]['id']}"
        assert_error(await admin.delete(claim_path), 400, "REQUEST_FAILED")
        renamed = await admin.put(claim_path, json={"name": "other", "value": "${user.id}"})
        assert_error(renamed, 400, "REQUEST_FAILED", target="name")
    remapped = await admin.put(
        f"{path}/{claims['sub']['id']}",
        json={"name": "sub", "value": "${user.username}", "userInfo": False},
    )
    assert remapped.status_code == 200, remapped.text
    body = remapped.json()
    assert body["value"] == "${user.username}" and body["type"] == "CORE"
    assert body["idToken"] is True and body["userInfo"] is False


async def test_pingone_api_takes_no_custom_attributes_and_builtins_have_no_secret(
    admin: Api, env: str, builtins: Builtins
) -> None:
    api = builtins["PINGONE_API"]["id"]
    created = await admin.post(
        f"/environments/{env}/resources/{api}/attributes", json={"name": "x", "value": "y"}
    )
    assert_error(created, 400, "REQUEST_FAILED")
    for resource in builtins.values():
        secret_path = f"/environments/{env}/resources/{resource['id']}/secret"
        assert_error(await admin.get(secret_path), 400, "REQUEST_FAILED")
        assert_error(await admin.post(secret_path), 400, "REQUEST_FAILED")
