"""/applications/{id}/attributes: the claims an application's ID tokens and userinfo carry, mapped
from user attributes (`${user.<path>}`) or literals; the system's `sub` mapping."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.applications import support
from tests.applications.bodies import application
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

RESERVED = [
    "acr",
    "amr",
    "at_hash",
    "aud",
    "auth_time",
    "azp",
    "client_id",
    "exp",
    "iat",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "org",
    "scope",
    "sid",
]


async def web_app(admin: Api, env: str) -> str:
    created = await admin.create(f"/environments/{env}/applications", application("WEB_APP"))
    return f"/environments/{env}/applications/{created['id']}/attributes"


def mapping(name: str = "email", value: str = "${user.email}", **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": value, "required": False, **extra}


async def sub_mapping(admin: Api, href: str) -> dict[str, Any]:
    listed = (await admin.get(href)).json()["_embedded"]["attributes"]
    return next(item for item in listed if item["name"] == "sub")


async def test_custom_mapping_is_created_read_replaced_and_deleted(
    app: Any, admin: Api, env: str
) -> None:
    href = await web_app(admin, env)
    created = await admin.create(href, mapping("given_name", "${user.name.given}"))
    assert created["mappingType"] == "CUSTOM" and created["required"] is False
    assert created["idToken"] is True and created["userInfo"] is True
    assert created["application"] == {"id": href.split("/")[-2]}
    one = f"{href}/{created['id']}"
    assert created["_links"]["self"]["href"].endswith(one)
    assert (await admin.get(one)).json() == created
    names = [item["name"] for item in (await admin.get(href)).json()["_embedded"]["attributes"]]
    assert names == ["sub", "given_name"]

    scope = await support.openid_scope(app, env, "profile")
    body = mapping(
        "first_name",
        "${user.name.given}",
        required=True,
        idToken=False,
        nameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
        oidcScopes=[scope],
    )
    replaced = await admin.put(one, json=body)
    assert replaced.status_code == 200, replaced.text
    for name, value in body.items():
        assert replaced.json()[name] == value, name
    assert replaced.json()["createdAt"] == created["createdAt"]

    assert (await admin.delete(one)).status_code == 204
    assert_error(await admin.get(one), 404, "NOT_FOUND")


@pytest.mark.parametrize("name", [*RESERVED, "SUB", "Nonce"])
async def test_reserved_claim_names_are_refused(admin: Api, env: str, name: str) -> None:
    href = await web_app(admin, env)
    assert_error(
        await admin.post(href, json=mapping(name)),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="name",
    )
    custom = await admin.create(href, mapping())
    assert_error(
        await admin.put(f"{href}/{custom['id']}", json=mapping(name)),
        400,
        "INVALID_DATA",
        target="name",
    )


async def test_the_sub_mapping_value_can_change_but_it_stays(admin: Api, env: str) -> None:
    href = await web_app(admin, env)
    sub = await sub_mapping(admin, href)
    one = f"{href}/{sub['id']}"
    changed = await admin.put(one, json=mapping("sub", "${user.username}", idToken=False))
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["value"] == "${user.username}" and body["mappingType"] == "CORE"
    assert body["required"] is True and body["idToken"] is True
    assert_error(
        await admin.put(one, json=mapping("subject", "${user.id}")),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="name",
    )
    assert_error(await admin.delete(one), 400, "REQUEST_FAILED")
    assert (await admin.get(one)).json()["value"] == "${user.username}"


async def test_names_are_unique_per_application_ignoring_case(admin: Api, env: str) -> None:
    href = await web_app(admin, env)
    first = await admin.create(href, mapping("email"))
    error = assert_error(
        await admin.post(href, json=mapping("EMAIL")),
        400,
        "INVALID_DATA",
        detail="UNIQUENESS_VIOLATION",
        target="name",
    )
    assert error["details"][0]["innerError"]["existingId"] == first["id"]
    second = await admin.create(href, mapping("mail"))
    assert_error(
        await admin.put(f"{href}/{second['id']}", json=mapping("Email")),
        400,
        "INVALID_DATA",
        detail="UNIQUENESS_VIOLATION",
    )
    renamed = await admin.put(f"{href}/{first['id']}", json=mapping("E-Mail"))
    assert renamed.json()["name"] == "E-Mail"
    await admin.create(await web_app(admin, env), mapping("email"))


@pytest.mark.parametrize(
    "value",
    [
        "${user.id}",
        "${user.name.honorificSuffix}",
        "${user.address.countryCode}",
        "${user.lifecycle.status}",
        "${user.population.id}",
        "${user.photo.href}",
        "${user.mfaEnabled}",
        "Acme Corporation",
        "https://acme.example.com/",
    ],
)
async def test_values_are_known_user_attributes_or_literals(
    admin: Api, env: str, value: str
) -> None:
    created = await admin.create(await web_app(admin, env), mapping("claim", value))
    assert created["value"] == value


@pytest.mark.parametrize(
    "value",
    [
        "${user.password}",
        "${user.name}",
        "${user.name.nick}",
        "${env.id}",
        "${user.}",
        "${user.email",
        "Hello ${user.name.given}",
        "${user.name.given} ${user.name.family}",
    ],
)
async def test_values_outside_the_user_schema_are_refused(admin: Api, env: str, value: str) -> None:
    assert_error(
        await admin.post(await web_app(admin, env), json=mapping("claim", value)),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="value",
    )


async def test_custom_schema_attributes_can_be_mapped(app: Any, admin: Api, env: str) -> None:
    href = await web_app(admin, env)
    assert_error(
        await admin.post(href, json=mapping("color", "${user.favoriteColor}")),
        400,
        "INVALID_DATA",
        target="value",
    )
    await support.schema_attribute(app, env, "favoriteColor")
    await support.schema_attribute(app, env, "preferences", "JSON")
    await admin.create(href, mapping("color", "${user.favoriteColor}"))
    await admin.create(href, mapping("theme", "${user.preferences.theme}"))
    assert_error(
        await admin.post(href, json=mapping("shade", "${user.favoriteColor.shade}")),
        400,
        "INVALID_DATA",
        target="value",
    )


async def test_oidc_scopes_are_scopes_of_the_openid_resource(
    app: Any, admin: Api, env: str
) -> None:
    href = await web_app(admin, env)
    email = await support.openid_scope(app, env, "email")
    custom = await support.custom_resource(app, env, "orders", ["read"])
    created = await admin.create(href, mapping(oidcScopes=[email]))
    assert created["oidcScopes"] == [email]
    for scopes, detail, target in (
        ([custom.scopes["read"]], "INVALID_VALUE", "oidcScopes"),
        ([str(uuid.uuid4())], "INVALID_VALUE", "oidcScopes"),
        (["email"], "INVALID_VALUE", "oidcScopes"),
        ([], "INVALID_VALUE", "oidcScopes"),
    ):
        assert_error(
            await admin.post(href, json=mapping("mail", oidcScopes=scopes)),
            400,
            "INVALID_DATA",
            detail=detail,
            target=target,
        )


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [
        ({"value": "${user.email}", "required": True}, "REQUIRED_VALUE", "name"),
        ({"name": "email", "required": True}, "REQUIRED_VALUE", "value"),
        ({"name": "email", "value": "${user.email}"}, "REQUIRED_VALUE", "required"),
        (mapping(name=""), "INVALID_VALUE", "name"),
        (mapping(name="n" * 257), "SIZE_LIMIT_EXCEEDED", "name"),
        (mapping(value="v" * 1025), "SIZE_LIMIT_EXCEEDED", "value"),
        (mapping(required="sometimes"), "INVALID_VALUE", "required"),
        (mapping(mappingType="CORE"), "INVALID_VALUE", "mappingType"),
        (mapping(mappingType="OTHER"), "INVALID_VALUE", "mappingType"),
        (mapping(idToken=False, userInfo=False), "INVALID_VALUE", "idToken"),
    ],
)
async def test_invalid_mappings_are_refused_and_write_nothing(
    admin: Api, env: str, body: dict[str, Any], detail: str, target: str
) -> None:
    href = await web_app(admin, env)
    assert_error(
        await admin.post(href, json=body), 400, "INVALID_DATA", detail=detail, target=target
    )
    assert (await admin.get(href)).json()["count"] == 1  # the sub mapping only


async def test_mapping_ids_of_another_application_are_not_found(admin: Api, env: str) -> None:
    owner = await web_app(admin, env)
    stranger = await web_app(admin, env)
    created = await admin.create(owner, mapping())
    for response in (
        await admin.get(f"{stranger}/{created['id']}"),
        await admin.put(f"{stranger}/{created['id']}", json=mapping()),
        await admin.delete(f"{stranger}/{created['id']}"),
        await admin.get(f"{stranger}/{uuid.uuid4()}"),
    ):
        assert_error(response, 404, "NOT_FOUND")
