"""Identity providers of every type: created (200, as PingOne answers), read, listed, replaced and
deleted; secrets never shown, sealed at rest and kept by a PUT that leaves them out; validation
errors name their target; the DaVinci-as-IdP body of seed 000 is accepted as written."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.directory.models import User
from gatehouse.federation import service
from gatehouse.federation.models import IdentityProvider
from tests.federation.conftest import (
    SECRETS,
    SOCIAL_CLIENT_TYPES,
    create_provider,
    provider,
)
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

TYPES = ["FACEBOOK", *SOCIAL_CLIENT_TYPES, "MICROSOFT", "PAYPAL", "APPLE", "OPENID_CONNECT"]


def _path(env: str, provider_id: str = "") -> str:
    return f"/environments/{env}/identityProviders" + (f"/{provider_id}" if provider_id else "")


async def _stored(app: Any, provider_id: str) -> IdentityProvider:
    async with app.state.runtime.sessions() as session:
        found = await session.get(IdentityProvider, uuid.UUID(provider_id))
        assert found is not None
        return found


@pytest.mark.parametrize("kind", TYPES)
async def test_every_type_round_trips_without_its_secret(
    app: Any, admin: Api, env: str, kind: str
) -> None:
    body = provider(kind, description="sign on with it", icon={"href": "https://x.example/i.png"})
    created = await create_provider(admin, env, body)
    expected = {key: value for key, value in body.items() if key not in SECRETS}
    assert {key: created[key] for key in expected} == expected
    assert not SECRETS & created.keys()
    assert created["environment"] == {"id": env} and created["createdAt"].endswith("Z")
    links = created["_links"]
    assert links["self"]["href"].endswith(_path(env, created["id"]))
    assert links["attributes"]["href"].endswith(f"{_path(env, created['id'])}/attributes")
    assert (await admin.get(_path(env, created["id"]))).json() == created
    listed = (await admin.get(_path(env))).json()["_embedded"]["identityProviders"]
    assert listed == [created]

    secret_field = next(iter(SECRETS & body.keys()))
    stored = await _stored(app, created["id"])
    assert body[secret_field].strip() not in (stored.secret_sealed or "")
    assert service.provider_secret(app.state.runtime.sealer, stored) == body[secret_field]
    assert service.provider_settings(stored).name == body["name"]


async def test_put_replaces_and_keeps_the_secret_it_leaves_out(
    app: Any, admin: Api, env: str
) -> None:
    created = await create_provider(admin, env, provider("GITHUB", description="old"))
    replaced = await admin.put(
        _path(env, created["id"]),
        json={"type": "GITHUB", "name": "GitHub", "enabled": False, "clientId": "new-client"},
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert (
        body["name"] == "GitHub" and body["enabled"] is False and body["clientId"] == "new-client"
    )
    assert "description" not in body and "clientSecret" not in body
    sealer = app.state.runtime.sealer
    assert service.provider_secret(sealer, await _stored(app, created["id"])) == "github-secret"

    rotated = await admin.put(
        _path(env, created["id"]), json={**provider("GITHUB"), "clientSecret": "rotated"}
    )
    assert rotated.status_code == 200 and "clientSecret" not in rotated.json()
    assert service.provider_secret(sealer, await _stored(app, created["id"])) == "rotated"


async def test_seed_000_davinci_provider_body_is_accepted_as_written(admin: Api, env: str) -> None:
    population = await admin.create(f"/environments/{env}/populations", {"name": "DaVinci users"})
    policy_id = secrets.token_hex(16)
    values = {
        "davinciAppID": secrets.token_hex(16),
        "davinciAppClientSecret": secrets.token_hex(32),
        "populationID": population["id"],
        "envID": env,
        "policyID": policy_id,
    }
    template = """{
        "description": "PingOne DaVinci is a cloud identity orchestration service that acts as an identity provider. It allows end users to authenticate and interact with orchestration flows.",
        "enabled": true,
        "name": "PingOne_DaVinci",
        "type": "OPENID_CONNECT",
        "clientId": "{{davinciAppID}}",
        "clientSecret": "{{davinciAppClientSecret}}",
        "registration":{
            "population":{
                "id":"{{populationID}}"
            }
        },
        "authorizationEndpoint": "https://auth.pingone.com/{{envID}}/davinci/policy/{{policyID}}/authorize",
        "tokenEndpoint": "https://auth.pingone.com/{{envID}}/davinci/token",
        "userInfoEndpoint": "https://auth.pingone.com/{{envID}}/davinci/userinfo",
        "jwksEndpoint": "https://auth.pingone.com/{{envID}}/davinci/jwks",
        "issuer": "https://auth.pingone.com/{{envID}}/davinci",
        "scopes": ["openid", "profile"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
        "discoveryEndpoint": "https://auth.pingone.com/{{envID}}/davinci/.well-known/openid-configuration",
        "pkceMethod":"NONE"
    }"""
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", value)
    response = await admin.post(_path(env), content=template, media_type="application/json")
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["name"] == "PingOne_DaVinci" and created["type"] == "OPENID_CONNECT"
    assert created["registration"] == {"population": {"id": population["id"]}}
    assert created["clientId"] == values["davinciAppID"] and "clientSecret" not in created
    assert created["authorizationEndpoint"].endswith(f"/davinci/policy/{policy_id}/authorize")
    assert created["scopes"] == ["openid", "profile"] and created["pkceMethod"] == "NONE"
    assert created["discoveryEndpoint"].endswith("/davinci/.well-known/openid-configuration")


async def test_oidc_defaults_and_public_client_without_secret(admin: Api, env: str) -> None:
    body = provider("OPENID_CONNECT")
    for name in ("clientSecret", "tokenEndpointAuthMethod", "pkceMethod", "userInfoEndpoint"):
        body.pop(name)
    assert_error(
        await admin.post(_path(env), json=body), 400, "INVALID_DATA", target="clientSecret"
    )
    created = await create_provider(admin, env, {**body, "tokenEndpointAuthMethod": "NONE"})
    assert created["tokenEndpointAuthMethod"] == "NONE" and created["pkceMethod"] == "NONE"
    defaults = await create_provider(admin, env, {**body, "name": "b", "clientSecret": "s"})
    assert defaults["tokenEndpointAuthMethod"] == "CLIENT_SECRET_BASIC"


@pytest.mark.parametrize(
    ("kind", "change", "target"),
    [
        ("FACEBOOK", {"appId": None}, "appId"),
        ("FACEBOOK", {"appSecret": None}, "appSecret"),
        ("GOOGLE", {"clientSecret": None}, "clientSecret"),
        ("GOOGLE", {"enabled": "true"}, "enabled"),
        ("GOOGLE", {"name": ""}, "name"),
        ("GOOGLE", {"icon": {"href": "not a url"}}, "icon.href"),
        ("PAYPAL", {"clientEnvironment": "production"}, "clientEnvironment"),
        ("APPLE", {"clientSecretSigningKey": "not a key"}, "clientSecretSigningKey"),
        ("APPLE", {"keyId": "SHORT"}, "keyId"),
        ("APPLE", {"teamId": "WAYTOOLONG1"}, "teamId"),
        ("APPLE", {"clientSecretSigningKey": None}, "clientSecretSigningKey"),
        ("OPENID_CONNECT", {"scopes": ["profile"]}, "scopes"),
        ("OPENID_CONNECT", {"scopes": []}, "scopes"),
        ("OPENID_CONNECT", {"issuer": "http://idp.example.com"}, "issuer"),
        ("OPENID_CONNECT", {"tokenEndpoint": "ftp://idp.example.com/t"}, "tokenEndpoint"),
        ("OPENID_CONNECT", {"jwksEndpoint": "https://idp.example.com/#x"}, "jwksEndpoint"),
        (
            "OPENID_CONNECT",
            {"tokenEndpointAuthMethod": "PRIVATE_KEY_JWT"},
            "tokenEndpointAuthMethod",
        ),
        ("OPENID_CONNECT", {"pkceMethod": "plain"}, "pkceMethod"),
        (
            "OPENID_CONNECT",
            {"registration": {"population": {"id": str(uuid.uuid4())}}},
            "registration.population.id",
        ),
    ],
)
async def test_invalid_bodies_name_their_target(
    admin: Api, env: str, kind: str, change: dict[str, Any], target: str
) -> None:
    body = {key: value for key, value in {**provider(kind), **change}.items() if value is not None}
    assert_error(await admin.post(_path(env), json=body), 400, "INVALID_DATA", target=target)
    assert (await admin.get(_path(env))).json()["count"] == 0


async def test_type_is_required_and_must_be_known(admin: Api, env: str) -> None:
    assert_error(
        await admin.post(_path(env), json={"name": "x", "enabled": True}),
        400,
        "INVALID_DATA",
        detail="REQUIRED_VALUE",
        target="type",
    )
    assert_error(
        await admin.post(_path(env), json={**provider("GOOGLE"), "type": "PING_ONE"}),
        400,
        "INVALID_DATA",
        target="type",
    )
    for bad in (b"[]", b"not json", b""):
        response = await admin.post(_path(env), content=bad, media_type="application/json")
        assert response.status_code == 400 and response.json()["code"] in (
            "INVALID_DATA",
            "INVALID_REQUEST",
        )
    assert_error(
        await admin.post(_path(env), content=b"x", media_type="text/plain"), 415, "INVALID_REQUEST"
    )


async def test_http_endpoints_are_allowed_only_by_setting(
    admin: Api, env: str, outbound: Any
) -> None:
    body = provider("OPENID_CONNECT", issuer="http://127.0.0.1:9000/as")
    assert_error(await admin.post(_path(env), json=body), 400, "INVALID_DATA", target="issuer")
    outbound(outbound_allow_http=True)
    assert (await create_provider(admin, env, body))["issuer"] == "http://127.0.0.1:9000/as"


async def test_names_are_unique_ignoring_case_and_types_never_change(admin: Api, env: str) -> None:
    first = await create_provider(admin, env, provider("GOOGLE", name="Google"))
    body = assert_error(
        await admin.post(_path(env), json=provider("YAHOO", name="GOOGLE")),
        400,
        "INVALID_DATA",
        detail="UNIQUENESS_VIOLATION",
        target="name",
    )
    assert body["details"][0]["innerError"] == {"existingId": first["id"]}
    other = await create_provider(admin, env, provider("YAHOO", name="Yahoo"))
    assert_error(
        await admin.put(_path(env, other["id"]), json=provider("YAHOO", name="google")),
        400,
        "INVALID_DATA",
        target="name",
    )
    assert_error(
        await admin.put(_path(env, other["id"]), json=provider("AMAZON", name="Yahoo")),
        400,
        "REQUEST_FAILED",
        target="type",
    )
    same = await admin.put(_path(env, first["id"]), json=provider("GOOGLE", name="google"))
    assert same.status_code == 200 and same.json()["name"] == "google"


async def test_providers_belong_to_their_environment(admin: Api, env: str) -> None:
    created = await create_provider(admin, env, provider("GOOGLE"))
    other = (
        await admin.create(
            "/environments",
            {"name": f"other-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"},
        )
    )["id"]
    assert_error(await admin.get(_path(other, created["id"])), 404, "NOT_FOUND")
    assert_error(await admin.delete(_path(other, created["id"])), 404, "NOT_FOUND")
    assert_error(await admin.get(_path(env, "not-a-uuid")), 404, "NOT_FOUND")
    foreign = await admin.create(f"/environments/{other}/populations", {"name": "Theirs"})
    assert_error(
        await admin.post(
            _path(env),
            json=provider("GOOGLE", name="g2", registration={"population": {"id": foreign["id"]}}),
        ),
        400,
        "INVALID_DATA",
        target="registration.population.id",
    )


async def test_delete_is_refused_while_a_sign_on_policy_names_the_provider(
    admin: Api, env: str
) -> None:
    created = await create_provider(admin, env, provider("FACEBOOK"))
    policy = await admin.create(f"/environments/{env}/signOnPolicies", {"name": "Social"})
    action = await admin.create(
        f"/environments/{env}/signOnPolicies/{policy['id']}/actions",
        {"type": "IDENTITY_PROVIDER", "priority": 1, "identityProvider": {"id": created["id"]}},
    )
    assert_error(await admin.delete(_path(env, created["id"])), 400, "REQUEST_FAILED")
    actions = f"/environments/{env}/signOnPolicies/{policy['id']}/actions"
    assert (await admin.delete(f"{actions}/{action['id']}")).status_code == 204
    assert (await admin.delete(_path(env, created["id"]))).status_code == 204
    assert_error(await admin.get(_path(env, created["id"])), 404, "NOT_FOUND")


async def test_users_of_a_deleted_provider_go_back_to_pingone(
    app: Any, admin: Api, env: str
) -> None:
    created = await create_provider(admin, env, provider("GOOGLE"))
    user = await admin.create(f"/environments/{env}/users", {"username": "federated"})
    async with app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            sa.update(User)
            .where(User.id == uuid.UUID(user["id"]))
            .values(identity_provider_type="GOOGLE", identity_provider_id=uuid.UUID(created["id"]))
        )
    assert (await admin.delete(_path(env, created["id"]))).status_code == 204
    shown = (await admin.get(f"/environments/{env}/users/{user['id']}")).json()
    assert shown["identityProvider"]["type"] == "PING_ONE"
    assert shown["identityProvider"].get("id") is None


async def test_every_type_is_documented_in_openapi(admin: Api) -> None:
    schema = (await admin.client.get("/openapi.json")).json()
    operation = schema["paths"]["/v1/environments/{environment_id}/identityProviders"]["post"]
    content = operation["requestBody"]["content"]
    assert {
        "application/json",
        "application/vnd.pingidentity.openid-configuration.discover+json",
    } <= set(content)
    components = schema["components"]["schemas"]
    assert {"OidcProvider", "SamlProvider", "AppleProvider", "FacebookProvider"} <= set(components)
