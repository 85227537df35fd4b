"""The resources a sign-on policy action names must be the environment's: MFA policies, identity
providers (IDENTITY_PROVIDER, socialProviders, discoveryRules) and registration populations. An
unknown id, or one of another environment, is INVALID_DATA on its field, on create and on update;
an MFA policy or identity provider that an action names cannot be deleted. Agreements are not
served: their ids are accepted as given."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.policies.conftest import default_population, new_identity_provider, new_mfa_policy
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

Body = Callable[[str], dict[str, Any]]

# (the action naming `ref`, the kind of resource `ref` is, the target of the error)
REFERENCES: dict[str, tuple[Body, str, str]] = {
    "mfa policy": (
        lambda ref: {
            "type": "MULTI_FACTOR_AUTHENTICATION",
            "deviceAuthenticationPolicy": {"id": ref},
        },
        "mfa",
        "deviceAuthenticationPolicy.id",
    ),
    "identity provider action": (
        lambda ref: {"type": "IDENTITY_PROVIDER", "identityProvider": {"id": ref}},
        "idp",
        "identityProvider.id",
    ),
    "login social providers": (
        lambda ref: {"type": "LOGIN", "socialProviders": [{"id": ref}]},
        "idp",
        "socialProviders.id",
    ),
    "identifier first social providers": (
        lambda ref: {"type": "IDENTIFIER_FIRST", "socialProviders": [{"id": ref}]},
        "idp",
        "socialProviders.id",
    ),
    "discovery rules": (
        lambda ref: {
            "type": "IDENTIFIER_FIRST",
            "discoveryRules": [
                {
                    "condition": {"contains": "@example.com", "value": "${identifier}"},
                    "identityProvider": {"id": ref},
                }
            ],
        },
        "idp",
        "discoveryRules.identityProvider.id",
    ),
    "login registration population": (
        lambda ref: {"type": "LOGIN", "registration": {"enabled": True, "population": {"id": ref}}},
        "population",
        "registration.population.id",
    ),
    "identifier first registration population": (
        lambda ref: {
            "type": "IDENTIFIER_FIRST",
            "registration": {"enabled": True, "population": {"id": ref}},
        },
        "population",
        "registration.population.id",
    ),
}


async def make(kind: str, app: Any, admin: Api, environment_id: str) -> str:
    """A resource of `kind` in `environment_id`."""
    if kind == "mfa":
        return await new_mfa_policy(admin, environment_id)
    if kind == "idp":
        return await new_identity_provider(admin, environment_id)
    return await default_population(app, environment_id)


async def other_environment(admin: Api) -> str:
    created = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
    )
    return str(created["id"])


async def new_policy(admin: Api, env: str) -> str:
    policy = await admin.create(
        f"/environments/{env}/signOnPolicies", {"name": f"Refs_{secrets.token_hex(4)}"}
    )
    return f"/environments/{env}/signOnPolicies/{policy['id']}/actions"


@pytest.mark.parametrize("case", list(REFERENCES))
async def test_an_action_naming_an_unknown_resource_is_invalid_data(
    app: Any, admin: Api, env: str, case: str
) -> None:
    body, kind, target = REFERENCES[case]
    actions = await new_policy(admin, env)
    theirs = await make(kind, app, admin, await other_environment(admin))
    for unknown in (str(uuid.uuid4()), theirs):
        response = await admin.post(actions, json={**body(unknown), "priority": 1})
        assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target=target)
        assert unknown in response.json()["details"][0]["message"]
    assert (await admin.get(actions)).json()["_embedded"]["actions"] == []

    ours = await make(kind, app, admin, env)
    created = await admin.create(actions, {**body(ours), "priority": 1})
    # an update is checked the same way, and a refused one changes nothing
    refused = await admin.put(f"{actions}/{created['id']}", json={**body(theirs), "priority": 1})
    assert_error(refused, 400, "INVALID_DATA", detail="INVALID_VALUE", target=target)
    assert (await admin.get(f"{actions}/{created['id']}")).json() == created


async def test_an_agreement_is_accepted_unchecked(admin: Api, env: str) -> None:
    actions = await new_policy(admin, env)
    agreement = str(uuid.uuid4())
    created = await admin.create(
        actions, {"type": "AGREEMENT", "priority": 1, "agreement": {"id": agreement}}
    )
    assert created["agreement"] == {"id": agreement}


async def test_an_mfa_policy_an_action_names_cannot_be_deleted(
    admin: Api, env: str, mfa_policy: str
) -> None:
    actions = await new_policy(admin, env)
    action = await admin.create(
        actions,
        {
            "type": "MULTI_FACTOR_AUTHENTICATION",
            "priority": 1,
            "deviceAuthenticationPolicy": {"id": mfa_policy},
        },
    )
    path = f"/environments/{env}/deviceAuthenticationPolicies/{mfa_policy}"
    refused = await admin.delete(path)
    assert_error(refused, 400, "REQUEST_FAILED")
    assert "Refs_" in refused.json()["message"]
    assert (await admin.get(path)).status_code == 200

    assert (await admin.delete(f"{actions}/{action['id']}")).status_code == 204
    assert (await admin.delete(path)).status_code == 204


@pytest.mark.parametrize("case", [case for case, ref in REFERENCES.items() if ref[1] == "idp"])
async def test_an_identity_provider_an_action_names_cannot_be_deleted(
    admin: Api, env: str, identity_provider: str, case: str
) -> None:
    body = REFERENCES[case][0]
    actions = await new_policy(admin, env)
    action = await admin.create(actions, {**body(identity_provider), "priority": 1})
    path = f"/environments/{env}/identityProviders/{identity_provider}"
    assert_error(await admin.delete(path), 400, "REQUEST_FAILED")
    assert (await admin.get(path)).status_code == 200

    assert (await admin.delete(f"{actions}/{action['id']}")).status_code == 204
    assert (await admin.delete(path)).status_code == 204
