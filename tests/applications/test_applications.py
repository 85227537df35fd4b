"""/applications: create, read, replace and delete OIDC applications of every type; what creating
one provisions; who may manage them; isolation between environments."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from joserfc.jwk import RSAKey

from gatehouse.access.models import RoleAssignment
from gatehouse.applications.models import (
    Application,
    ApplicationAttributeMapping,
    ApplicationGrant,
    ApplicationSecret,
)
from tests.applications import support
from tests.applications.bodies import BY_TYPE, application
from tests.support.actors import worker
from tests.support.api import Api, Credentials, assert_error

pytestmark = pytest.mark.anyio


def apps(env: str) -> str:
    return f"/environments/{env}/applications"


async def new_environment(admin: Api) -> str:
    body = await admin.create(
        "/environments",
        {"name": f"other-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"},
    )
    return body["id"]


@pytest.mark.parametrize("kind", sorted(BY_TYPE))
async def test_each_oidc_type_is_created_read_replaced_and_deleted(
    admin: Api, env: str, kind: str
) -> None:
    body = application(kind, description="first")
    created = await admin.create(apps(env), body)
    assert created["type"] == kind and created["protocol"] == "OPENID_CONNECT"
    assert created["environment"] == {"id": env}
    for name in ("name", "description", "enabled", "grantTypes", "tokenEndpointAuthMethod"):
        assert created[name] == body[name]
    href = f"{apps(env)}/{created['id']}"
    assert created["_links"]["self"]["href"].endswith(href)
    assert (await admin.get(href)).json() == created

    replaced = await admin.put(href, json={**body, "description": "second", "enabled": False})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["description"] == "second" and replaced.json()["enabled"] is False
    assert replaced.json()["createdAt"] == created["createdAt"]
    assert (await admin.get(href)).json()["description"] == "second"

    assert (await admin.delete(href)).status_code == 204
    assert_error(await admin.get(href), 404, "NOT_FOUND")
    assert_error(await admin.delete(href), 404, "NOT_FOUND")


async def test_created_application_renders_pingone_defaults(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WORKER"))
    assert created["pkceEnforcement"] == "OPTIONAL"
    assert created["parRequirement"] == "OPTIONAL" and created["parTimeout"] == 60
    assert created["refreshTokenDuration"] == 2592000
    assert created["additionalRefreshTokenReplayProtectionEnabled"] is True
    assert created["deviceTimeout"] == 600 and created["devicePollingInterval"] == 5
    assert created["requestScopesForMultipleResourcesEnabled"] is False
    assert created["opSessionCheckEnabled"] is False and created["hiddenFromAppPortal"] is False
    assert created["redirectUris"] == [] and created["responseTypes"] == []
    assert "refreshTokenRollingDuration" not in created and "jwks" not in created


async def test_every_oidc_setting_is_stored_and_rendered(app: Any, admin: Api, env: str) -> None:
    group_id = await support.group(app, env, "app-users")
    jwks = orjson.dumps({"keys": [RSAKey.generate_key(2048).as_dict(private=False)]}).decode()
    settings: dict[str, Any] = {
        "description": "Every setting",
        "grantTypes": ["AUTHORIZATION_CODE", "IMPLICIT", "REFRESH_TOKEN", "DEVICE_CODE", "CIBA"],
        "responseTypes": ["CODE", "ID_TOKEN", "TOKEN"],
        "tokenEndpointAuthMethod": "PRIVATE_KEY_JWT",
        "jwks": jwks,
        "redirectUris": ["https://*.example.com/cb", "com.example.app:/cb", "http://[::1]:9/cb"],
        "allowWildcardInRedirectUris": True,
        "postLogoutRedirectUris": ["https://example.com/bye"],
        "pkceEnforcement": "REQUIRED",
        "parRequirement": "REQUIRED",
        "parTimeout": 120,
        "refreshTokenDuration": 3600,
        "refreshTokenRollingDuration": 7200,
        "refreshTokenRollingGracePeriodDuration": 30,
        "refreshTokenType": "OPAQUE_TOKEN",
        "additionalRefreshTokenReplayProtectionEnabled": False,
        "requireSignedRequestObject": True,
        "supportUnsignedRequestObject": False,
        "includeX5t": True,
        "idpSignoff": True,
        "opSessionCheckEnabled": True,
        "homePageUrl": "https://example.com/",
        "initiateLoginUri": "https://example.com/login",
        "targetLinkUri": "https://example.com/target",
        "loginPageUrl": "https://login.example.com/",
        "corsSettings": {
            "behavior": "ALLOW_SPECIFIC_ORIGINS",
            "origins": ["https://*.example.com", "http://localhost:3000", "http://10.0.0.1"],
        },
        "requestScopesForMultipleResourcesEnabled": True,
        "devicePathId": "living-room_tv",
        "deviceCustomVerificationUri": "https://example.com/device",
        "deviceTimeout": 900,
        "devicePollingInterval": 10,
        "mobile": {
            "bundleId": "com.example.app",
            "packageName": "com.example.app",
            "passcodeRefreshDuration": {"duration": 45, "timeUnit": "SECONDS"},
            "integrityDetection": {
                "mode": "ENABLED",
                "excludedPlatforms": ["IOS"],
                "cacheDuration": {"amount": 24, "units": "HOURS"},
                "googlePlay": {"verificationType": "GOOGLE", "serviceAccountCredentials": "{}"},
            },
            "push": {"numberMatching": {"type": "SELECT_NUMBER"}},
            "uriPrefix": "https://app.example.com",
        },
        "accessControl": {
            "role": {"type": "ADMIN_USERS_ONLY"},
            "group": {"type": "ANY_GROUP", "groups": [{"id": group_id}]},
        },
        "hiddenFromAppPortal": True,
        "icon": {"id": str(uuid.uuid4()), "href": "https://cdn.example.com/icon.png"},
    }
    created = await admin.create(apps(env), application("NATIVE_APP", **settings))
    for name, value in settings.items():
        assert created[name] == value, name
    assert (await admin.get(f"{apps(env)}/{created['id']}")).json() == created


async def test_explicit_null_replay_protection_means_false(admin: Api, env: str) -> None:
    created = await admin.create(
        apps(env), application("WEB_APP", additionalRefreshTokenReplayProtectionEnabled=None)
    )
    assert created["additionalRefreshTokenReplayProtectionEnabled"] is False


async def test_read_only_properties_in_a_body_are_ignored(admin: Api, env: str) -> None:
    forged = str(uuid.uuid4())
    created = await admin.create(
        apps(env),
        application(
            "WORKER", id=forged, createdAt="2000-01-01T00:00:00Z", clientSecret="s3cr3t-value"
        ),
    )
    assert created["id"] != forged and created["createdAt"] != "2000-01-01T00:00:00Z"
    assert "clientSecret" not in created


async def test_list_embeds_every_application_of_the_environment(admin: Api, env: str) -> None:
    ids = [(await admin.create(apps(env), application(kind)))["id"] for kind in sorted(BY_TYPE)]
    other = await new_environment(admin)
    await admin.create(apps(other), application("WORKER"))
    listed = (await admin.get(apps(env))).json()
    assert [item["id"] for item in listed["_embedded"]["applications"]] == ids
    assert listed["count"] == listed["size"] == len(ids)
    assert listed["_links"]["self"]["href"].endswith(apps(env))
    assert "next" not in listed["_links"]


async def test_creating_provisions_a_secret_and_the_sub_mapping(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WEB_APP"))
    href = f"{apps(env)}/{created['id']}"
    secret = (await admin.get(f"{href}/secret")).json()["secret"]
    assert len(secret) >= 64
    mappings = (await admin.get(f"{href}/attributes")).json()["_embedded"]["attributes"]
    assert [
        (m["name"], m["value"], m["mappingType"], m["required"], m["idToken"], m["userInfo"])
        for m in mappings
    ] == [("sub", "${user.id}", "CORE", True, True, True)]


async def test_application_responses_never_contain_the_secret(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WORKER"))
    href = f"{apps(env)}/{created['id']}"
    secret = (await admin.get(f"{href}/secret")).json()["secret"]
    for response in (
        await admin.get(href),
        await admin.get(apps(env)),
        await admin.put(href, json=application("WORKER", name="renamed")),
    ):
        assert response.status_code == 200
        assert secret not in response.text
    assert "secret" not in created and "clientSecret" not in created


async def test_public_clients_get_no_secret(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("SINGLE_PAGE_APP"))
    assert "secret" not in created["_links"]
    assert_error(await admin.get(f"{apps(env)}/{created['id']}/secret"), 400, "REQUEST_FAILED")


async def test_the_created_worker_gets_tokens_with_its_secret(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WORKER"))
    secret = (await admin.get(f"{apps(env)}/{created['id']}/secret")).json()["secret"]
    response = await admin.client_credentials_token(env, created["id"], secret)
    assert response.status_code == 200, response.text


async def test_a_disabled_application_gets_no_tokens(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WORKER"))
    href = f"{apps(env)}/{created['id']}"
    secret = (await admin.get(f"{href}/secret")).json()["secret"]
    await admin.put(href, json=application("WORKER", enabled=False))
    response = await admin.client_credentials_token(env, created["id"], secret)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("protocol", ["WS_FED", "EXTERNAL_LINK"])
async def test_other_protocols_are_refused_for_now(admin: Api, env: str, protocol: str) -> None:
    body = {"name": "x", "enabled": True, "protocol": protocol, "type": "WEB_APP"}
    error = assert_error(
        await admin.post(apps(env), json=body),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="protocol",
    )
    assert "not supported yet" in error["details"][0]["message"]


async def test_a_missing_or_unknown_protocol_is_invalid_data(admin: Api, env: str) -> None:
    body = application("WORKER")
    del body["protocol"]
    assert_error(
        await admin.post(apps(env), json=body),
        400,
        "INVALID_DATA",
        detail="REQUIRED_VALUE",
        target="protocol",
    )
    assert_error(
        await admin.post(apps(env), json={**body, "protocol": "OAUTH1"}),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="protocol",
    )


async def test_the_type_cannot_change_on_replace(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WEB_APP"))
    assert_error(
        await admin.put(f"{apps(env)}/{created['id']}", json=application("CUSTOM_APP")),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="type",
    )


async def test_replace_to_a_public_client_drops_the_secret_and_back_makes_one(
    admin: Api, env: str
) -> None:
    confidential = application(
        "CUSTOM_APP", grantTypes=["AUTHORIZATION_CODE"], responseTypes=["CODE"]
    )
    created = await admin.create(apps(env), confidential)
    href = f"{apps(env)}/{created['id']}"
    first = (await admin.get(f"{href}/secret")).json()["secret"]
    public = await admin.put(href, json={**confidential, "tokenEndpointAuthMethod": "NONE"})
    assert public.status_code == 200 and "secret" not in public.json()["_links"]
    assert_error(await admin.get(f"{href}/secret"), 400, "REQUEST_FAILED")
    await admin.put(href, json=confidential)
    second = (await admin.get(f"{href}/secret")).json()["secret"]
    assert second != first and len(second) >= 64


async def test_a_failed_create_writes_nothing(app: Any, admin: Api, env: str) -> None:
    before = [
        await support.count(app, Application),
        await support.count(app, ApplicationSecret),
        await support.count(app, ApplicationAttributeMapping),
    ]
    bad = application("WEB_APP", responseTypes=[])  # AUTHORIZATION_CODE without CODE
    assert_error(await admin.post(apps(env), json=bad), 400, "INVALID_DATA")
    assert (await admin.get(apps(env))).json()["_embedded"]["applications"] == []
    after = [
        await support.count(app, Application),
        await support.count(app, ApplicationSecret),
        await support.count(app, ApplicationAttributeMapping),
    ]
    assert after == before


async def test_a_failed_replace_changes_nothing(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WEB_APP"))
    href = f"{apps(env)}/{created['id']}"
    bad = application("WEB_APP", name="renamed", redirectUris=["http://example.com/cb"])
    assert_error(await admin.put(href, json=bad), 400, "INVALID_DATA", target="redirectUris")
    assert (await admin.get(href)).json() == created


async def test_deleting_removes_secret_grants_mappings_and_role_assignments(
    app: Any, admin: Api, env: str
) -> None:
    resource = await support.custom_resource(app, env, "orders", ["orders:read"])
    created = await admin.create(apps(env), application("WORKER", assignActorRoles=True))
    href = f"{apps(env)}/{created['id']}"
    await admin.create(
        f"{href}/grants",
        {"resource": {"id": resource.id}, "scopes": [{"id": resource.scopes["orders:read"]}]},
    )
    app_id = uuid.UUID(created["id"])
    assert await support.count(app, RoleAssignment, RoleAssignment.actor_id == app_id) > 0
    assert (await admin.delete(href)).status_code == 204
    for model, column in (
        (ApplicationSecret, ApplicationSecret.application_id),
        (ApplicationGrant, ApplicationGrant.application_id),
        (ApplicationAttributeMapping, ApplicationAttributeMapping.application_id),
        (RoleAssignment, RoleAssignment.actor_id),
    ):
        assert await support.count(app, model, column == app_id) == 0, model


async def test_assign_actor_roles_gives_a_worker_its_creators_roles(
    app: Any, admin: Api, env: str
) -> None:
    developer = await worker(
        app, admin, env, [("Client Application Developer", "ENVIRONMENT", env)]
    )
    for assign, status in ((True, 200), (False, 403)):
        created = await developer.create(apps(env), application("WORKER", assignActorRoles=assign))
        assert created["assignActorRoles"] is assign
        secret = (await developer.get(f"{apps(env)}/{created['id']}/secret")).json()["secret"]
        token = await admin.token_for(env, created["id"], secret)
        assert (await admin.with_token(token).get(apps(env))).status_code == status


async def test_assign_actor_roles_is_kept_from_the_create(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WORKER", assignActorRoles=True))
    replaced = await admin.put(
        f"{apps(env)}/{created['id']}", json=application("WORKER", assignActorRoles=False)
    )
    assert replaced.json()["assignActorRoles"] is True


async def test_unknown_content_types_are_415(admin: Api, env: str) -> None:
    created = await admin.create(apps(env), application("WORKER"))
    href = f"{apps(env)}/{created['id']}"
    text = "name=x"
    for response in (
        await admin.post(apps(env), content=text, media_type="text/plain"),
        await admin.post(apps(env), content=b"{}", media_type="application/xml"),
        await admin.put(href, content=text, media_type="application/x-www-form-urlencoded"),
        await admin.post(f"{href}/secret", content=text, media_type="text/plain"),
        await admin.post(f"{href}/grants", content=text, media_type="text/plain"),
        await admin.post(f"{href}/attributes", content=text, media_type="text/plain"),
        await admin.post(apps(env), content=b'{"name":"x"}'),
    ):
        assert_error(response, 415, "INVALID_REQUEST")


async def test_malformed_bodies_are_400_not_500(admin: Api, env: str) -> None:
    assert_error(
        await admin.post(apps(env), content=b"{not json", media_type="application/json"),
        400,
        "INVALID_REQUEST",
    )
    assert_error(
        await admin.post(apps(env), content=b"", media_type="application/json"),
        400,
        "INVALID_REQUEST",
    )
    for body in ([], "text", 42, {"protocol": ["OPENID_CONNECT"]}):
        response = await admin.post(apps(env), json=body)
        assert_error(response, 400, "INVALID_DATA")


async def test_ids_of_another_environment_are_not_found(admin: Api, env: str) -> None:
    other = await new_environment(admin)
    foreign = await admin.create(apps(other), application("WORKER"))
    href = f"{apps(env)}/{foreign['id']}"
    body = application("WORKER")
    for response in (
        await admin.get(href),
        await admin.put(href, json=body),
        await admin.delete(href),
        await admin.get(f"{href}/secret"),
        await admin.post(f"{href}/secret"),
        await admin.delete(f"{href}/secret"),
        await admin.get(f"{href}/grants"),
        await admin.get(f"{href}/attributes"),
        await admin.get(f"{apps(env)}/{uuid.uuid4()}"),
        await admin.get(f"{apps(env)}/not-a-uuid"),
    ):
        assert_error(response, 404, "NOT_FOUND")
    assert (await admin.get(f"{apps(other)}/{foreign['id']}")).status_code == 200


async def test_identity_data_admin_cannot_touch_applications(
    app: Any, admin: Api, env: str
) -> None:
    created = await admin.create(apps(env), application("WORKER"))
    href = f"{apps(env)}/{created['id']}"
    identity_admin = await worker(app, admin, env, [("Identity Data Admin", "ENVIRONMENT", env)])
    for response in (
        await identity_admin.get(apps(env)),
        await identity_admin.post(apps(env), json=application("WORKER")),
        await identity_admin.get(href),
        await identity_admin.put(href, json=application("WORKER")),
        await identity_admin.delete(href),
        await identity_admin.get(f"{href}/secret"),
        await identity_admin.post(f"{href}/secret"),
        await identity_admin.get(f"{href}/grants"),
        await identity_admin.get(f"{href}/attributes"),
    ):
        assert_error(response, 403, "ACCESS_FAILED", detail="INSUFFICIENT_PERMISSIONS")


async def test_client_application_developer_manages_applications(
    app: Any, admin: Api, env: str
) -> None:
    developer = await worker(
        app, admin, env, [("Client Application Developer", "ENVIRONMENT", env)]
    )
    created = await developer.create(apps(env), application("WEB_APP"))
    href = f"{apps(env)}/{created['id']}"
    assert (await developer.get(apps(env))).json()["count"] == 2  # with the developer itself
    assert (await developer.put(href, json=application("WEB_APP", name="x"))).status_code == 200
    assert (await developer.post(f"{href}/secret")).status_code == 200
    mapping = await developer.create(
        f"{href}/attributes", {"name": "email", "value": "${user.email}", "required": False}
    )
    assert (await developer.delete(f"{href}/attributes/{mapping['id']}")).status_code == 204
    assert (await developer.delete(href)).status_code == 204


async def test_a_developer_of_one_environment_cannot_manage_another(
    app: Any, admin: Api, env: str
) -> None:
    other = await new_environment(admin)
    developer = await worker(
        app, admin, env, [("Client Application Developer", "ENVIRONMENT", env)]
    )
    assert_error(await developer.get(apps(other)), 403, "ACCESS_FAILED")
    assert_error(
        await developer.post(apps(other), json=application("WORKER")), 403, "ACCESS_FAILED"
    )


async def test_the_last_organization_admin_application_cannot_be_deleted(
    admin: Api, credentials: Credentials
) -> None:
    href = f"{apps(credentials.environment_id)}/{credentials.client_id}"
    assert_error(await admin.delete(href), 400, "REQUEST_FAILED")
    assert (await admin.get(href)).status_code == 200
    assert (await admin.get(apps(credentials.environment_id))).status_code == 200
