"""Sign-on policy actions: every type round-trips under PingOne's names, each validation rule names
its target, priorities are unique per policy, and conditions follow the grammar."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest

from gatehouse.directory.models import SchemaAttribute
from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

MFA_SECONDS_SINCE = {
    "secondsSince": "${session.lastSignOn.withAuthenticator.mfa.at}",
    "greater": 60,
}


def _id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
async def actions(admin: Api, env: str) -> str:
    """The actions collection of a new, empty policy in `env`."""
    policy = await admin.create(
        f"/environments/{env}/signOnPolicies", {"name": f"Actions_{secrets.token_hex(4)}"}
    )
    return f"/environments/{env}/signOnPolicies/{policy['id']}/actions"


def _round_trip_bodies(
    population: str, application: str, provider: str, mfa_policy: str
) -> list[dict[str, Any]]:
    return [
        {
            "type": "LOGIN",
            "recovery": {"enabled": True},
            "registration": {
                "enabled": True,
                "population": {"id": population},
                "confirmIdentityProviderAttributes": True,
            },
            "socialProviders": [{"id": provider}],
            "enforceLockoutForIdentityProviders": True,
            "newUserProvisioning": {
                "gateways": [{"id": _id(), "type": "LDAP", "userType": {"id": _id()}}]
            },
        },
        {
            "type": "LOGIN",
            "registration": {"enabled": True, "external": {"href": "https://example.com/join"}},
        },
        {
            "type": "MULTI_FACTOR_AUTHENTICATION",
            "deviceAuthenticationPolicy": {"id": mfa_policy},
            "noDevicesMode": "BYPASS",
            "sms": {"enabled": True},
            "voice": {"enabled": False},
            "email": {"enabled": True},
            "authenticator": {"enabled": True},
            "securityKey": {"enabled": False},
            "boundBiometrics": {"enabled": True},
            "applications": [
                {
                    "id": application,
                    "autoEnrollment": {"enabled": True},
                    "deviceAuthorization": {"enabled": True, "extraVerification": "permissive"},
                }
            ],
            "condition": MFA_SECONDS_SINCE,
        },
        {
            "type": "IDENTIFIER_FIRST",
            "discoveryRules": [
                {
                    "condition": {"contains": "@example.com", "value": "${identifier}"},
                    "identityProvider": {"id": provider},
                }
            ],
            "recovery": {"enabled": True},
            "registration": {"enabled": False},
            "socialProviders": [{"id": provider}],
            "enforceLockoutForIdentityProviders": False,
        },
        {
            "type": "PROGRESSIVE_PROFILING",
            "attributes": [
                {"name": "name.given", "required": True},
                {"name": "address.postalCode", "required": False},
            ],
            "preventMultiplePromptsPerFlow": True,
            "promptIntervalSeconds": 7776000,
            "promptText": "Tell us a little more about yourself",
        },
        {
            "type": "IDENTITY_PROVIDER",
            "identityProvider": {"id": provider},
            "acrValues": "urn:acr:strong",
            "passUserContext": True,
            "registration": {"enabled": True, "population": {"id": population}},
        },
        {"type": "AGREEMENT", "agreement": {"id": _id()}, "disableDeclineOption": True},
    ]


RENDERED_COMMON = {"id", "type", "priority", "signOnPolicy", "environment", "createdAt"}


async def test_each_action_type_round_trips(
    admin: Api,
    env: str,
    actions: str,
    population: str,
    web_app: str,
    identity_provider: str,
    mfa_policy: str,
) -> None:
    bodies = _round_trip_bodies(population, web_app, identity_provider, mfa_policy)
    for priority, body in enumerate(bodies, start=1):
        created = await admin.create(actions, {**body, "priority": priority})
        read = (await admin.get(f"{actions}/{created['id']}")).json()
        assert read == created
        expected = {**body, "priority": priority}
        if body["type"] == "MULTI_FACTOR_AUTHENTICATION":
            assert created["noDevicesMode"] == "BYPASS"
        assert {key: created[key] for key in expected} == expected
        extra = set(created) - set(expected) - RENDERED_COMMON - {"updatedAt", "_links"}
        assert extra == set(), extra
        assert created["environment"] == {"id": env}
        assert created["_links"]["self"]["href"].endswith(f"{actions}/{created['id']}")
        assert created["_links"]["signOnPolicy"]["href"].endswith(actions.rsplit("/", 1)[0])
    listed = (await admin.get(actions)).json()["_embedded"]["actions"]
    assert [a["priority"] for a in listed] == list(range(1, 8))


async def test_mfa_no_devices_mode_defaults_to_block(admin: Api, actions: str) -> None:
    created = await admin.create(actions, {"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 1})
    assert created["noDevicesMode"] == "BLOCK"
    assert "deviceAuthenticationPolicy" not in created and "condition" not in created


async def test_actions_are_listed_by_priority(admin: Api, actions: str) -> None:
    for priority in (5, 1, 3):
        await admin.create(actions, {"type": "LOGIN", "priority": priority})
    listed = (await admin.get(actions)).json()
    assert [a["priority"] for a in listed["_embedded"]["actions"]] == [1, 3, 5]
    assert listed["count"] == 3


async def test_update_replaces_the_action(admin: Api, actions: str, population: str) -> None:
    created = await admin.create(
        actions,
        {
            "type": "LOGIN",
            "priority": 1,
            "recovery": {"enabled": True},
            "registration": {"enabled": True, "population": {"id": population}},
            "condition": MFA_SECONDS_SINCE,
        },
    )
    replaced = await admin.put(
        f"{actions}/{created['id']}",
        json={"type": "LOGIN", "priority": 2, "recovery": {"enabled": False}},
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["priority"] == 2 and body["recovery"] == {"enabled": False}
    assert "registration" not in body and "condition" not in body
    # a PUT of what GET returned (read-only fields included) changes nothing
    again = await admin.put(f"{actions}/{created['id']}", json=body)
    assert again.status_code == 200 and again.json()["recovery"] == {"enabled": False}


async def test_delete_action(admin: Api, actions: str) -> None:
    created = await admin.create(actions, {"type": "LOGIN", "priority": 1})
    assert (await admin.delete(f"{actions}/{created['id']}")).status_code == 204
    assert_error(await admin.get(f"{actions}/{created['id']}"), 404, "NOT_FOUND")
    assert (await admin.get(actions)).json()["_embedded"]["actions"] == []


async def test_duplicate_priority_is_a_uniqueness_violation(admin: Api, actions: str) -> None:
    first = await admin.create(actions, {"type": "LOGIN", "priority": 1})
    second = await admin.create(actions, {"type": "LOGIN", "priority": 2})
    clash = await admin.post(actions, json={"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 1})
    body = assert_error(
        clash, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="priority"
    )
    assert body["details"][0]["innerError"]["existingId"] == first["id"]
    moved = await admin.put(f"{actions}/{second['id']}", json={"type": "LOGIN", "priority": 1})
    assert_error(moved, 400, "INVALID_DATA", detail="UNIQUENESS_VIOLATION", target="priority")
    kept = await admin.put(f"{actions}/{first['id']}", json={"type": "LOGIN", "priority": 1})
    assert kept.status_code == 200
    assert len((await admin.get(actions)).json()["_embedded"]["actions"]) == 2


async def test_type_is_required_and_must_be_known(admin: Api, actions: str) -> None:
    missing = await admin.post(actions, json={"priority": 1})
    assert_error(missing, 400, "INVALID_DATA", detail="REQUIRED_VALUE", target="type")
    unknown = await admin.post(actions, json={"type": "FORM", "priority": 1})
    body = assert_error(unknown, 400, "INVALID_DATA", detail="INVALID_VALUE", target="type")
    allowed = body["details"][0]["innerError"]["allowedValues"]
    assert "LOGIN" in allowed and "AGREEMENT" in allowed and "FORM" not in allowed
    not_a_string = await admin.post(actions, json={"type": 7, "priority": 1})
    assert_error(not_a_string, 400, "INVALID_DATA", detail="INVALID_VALUE", target="type")
    not_object = await admin.post(actions, json=[{"type": "LOGIN"}])
    assert_error(not_object, 400, "INVALID_DATA")


async def test_type_cannot_change(admin: Api, actions: str) -> None:
    created = await admin.create(actions, {"type": "LOGIN", "priority": 1})
    changed = await admin.put(
        f"{actions}/{created['id']}", json={"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 1}
    )
    assert_error(changed, 400, "INVALID_DATA", detail="INVALID_VALUE", target="type")
    assert (await admin.get(f"{actions}/{created['id']}")).json()["type"] == "LOGIN"


PROFILING = {
    "type": "PROGRESSIVE_PROFILING",
    "priority": 1,
    "attributes": [{"name": "email", "required": True}],
    "preventMultiplePromptsPerFlow": True,
    "promptIntervalSeconds": 60,
    "promptText": "More please",
}


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({"type": "LOGIN"}, "REQUIRED_VALUE", "priority"),
        ({"type": "LOGIN", "priority": 0}, "OUT_OF_RANGE", "priority"),
        ({"type": "LOGIN", "priority": 2**31}, "OUT_OF_RANGE", "priority"),
        ({"type": "LOGIN", "priority": "first"}, "INVALID_VALUE", "priority"),
        ({"type": "LOGIN", "priority": "1"}, "INVALID_VALUE", "priority"),
        ({"type": "LOGIN", "priority": 1.5}, "INVALID_VALUE", "priority"),
        (
            {
                "type": "AGREEMENT",
                "priority": 1,
                "agreement": {"id": str(uuid.uuid4())},
                "disableDeclineOption": "true",
            },
            "INVALID_VALUE",
            "disableDeclineOption",
        ),
        (
            {"type": "LOGIN", "priority": 1, "registration": {}},
            "REQUIRED_VALUE",
            "registration.enabled",
        ),
        (
            {
                "type": "LOGIN",
                "priority": 1,
                "registration": {"enabled": True, "population": {"id": "x"}},
            },
            "INVALID_VALUE",
            "registration.population.id",
        ),
        (
            {
                "type": "LOGIN",
                "priority": 1,
                "registration": {
                    "enabled": True,
                    "population": {"id": str(uuid.uuid4())},
                    "external": {"href": "https://example.com"},
                },
            },
            "INVALID_VALUE",
            "registration",
        ),
        (
            {
                "type": "LOGIN",
                "priority": 1,
                "registration": {"enabled": True, "external": {"href": "ftp:x"}},
            },
            "INVALID_VALUE",
            "registration.external.href",
        ),
        ({"type": "LOGIN", "priority": 1, "recovery": {}}, "REQUIRED_VALUE", "recovery.enabled"),
        (
            {"type": "LOGIN", "priority": 1, "socialProviders": [{}]},
            "REQUIRED_VALUE",
            "socialProviders.id",
        ),
        (
            {
                "type": "LOGIN",
                "priority": 1,
                "newUserProvisioning": {
                    "gateways": [
                        {
                            "id": str(uuid.uuid4()),
                            "type": "AD",
                            "userType": {"id": str(uuid.uuid4())},
                        }
                    ]
                },
            },
            "INVALID_VALUE",
            "newUserProvisioning.gateways.type",
        ),
        (
            {"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 1, "noDevicesMode": "ALLOW"},
            "INVALID_VALUE",
            "noDevicesMode",
        ),
        (
            {"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 1, "sms": {"enabled": "sometimes"}},
            "INVALID_VALUE",
            "sms.enabled",
        ),
        (
            {
                "type": "MULTI_FACTOR_AUTHENTICATION",
                "priority": 1,
                "applications": [
                    {
                        "id": str(uuid.uuid4()),
                        "deviceAuthorization": {"enabled": True, "extraVerification": "lax"},
                    }
                ],
            },
            "INVALID_VALUE",
            "applications.deviceAuthorization.extraVerification",
        ),
        (
            {
                "type": "MULTI_FACTOR_AUTHENTICATION",
                "priority": 1,
                "deviceAuthenticationPolicy": {"id": "nope"},
            },
            "INVALID_VALUE",
            "deviceAuthenticationPolicy.id",
        ),
        (
            {
                "type": "IDENTIFIER_FIRST",
                "priority": 1,
                "discoveryRules": [
                    {
                        "condition": {"contains": "x", "value": "${user.email}"},
                        "identityProvider": {"id": str(uuid.uuid4())},
                    }
                ],
            },
            "INVALID_VALUE",
            "discoveryRules.condition.value",
        ),
        (
            {
                "type": "IDENTIFIER_FIRST",
                "priority": 1,
                "discoveryRules": [
                    {
                        "condition": {"contains": "x", "value": "${identifier}"},
                        "identityProvider": {"id": str(uuid.uuid4())},
                    }
                ]
                * 101,
            },
            "SIZE_LIMIT_EXCEEDED",
            "discoveryRules",
        ),
        (
            {
                "type": "IDENTIFIER_FIRST",
                "priority": 1,
                "discoveryRules": [{"condition": {"contains": "x", "value": "${identifier}"}}],
            },
            "REQUIRED_VALUE",
            "discoveryRules.identityProvider",
        ),
        ({**PROFILING, "attributes": []}, "INVALID_VALUE", "attributes"),
        ({k: v for k, v in PROFILING.items() if k != "attributes"}, "REQUIRED_VALUE", "attributes"),
        ({**PROFILING, "attributes": [{"name": "email"}]}, "REQUIRED_VALUE", "attributes.required"),
        (
            {**PROFILING, "attributes": [{"name": "email", "required": True}] * 2},
            "INVALID_VALUE",
            "attributes",
        ),
        (
            {k: v for k, v in PROFILING.items() if k != "preventMultiplePromptsPerFlow"},
            "REQUIRED_VALUE",
            "preventMultiplePromptsPerFlow",
        ),
        ({**PROFILING, "promptIntervalSeconds": 0}, "OUT_OF_RANGE", "promptIntervalSeconds"),
        ({k: v for k, v in PROFILING.items() if k != "promptText"}, "REQUIRED_VALUE", "promptText"),
        ({**PROFILING, "promptText": ""}, "INVALID_VALUE", "promptText"),
        ({"type": "IDENTITY_PROVIDER", "priority": 1}, "REQUIRED_VALUE", "identityProvider"),
        (
            {
                "type": "IDENTITY_PROVIDER",
                "priority": 1,
                "identityProvider": {"id": str(uuid.uuid4())},
                "passUserContext": "yes",
            },
            "INVALID_VALUE",
            "passUserContext",
        ),
        ({"type": "AGREEMENT", "priority": 1}, "REQUIRED_VALUE", "agreement"),
        ({"type": "AGREEMENT", "priority": 1, "agreement": {}}, "REQUIRED_VALUE", "agreement.id"),
    ],
)
async def test_invalid_action_bodies_name_their_target(
    admin: Api, actions: str, body: dict[str, Any], detail: str, target: str
) -> None:
    response = await admin.post(actions, json=body)
    assert_error(response, 400, "INVALID_DATA", detail=detail, target=target)
    assert (await admin.get(actions)).json()["_embedded"]["actions"] == []


async def test_registration_population_must_be_in_this_environment(
    app: Any, admin: Api, actions: str, identity_provider: str
) -> None:
    from tests.policies.conftest import default_population

    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
    )
    theirs = await default_population(app, other["id"])
    for body in (
        {
            "type": "LOGIN",
            "priority": 1,
            "registration": {"enabled": True, "population": {"id": theirs}},
        },
        {
            "type": "IDENTITY_PROVIDER",
            "priority": 1,
            "identityProvider": {"id": identity_provider},
            "registration": {"enabled": True, "population": {"id": theirs}},
        },
    ):
        response = await admin.post(actions, json=body)
        assert_error(
            response,
            400,
            "INVALID_DATA",
            detail="INVALID_VALUE",
            target="registration.population.id",
        )


async def test_mfa_applications_must_be_in_this_environment(
    app: Any, admin: Api, actions: str
) -> None:
    from tests.policies.conftest import orm_application

    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
    )
    theirs = await orm_application(app, other["id"])
    response = await admin.post(
        actions,
        json={
            "type": "MULTI_FACTOR_AUTHENTICATION",
            "priority": 1,
            "applications": [{"id": theirs}],
        },
    )
    assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="applications.id")


async def test_profiling_attributes_must_be_user_attributes(
    app: Any, admin: Api, env: str, actions: str
) -> None:
    unknown = await admin.post(
        actions, json={**PROFILING, "attributes": [{"name": "favoriteColor", "required": True}]}
    )
    body = assert_error(
        unknown, 400, "INVALID_DATA", detail="INVALID_VALUE", target="attributes.name"
    )
    assert "favoriteColor" in body["details"][0]["message"]
    async with app.state.runtime.sessions() as session, session.begin():
        session.add(
            SchemaAttribute(environment_id=uuid.UUID(env), name="favoriteColor", type="STRING")
        )
    created = await admin.create(
        actions, {**PROFILING, "attributes": [{"name": "favoriteColor", "required": True}]}
    )
    assert created["attributes"] == [{"name": "favoriteColor", "required": True}]


CONDITIONS_ACCEPTED = [
    MFA_SECONDS_SINCE,
    {"secondsSince": "${session.lastSignOn.withAuthenticator.pwd.at}", "greater": 0},
    {"value": "${user.population.id}", "equals": str(uuid.uuid4())},
    {"value": "${user.emailVerified}", "equals": False},
    {
        "ipRange": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"],
        "contains": "${flow.request.http.remoteIp}",
    },
    {"ipRisk": {"minScore": 80, "maxScore": 100}, "valid": "${flow.request.http.remoteIp}"},
    {
        "geoVelocity": "${flow.request.http.remoteIp}",
        "valid": {
            "previousSuccessfulAuthenticationIp": "${user.lastSignOn.remoteIp}",
            "previousSuccessfulAuthenticationTime": "${user.lastSignOn.at}",
        },
    },
    {"anonymousNetwork": ["10.0.0.0/8"], "valid": "${flow.request.http.remoteIp}"},
    {
        "or": [
            MFA_SECONDS_SINCE,
            {"not": {"ipRange": ["10.0.0.0/8"], "contains": "${flow.request.http.remoteIp}"}},
            {"and": [{"value": "${user.name.given}", "equals": "Ada"}, MFA_SECONDS_SINCE]},
        ]
    },
]


@pytest.mark.parametrize("condition", CONDITIONS_ACCEPTED)
async def test_conditions_following_the_grammar_are_stored_as_given(
    admin: Api, actions: str, condition: dict[str, Any]
) -> None:
    created = await admin.create(
        actions, {"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 1, "condition": condition}
    )
    assert created["condition"] == condition


def _nested(depth: int) -> dict[str, Any]:
    condition: dict[str, Any] = MFA_SECONDS_SINCE
    for _ in range(depth):
        condition = {"not": condition}
    return condition


@pytest.mark.parametrize(
    ("condition", "named"),
    [
        ("always", "condition"),
        ({}, "condition"),
        (
            {"secondsSince": "${session.lastSignOn.withAuthenticator.otp.at}", "greater": 1},
            "condition.secondsSince",
        ),
        ({"secondsSince": "${session.lastSignOn.at}", "greater": -1}, "condition.greater"),
        ({"secondsSince": "${session.lastSignOn.at}", "greater": True}, "condition.greater"),
        ({"secondsSince": "${session.lastSignOn.at}"}, "'greater' is required"),
        (
            {"secondsSince": "${session.lastSignOn.at}", "greater": 1, "less": 2},
            "unexpected 'less'",
        ),
        ({"value": "${session.id}", "equals": "x"}, "condition.value"),
        ({"value": "${user.email}", "equals": None}, "condition.equals"),
        ({"value": "${user.email}", "equals": ["a"]}, "condition.equals"),
        (
            {"ipRange": ["10.0.0.0/33"], "contains": "${flow.request.http.remoteIp}"},
            "condition.ipRange[0]",
        ),
        ({"ipRange": [], "contains": "${flow.request.http.remoteIp}"}, "condition.ipRange"),
        ({"ipRange": ["10.0.0.0/8"], "contains": "${user.ip}"}, "condition.contains"),
        (
            {"ipRisk": {"minScore": 90, "maxScore": 10}, "valid": "${flow.request.http.remoteIp}"},
            "condition.ipRisk",
        ),
        (
            {"ipRisk": {"minScore": 0, "maxScore": 101}, "valid": "${flow.request.http.remoteIp}"},
            "condition.ipRisk.maxScore",
        ),
        ({"geoVelocity": "${flow.request.http.remoteIp}", "valid": {}}, "condition.valid"),
        (
            {"anonymousNetwork": ["not-an-ip"], "valid": "${flow.request.http.remoteIp}"},
            "condition.anonymousNetwork[0]",
        ),
        ({"and": []}, "condition.and"),
        ({"or": [MFA_SECONDS_SINCE, {"xor": []}]}, "condition.or[1]"),
        ({"and": [MFA_SECONDS_SINCE], "or": [MFA_SECONDS_SINCE]}, "combines"),
        ({"not": [MFA_SECONDS_SINCE]}, "condition.not"),
        (_nested(10), "at most 10 levels"),
    ],
)
async def test_conditions_breaking_the_grammar_are_rejected(
    admin: Api, actions: str, condition: Any, named: str
) -> None:
    response = await admin.post(
        actions, json={"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 1, "condition": condition}
    )
    body = assert_error(response, 400, "INVALID_DATA", detail="INVALID_VALUE", target="condition")
    assert named in body["details"][0]["message"], body


async def test_deeply_nested_condition_within_the_limit_is_accepted(
    admin: Api, actions: str
) -> None:
    created = await admin.create(actions, {"type": "LOGIN", "priority": 1, "condition": _nested(9)})
    assert created["condition"] == _nested(9)


async def test_actions_of_another_environment_are_not_found(admin: Api, env: str) -> None:
    other = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
    )
    policies = f"/environments/{other['id']}/signOnPolicies"
    (policy,) = (await admin.get(policies)).json()["_embedded"]["signOnPolicies"]
    (action,) = (await admin.get(f"{policies}/{policy['id']}/actions")).json()["_embedded"][
        "actions"
    ]
    mine = f"/environments/{env}/signOnPolicies/{policy['id']}/actions"
    assert_error(await admin.get(f"{mine}/{action['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.post(mine, json={"type": "LOGIN", "priority": 2}), 404, "NOT_FOUND")
    assert_error(await admin.delete(f"{mine}/{action['id']}"), 404, "NOT_FOUND")
    # an action id under another policy of the right environment is not found either
    (own,) = (await admin.get(f"/environments/{env}/signOnPolicies")).json()["_embedded"][
        "signOnPolicies"
    ]
    crossed = f"/environments/{env}/signOnPolicies/{own['id']}/actions/{action['id']}"
    assert_error(await admin.get(crossed), 404, "NOT_FOUND")
    assert_error(await admin.put(crossed, json={"type": "LOGIN", "priority": 1}), 404, "NOT_FOUND")


async def test_worker_without_roles_cannot_touch_actions(
    app: Any, admin: Api, env: str, actions: str
) -> None:
    created = await admin.create(actions, {"type": "LOGIN", "priority": 1})
    nobody = await worker(app, admin, env, [])
    assert_error(await nobody.get(actions), 403, "ACCESS_FAILED")
    assert_error(
        await nobody.post(actions, json={"type": "LOGIN", "priority": 2}), 403, "ACCESS_FAILED"
    )
    assert_error(
        await nobody.put(f"{actions}/{created['id']}", json={"type": "LOGIN", "priority": 3}),
        403,
        "ACCESS_FAILED",
    )
    assert_error(await nobody.delete(f"{actions}/{created['id']}"), 403, "ACCESS_FAILED")
    assert (await admin.get(f"{actions}/{created['id']}")).json()["priority"] == 1


async def test_failed_action_update_writes_nothing(admin: Api, actions: str) -> None:
    created = await admin.create(
        actions, {"type": "LOGIN", "priority": 1, "recovery": {"enabled": True}}
    )
    response = await admin.put(
        f"{actions}/{created['id']}",
        json={
            "type": "LOGIN",
            "priority": 4,
            "recovery": {"enabled": False},
            "condition": {"x": 1},
        },
    )
    assert_error(response, 400, "INVALID_DATA", target="condition")
    read = (await admin.get(f"{actions}/{created['id']}")).json()
    assert read == created
