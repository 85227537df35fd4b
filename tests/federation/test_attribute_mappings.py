"""Identity provider attribute mappings: the CORE username mapping every provider gets, CUSTOM
mappings to writable user attributes, placeholders checked against the provider type, and the
evaluation that just-in-time provisioning will use (EMPTY_ONLY / ALWAYS)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from gatehouse.federation import mappings, service
from gatehouse.federation.mappings import Rule, evaluate, parse
from gatehouse.federation.models import IdentityProvider
from tests.federation.conftest import create_provider, provider
from tests.keys.support import import_certificate
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


def _mappings(env: str, provider_id: str) -> str:
    return f"/environments/{env}/identityProviders/{provider_id}/attributes"


async def _saml(admin: Api, env: str) -> dict[str, Any]:
    certificate = await import_certificate(admin, env)
    return await create_provider(
        admin,
        env,
        {
            "type": "SAML",
            "name": "Corporate SAML",
            "enabled": True,
            "idpEntityId": "https://idp.example.com/saml",
            "spEntityId": "gatehouse",
            "ssoEndpoint": "https://idp.example.com/sso",
            "ssoBinding": "HTTP_POST",
            "idpVerification": {"certificates": [{"id": certificate["id"]}]},
        },
    )


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("FACEBOOK", "${providerAttributes.email}"),
        ("GITHUB", "${providerAttributes.login}"),
        ("MICROSOFT", "${providerAttributes.preferred_username}"),
        ("OPENID_CONNECT", "${providerAttributes.sub}"),
    ],
)
async def test_every_provider_gets_its_core_username_mapping(
    admin: Api, env: str, kind: str, value: str
) -> None:
    created = await create_provider(admin, env, provider(kind))
    listed = (await admin.get(_mappings(env, created["id"]))).json()["_embedded"]["attributes"]
    assert [(m["name"], m["value"], m["update"], m["mappingType"]) for m in listed] == [
        ("username", value, "EMPTY_ONLY", "CORE")
    ]
    assert listed[0]["identityProvider"] == {"id": created["id"]}


async def test_saml_providers_map_the_assertion_subject(admin: Api, env: str) -> None:
    saml = await _saml(admin, env)
    core = (await admin.get(_mappings(env, saml["id"]))).json()["_embedded"]["attributes"][0]
    assert core["value"] == "${samlAssertion.subject}"
    path = _mappings(env, saml["id"])
    uri = "${samlAssertion.http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress}"
    created = await admin.create(path, {"name": "email", "value": uri, "update": "ALWAYS"})
    assert created["value"] == uri
    assert_error(
        await admin.post(
            path, json={"name": "nickname", "value": "${providerAttributes.x}", "update": "ALWAYS"}
        ),
        400,
        "INVALID_DATA",
        target="value",
    )


async def test_custom_mapping_crud(admin: Api, env: str) -> None:
    created_provider = await create_provider(admin, env, provider("GOOGLE"))
    path = _mappings(env, created_provider["id"])
    created = await admin.create(
        path,
        {"name": "name.given", "value": "${providerAttributes.given_name}", "update": "EMPTY_ONLY"},
    )
    assert created["mappingType"] == "CUSTOM" and created["update"] == "EMPTY_ONLY"
    assert created["_links"]["self"]["href"].endswith(f"{path}/{created['id']}")
    assert (await admin.get(f"{path}/{created['id']}")).json() == created
    updated = await admin.put(
        f"{path}/{created['id']}",
        json={
            "name": "name.formatted",
            "value": "${providerAttributes.given_name} ${providerAttributes.family_name}",
            "update": "ALWAYS",
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "name.formatted" and updated.json()["update"] == "ALWAYS"
    assert (await admin.delete(f"{path}/{created['id']}")).status_code == 204
    assert_error(await admin.get(f"{path}/{created['id']}"), 404, "NOT_FOUND")
    assert (await admin.get(path)).json()["count"] == 1


async def test_core_mapping_changes_only_its_value(admin: Api, env: str) -> None:
    created = await create_provider(admin, env, provider("OPENID_CONNECT"))
    path = _mappings(env, created["id"])
    core = (await admin.get(path)).json()["_embedded"]["attributes"][0]
    changed = await admin.put(
        f"{path}/{core['id']}",
        json={"name": "username", "value": "${providerAttributes.email}", "update": "EMPTY_ONLY"},
    )
    assert changed.status_code == 200 and changed.json()["value"] == "${providerAttributes.email}"
    for body, target in [
        ({"name": "email", "value": "x", "update": "EMPTY_ONLY"}, "name"),
        ({"name": "username", "value": "x", "update": "ALWAYS"}, "update"),
        (
            {"name": "username", "value": "x", "update": "EMPTY_ONLY", "mappingType": "CUSTOM"},
            "mappingType",
        ),
    ]:
        assert_error(
            await admin.put(f"{path}/{core['id']}", json=body), 400, "INVALID_DATA", target=target
        )
    assert_error(await admin.delete(f"{path}/{core['id']}"), 400, "REQUEST_FAILED")


@pytest.mark.parametrize(
    ("body", "target", "detail"),
    [
        ({"name": "population.id", "value": "x", "update": "ALWAYS"}, "name", "INVALID_VALUE"),
        ({"name": "enabled", "value": "true", "update": "ALWAYS"}, "name", "INVALID_VALUE"),
        ({"name": "lifecycle.status", "value": "x", "update": "ALWAYS"}, "name", "INVALID_VALUE"),
        ({"name": "mfaEnabled", "value": "x", "update": "ALWAYS"}, "name", "INVALID_VALUE"),
        ({"name": "id", "value": "x", "update": "ALWAYS"}, "name", "INVALID_VALUE"),
        ({"name": "name", "value": "x", "update": "ALWAYS"}, "name", "INVALID_VALUE"),
        ({"name": "favouriteColour", "value": "x", "update": "ALWAYS"}, "name", "INVALID_VALUE"),
        ({"name": "username", "value": "x", "update": "ALWAYS"}, "name", "UNIQUENESS_VIOLATION"),
        ({"name": "email", "value": "${user.email}", "update": "ALWAYS"}, "value", "INVALID_VALUE"),
        (
            {"name": "email", "value": "${samlAssertion.mail}", "update": "ALWAYS"},
            "value",
            "INVALID_VALUE",
        ),
        (
            {"name": "email", "value": "${providerAttributes.email", "update": "ALWAYS"},
            "value",
            "INVALID_VALUE",
        ),
        ({"name": "email", "value": "", "update": "ALWAYS"}, "value", "INVALID_VALUE"),
        ({"name": "email", "value": "x", "update": "SOMETIMES"}, "update", "INVALID_VALUE"),
        ({"name": "email", "value": "x"}, "update", "REQUIRED_VALUE"),
        (
            {"name": "email", "value": "x", "update": "ALWAYS", "mappingType": "CORE"},
            "mappingType",
            "INVALID_VALUE",
        ),
    ],
)
async def test_invalid_mappings_name_their_target(
    admin: Api, env: str, body: dict[str, Any], target: str, detail: str
) -> None:
    created = await create_provider(admin, env, provider("GOOGLE"))
    assert_error(
        await admin.post(_mappings(env, created["id"]), json=body),
        400,
        "INVALID_DATA",
        detail=detail,
        target=target,
    )


async def test_custom_user_attributes_can_be_mapped(admin: Api, env: str) -> None:
    schema = (await admin.get(f"/environments/{env}/schemas")).json()["_embedded"]["schemas"][0]
    await admin.create(
        f"/environments/{env}/schemas/{schema['id']}/attributes",
        {"name": "department", "type": "STRING", "enabled": True},
    )
    created = await create_provider(admin, env, provider("MICROSOFT"))
    mapped = await admin.create(
        _mappings(env, created["id"]),
        {"name": "department", "value": "${providerAttributes.department}", "update": "ALWAYS"},
    )
    assert mapped["name"] == "department"


async def test_mappings_of_another_provider_are_not_found(admin: Api, env: str) -> None:
    first = await create_provider(admin, env, provider("GOOGLE"))
    second = await create_provider(admin, env, provider("YAHOO"))
    core = (await admin.get(_mappings(env, first["id"]))).json()["_embedded"]["attributes"][0]
    assert_error(await admin.get(f"{_mappings(env, second['id'])}/{core['id']}"), 404, "NOT_FOUND")
    assert_error(await admin.get(_mappings(env, str(uuid.uuid4()))), 404, "NOT_FOUND")


async def test_mapping_rules_evaluate_a_providers_claims(app: Any, admin: Api, env: str) -> None:
    created = await create_provider(admin, env, provider("OPENID_CONNECT"))
    path = _mappings(env, created["id"])
    await admin.create(
        path, {"name": "email", "value": "${providerAttributes.email}", "update": "ALWAYS"}
    )
    await admin.create(
        path,
        {
            "name": "address.locality",
            "value": "${providerAttributes.address.locality}",
            "update": "EMPTY_ONLY",
        },
    )
    claims = {"sub": "248289761001", "email": "jane@example.com", "address": {"locality": "Oslo"}}
    async with app.state.runtime.sessions() as session:
        found = await session.get(IdentityProvider, uuid.UUID(created["id"]))
        assert found is not None
        rules = await service.mapping_rules(session, found)
    data = {"providerAttributes": claims}
    assert evaluate(rules, data) == {
        "username": "248289761001",
        "email": "jane@example.com",
        "address.locality": "Oslo",
    }
    current = {"username": "jane", "email": "old@example.com", "address.locality": "Bergen"}
    assert evaluate(rules, data, current) == {"email": "jane@example.com"}


def _rule(name: str, value: str, update: str = "ALWAYS", kind: str = "GOOGLE") -> Rule:
    return Rule(name, parse(value, kind), update)


def test_evaluation_honours_update_and_empty_values() -> None:
    rules = [
        _rule("email", "${providerAttributes.email}", "EMPTY_ONLY"),
        _rule("nickname", "${providerAttributes.nick}"),
        _rule("title", "Member"),
        _rule(
            "name.formatted",
            "${providerAttributes.name.givenName} ${providerAttributes.name.familyName}",
        ),
        _rule("externalId", "${providerAttributes.https://example.com/id}"),
    ]
    claims = {
        "email": "a@example.com",
        "nick": "",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "https://example.com/id": 42,
    }
    data = {mappings.PROVIDER_ATTRIBUTES: claims}
    assert evaluate(rules, data, {"email": "", "nickname": "kept"}) == {
        "email": "a@example.com",
        "title": "Member",
        "name.formatted": "Ada Lovelace",
        "externalId": 42,
    }
    assert "email" not in evaluate(rules, data, {"email": "b@example.com"})
    partial = {mappings.PROVIDER_ATTRIBUTES: {"name": {"givenName": "Ada"}}}
    assert "name.formatted" not in evaluate(rules, partial)


def test_saml_evaluation_reads_the_assertion() -> None:
    rules = [
        _rule("username", "${samlAssertion.subject}", "EMPTY_ONLY", "SAML"),
        _rule("email", "${samlAssertion.mail}", kind="SAML"),
        _rule("type", "${samlAssertion.groups}", kind="SAML"),
    ]
    assertion = {"subject": "jdoe", "mail": "jdoe@example.com", "groups": ["a", "b"]}
    assert evaluate(rules, {mappings.SAML_ASSERTION: assertion}) == {
        "username": "jdoe",
        "email": "jdoe@example.com",
        "type": ["a", "b"],
    }
    with pytest.raises(mappings.MappingError):
        parse("${providerAttributes.email}", "SAML")
