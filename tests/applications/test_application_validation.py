"""Every rule an OIDC application body follows (applications.service's docstring lists them): each
broken rule is 400 INVALID_DATA with a detail naming the property to fix; the rules' edges that
are allowed are created."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from joserfc.jwk import ECKey, OctKey, RSAKey

from tests.applications import support
from tests.applications.bodies import application
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio

PUBLIC_JWKS = orjson.dumps({"keys": [ECKey.generate_key("P-256").as_dict(private=False)]}).decode()
PRIVATE_JWKS = orjson.dumps({"keys": [RSAKey.generate_key(2048).as_dict(private=True)]}).decode()
OCT_JWKS = orjson.dumps({"keys": [OctKey.generate_key(256).as_dict(private=True)]}).decode()


def without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != name}


# (what is wrong, body, detail code, target)
INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("name missing", without(application(), "name"), "REQUIRED_VALUE", "name"),
    ("name blank", application(name="  "), "INVALID_VALUE", "name"),
    ("name too long", application(name="n" * 257), "SIZE_LIMIT_EXCEEDED", "name"),
    ("enabled missing", without(application(), "enabled"), "REQUIRED_VALUE", "enabled"),
    ("enabled not a boolean", application(enabled="maybe"), "INVALID_VALUE", "enabled"),
    ("type missing", without(application(), "type"), "REQUIRED_VALUE", "type"),
    ("type not an OIDC type", application(type="PING_ONE_PORTAL"), "INVALID_VALUE", "type"),
    (
        "auth method missing",
        without(application(), "tokenEndpointAuthMethod"),
        "REQUIRED_VALUE",
        "tokenEndpointAuthMethod",
    ),
    (
        "auth method unknown",
        application(tokenEndpointAuthMethod="MTLS"),
        "INVALID_VALUE",
        "tokenEndpointAuthMethod",
    ),
    ("grants missing", without(application(), "grantTypes"), "REQUIRED_VALUE", "grantTypes"),
    ("grants empty", application(grantTypes=[]), "INVALID_VALUE", "grantTypes"),
    ("grant unknown", application(grantTypes=["PASSWORD"]), "INVALID_VALUE", "grantTypes"),
    (
        "response unknown",
        application(responseTypes=["CODE", "X"]),
        "INVALID_VALUE",
        "responseTypes",
    ),
    (
        "SERVICE with AUTHORIZATION_CODE",
        application("SERVICE", grantTypes=["CLIENT_CREDENTIALS", "AUTHORIZATION_CODE"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "SERVICE with TOKEN_EXCHANGE",
        application("SERVICE", grantTypes=["CLIENT_CREDENTIALS", "TOKEN_EXCHANGE"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "WORKER with DEVICE_CODE",
        application("WORKER", grantTypes=["CLIENT_CREDENTIALS", "DEVICE_CODE"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "SINGLE_PAGE_APP with CLIENT_CREDENTIALS",
        application("SINGLE_PAGE_APP", grantTypes=["AUTHORIZATION_CODE", "CLIENT_CREDENTIALS"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "NATIVE_APP with CLIENT_CREDENTIALS",
        application("NATIVE_APP", grantTypes=["AUTHORIZATION_CODE", "CLIENT_CREDENTIALS"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "WEB_APP with DEVICE_CODE",
        application("WEB_APP", grantTypes=["AUTHORIZATION_CODE", "DEVICE_CODE"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "CODE without AUTHORIZATION_CODE",
        application("WEB_APP", grantTypes=["CLIENT_CREDENTIALS"], responseTypes=["CODE"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "AUTHORIZATION_CODE without CODE",
        application("WEB_APP", responseTypes=[]),
        "INVALID_VALUE",
        "responseTypes",
    ),
    (
        "TOKEN without IMPLICIT",
        application("WEB_APP", responseTypes=["CODE", "TOKEN"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "ID_TOKEN without IMPLICIT",
        application("WEB_APP", responseTypes=["ID_TOKEN", "CODE"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "IMPLICIT without TOKEN or ID_TOKEN",
        application("WEB_APP", grantTypes=["AUTHORIZATION_CODE", "IMPLICIT"]),
        "INVALID_VALUE",
        "responseTypes",
    ),
    (
        "REFRESH_TOKEN with IMPLICIT only",
        application("WEB_APP", grantTypes=["IMPLICIT", "REFRESH_TOKEN"], responseTypes=["TOKEN"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "REFRESH_TOKEN alone",
        application("WORKER", grantTypes=["REFRESH_TOKEN"]),
        "INVALID_VALUE",
        "grantTypes",
    ),
    (
        "CLIENT_CREDENTIALS with NONE",
        application(
            "CUSTOM_APP",
            grantTypes=["CLIENT_CREDENTIALS"],
            responseTypes=[],
            tokenEndpointAuthMethod="NONE",
        ),
        "INVALID_VALUE",
        "tokenEndpointAuthMethod",
    ),
    (
        "CIBA with NONE",
        application("NATIVE_APP", grantTypes=["AUTHORIZATION_CODE", "CIBA"]),
        "INVALID_VALUE",
        "tokenEndpointAuthMethod",
    ),
    (
        "WEB_APP with NONE",
        application("WEB_APP", tokenEndpointAuthMethod="NONE"),
        "INVALID_VALUE",
        "tokenEndpointAuthMethod",
    ),
    (
        "WORKER with NONE",
        application(
            "WORKER",
            grantTypes=["AUTHORIZATION_CODE"],
            responseTypes=["CODE"],
            redirectUris=["https://admin.example.com/cb"],
            tokenEndpointAuthMethod="NONE",
        ),
        "INVALID_VALUE",
        "tokenEndpointAuthMethod",
    ),
    (
        "SINGLE_PAGE_APP with a secret",
        application("SINGLE_PAGE_APP", tokenEndpointAuthMethod="CLIENT_SECRET_BASIC"),
        "INVALID_VALUE",
        "tokenEndpointAuthMethod",
    ),
    (
        "PRIVATE_KEY_JWT without keys",
        application("WORKER", tokenEndpointAuthMethod="PRIVATE_KEY_JWT"),
        "REQUIRED_VALUE",
        "jwks",
    ),
    (
        "jwks and jwksUrl both",
        application(jwks=PUBLIC_JWKS, jwksUrl="https://example.com/jwks"),
        "INVALID_VALUE",
        "jwks",
    ),
    ("jwks not JSON", application(jwks="{keys"), "INVALID_VALUE", "jwks"),
    ("jwks not a key set", application(jwks='{"kty":"RSA"}'), "INVALID_VALUE", "jwks"),
    ("jwks with no keys", application(jwks='{"keys":[]}'), "INVALID_VALUE", "jwks"),
    (
        "jwks with a bad key",
        application(jwks='{"keys":[{"kty":"RSA","n":1}]}'),
        "INVALID_VALUE",
        "jwks",
    ),
    ("jwks of unknown keys", application(jwks='{"keys":[{"kty":"XX"}]}'), "INVALID_VALUE", "jwks"),
    ("jwks with a private key", application(jwks=PRIVATE_JWKS), "INVALID_VALUE", "jwks"),
    ("jwks with a symmetric key", application(jwks=OCT_JWKS), "INVALID_VALUE", "jwks"),
    ("jwks not a string", application(jwks={"keys": []}), "INVALID_VALUE", "jwks"),
    (
        "jwksUrl over http",
        application(jwksUrl="http://example.com/jwks"),
        "INVALID_VALUE",
        "jwksUrl",
    ),
    (
        "redirectUris missing with AUTHORIZATION_CODE",
        without(application("WEB_APP"), "redirectUris"),
        "REQUIRED_VALUE",
        "redirectUris",
    ),
    (
        "redirectUris missing with IMPLICIT",
        application(
            "WEB_APP", grantTypes=["IMPLICIT"], responseTypes=["ID_TOKEN"], redirectUris=[]
        ),
        "REQUIRED_VALUE",
        "redirectUris",
    ),
    ("relative redirect", application(redirectUris=["/callback"]), "INVALID_VALUE", "redirectUris"),
    (
        "redirect with a fragment",
        application(redirectUris=["https://example.com/cb#top"]),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "http redirect off loopback",
        application(redirectUris=["http://example.com/cb"]),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "custom scheme for a WEB_APP",
        application(redirectUris=["com.example.app:/cb"]),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "javascript redirect",
        application("NATIVE_APP", redirectUris=["javascript:alert(1)"]),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "wildcard without the flag",
        application(redirectUris=["https://*.example.com/cb"]),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "wildcard inside the host",
        application(
            redirectUris=["https://app.*.example.com/cb"], allowWildcardInRedirectUris=True
        ),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "wildcard for the whole host",
        application(redirectUris=["https://*/cb"], allowWildcardInRedirectUris=True),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "redirect with a bad port",
        application(redirectUris=["https://example.com:99999/cb"]),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "redirect with spaces",
        application(redirectUris=["https://exa mple.com/cb"]),
        "INVALID_VALUE",
        "redirectUris",
    ),
    (
        "redirect too long",
        application(redirectUris=["https://example.com/" + "a" * 2048]),
        "SIZE_LIMIT_EXCEEDED",
        "redirectUris",
    ),
    (
        "http post-logout off loopback",
        application(postLogoutRedirectUris=["http://example.com/bye"]),
        "INVALID_VALUE",
        "postLogoutRedirectUris",
    ),
    ("pkce unknown", application(pkceEnforcement="MAYBE"), "INVALID_VALUE", "pkceEnforcement"),
    ("par unknown", application(parRequirement="ALWAYS"), "INVALID_VALUE", "parRequirement"),
    ("parTimeout 0", application(parTimeout=0), "OUT_OF_RANGE", "parTimeout"),
    ("parTimeout 601", application(parTimeout=601), "OUT_OF_RANGE", "parTimeout"),
    (
        "refreshTokenDuration 59",
        application(refreshTokenDuration=59),
        "OUT_OF_RANGE",
        "refreshTokenDuration",
    ),
    (
        "refreshTokenDuration past int32",
        application(refreshTokenDuration=2147483648),
        "OUT_OF_RANGE",
        "refreshTokenDuration",
    ),
    (
        "refreshTokenDuration not a number",
        application(refreshTokenDuration="long"),
        "INVALID_VALUE",
        "refreshTokenDuration",
    ),
    (
        "refreshTokenRollingDuration 59",
        application(refreshTokenRollingDuration=59),
        "OUT_OF_RANGE",
        "refreshTokenRollingDuration",
    ),
    (
        "grace period above a day",
        application(refreshTokenRollingGracePeriodDuration=86401),
        "OUT_OF_RANGE",
        "refreshTokenRollingGracePeriodDuration",
    ),
    (
        "grace period negative",
        application(refreshTokenRollingGracePeriodDuration=-1),
        "OUT_OF_RANGE",
        "refreshTokenRollingGracePeriodDuration",
    ),
    (
        "refresh token outlives its rolling duration",
        application(refreshTokenDuration=7200, refreshTokenRollingDuration=3600),
        "INVALID_VALUE",
        "refreshTokenDuration",
    ),
    (
        "refreshTokenType unknown",
        application(refreshTokenType="PASETO"),
        "INVALID_VALUE",
        "refreshTokenType",
    ),
    (
        "signed and unsigned request objects",
        application(requireSignedRequestObject=True, supportUnsignedRequestObject=True),
        "INVALID_VALUE",
        "supportUnsignedRequestObject",
    ),
    ("deviceTimeout 0", application(deviceTimeout=0), "OUT_OF_RANGE", "deviceTimeout"),
    ("deviceTimeout 3601", application(deviceTimeout=3601), "OUT_OF_RANGE", "deviceTimeout"),
    (
        "devicePollingInterval 61",
        application(devicePollingInterval=61),
        "OUT_OF_RANGE",
        "devicePollingInterval",
    ),
    (
        "devicePollingInterval 0",
        application(devicePollingInterval=0),
        "OUT_OF_RANGE",
        "devicePollingInterval",
    ),
    ("devicePathId pattern", application(devicePathId="tv room!"), "INVALID_VALUE", "devicePathId"),
    ("devicePathId too long", application(devicePathId="d" * 51), "INVALID_VALUE", "devicePathId"),
    (
        "deviceCustomVerificationUri not a URL",
        application(deviceCustomVerificationUri="device"),
        "INVALID_VALUE",
        "deviceCustomVerificationUri",
    ),
    (
        "cors behavior missing",
        application(corsSettings={"origins": ["https://example.com"]}),
        "REQUIRED_VALUE",
        "corsSettings.behavior",
    ),
    (
        "cors behavior unknown",
        application(corsSettings={"behavior": "ALLOW_ALL"}),
        "INVALID_VALUE",
        "corsSettings.behavior",
    ),
    (
        "cors origin with a path",
        application(
            corsSettings={"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://a.com/x"]}
        ),
        "INVALID_VALUE",
        "corsSettings.origins",
    ),
    (
        "cors origin not http",
        application(
            corsSettings={"behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["ftp://a.com"]}
        ),
        "INVALID_VALUE",
        "corsSettings.origins",
    ),
    (
        "more than 20 cors origins",
        application(
            corsSettings={
                "behavior": "ALLOW_SPECIFIC_ORIGINS",
                "origins": [f"https://o{n}.example.com" for n in range(21)],
            }
        ),
        "SIZE_LIMIT_EXCEEDED",
        "corsSettings.origins",
    ),
    (
        "specific origins without origins",
        application(corsSettings={"behavior": "ALLOW_SPECIFIC_ORIGINS"}),
        "INVALID_VALUE",
        "corsSettings",
    ),
    (
        "no origins with origins",
        application(corsSettings={"behavior": "ALLOW_NO_ORIGINS", "origins": ["https://a.com"]}),
        "INVALID_VALUE",
        "corsSettings",
    ),
    (
        "access role unknown",
        application(accessControl={"role": {"type": "EVERYONE"}}),
        "INVALID_VALUE",
        "accessControl.role.type",
    ),
    (
        "access group type unknown",
        application(
            accessControl={"group": {"type": "SOME_GROUPS", "groups": [{"id": str(uuid.uuid4())}]}}
        ),
        "INVALID_VALUE",
        "accessControl.group.type",
    ),
    (
        "access group without groups",
        application(accessControl={"group": {"type": "ANY_GROUP", "groups": []}}),
        "INVALID_VALUE",
        "accessControl.group.groups",
    ),
    (
        "access group unknown",
        application(
            accessControl={"group": {"type": "ANY_GROUP", "groups": [{"id": str(uuid.uuid4())}]}}
        ),
        "INVALID_VALUE",
        "accessControl.group.groups",
    ),
    (
        "access group id not a uuid",
        application(accessControl={"group": {"type": "ANY_GROUP", "groups": [{"id": "admins"}]}}),
        "INVALID_VALUE",
        "accessControl.group.groups.id",
    ),
    ("mobile for a WEB_APP", application(mobile={"bundleId": "a.b"}), "INVALID_VALUE", "mobile"),
    (
        "mobile passcode refresh out of range",
        application(
            "NATIVE_APP",
            mobile={"passcodeRefreshDuration": {"duration": 10, "timeUnit": "SECONDS"}},
        ),
        "OUT_OF_RANGE",
        "mobile.passcodeRefreshDuration.duration",
    ),
    (
        "mobile passcode refresh unit",
        application(
            "NATIVE_APP",
            mobile={"passcodeRefreshDuration": {"duration": 30, "timeUnit": "MINUTES"}},
        ),
        "INVALID_VALUE",
        "mobile.passcodeRefreshDuration.timeUnit",
    ),
    (
        "mobile number matching unknown",
        application("NATIVE_APP", mobile={"push": {"numberMatching": {"type": "GUESS"}}}),
        "INVALID_VALUE",
        "mobile.push.numberMatching.type",
    ),
    (
        "mobile two excluded platforms",
        application(
            "NATIVE_APP", mobile={"integrityDetection": {"excludedPlatforms": ["IOS", "GOOGLE"]}}
        ),
        "SIZE_LIMIT_EXCEEDED",
        "mobile.integrityDetection.excludedPlatforms",
    ),
    (
        "tags for a WEB_APP",
        application(tags=["PING_FED_CONNECTION_INTEGRATION"]),
        "INVALID_VALUE",
        "tags",
    ),
    ("tag unknown", application("WORKER", tags=["OTHER"]), "INVALID_VALUE", "tags"),
    (
        "icon without href",
        application(icon={"id": str(uuid.uuid4())}),
        "REQUIRED_VALUE",
        "icon.href",
    ),
    (
        "icon href not a URL",
        application(icon={"id": str(uuid.uuid4()), "href": "icon.png"}),
        "INVALID_VALUE",
        "icon.href",
    ),
    (
        "initiateLoginUri over http",
        application(initiateLoginUri="http://example.com/login"),
        "INVALID_VALUE",
        "initiateLoginUri",
    ),
    ("homePageUrl not a URL", application(homePageUrl="example"), "INVALID_VALUE", "homePageUrl"),
    (
        "loginPageUrl not a URL",
        application(loginPageUrl="ftp://x.y"),
        "INVALID_VALUE",
        "loginPageUrl",
    ),
    (
        "targetLinkUri not a URL",
        application(targetLinkUri="//x.y"),
        "INVALID_VALUE",
        "targetLinkUri",
    ),
    (
        "description too long",
        application(description="d" * 1025),
        "SIZE_LIMIT_EXCEEDED",
        "description",
    ),
]


@pytest.fixture(scope="module")
async def untouched_env(admin: Api) -> str:
    """One environment for every refused body: none of them may leave an application in it."""
    body = {"name": f"refusals-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"}
    return (await admin.create("/environments", body))["id"]


@pytest.mark.parametrize(
    ("body", "detail", "target"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
async def test_invalid_application_is_refused_with_its_target(
    admin: Api, untouched_env: str, body: dict[str, Any], detail: str, target: str
) -> None:
    apps = f"/environments/{untouched_env}/applications"
    assert_error(
        await admin.post(apps, json=body), 400, "INVALID_DATA", detail=detail, target=target
    )
    assert (await admin.get(apps)).json()["count"] == 0


VALID: list[tuple[str, dict[str, Any]]] = [
    (
        "hybrid flow",
        application(
            "WEB_APP",
            grantTypes=["AUTHORIZATION_CODE", "IMPLICIT"],
            responseTypes=["CODE", "ID_TOKEN", "TOKEN"],
        ),
    ),
    (
        "worker signing administrators on",
        application(
            "WORKER",
            grantTypes=["CLIENT_CREDENTIALS", "AUTHORIZATION_CODE", "REFRESH_TOKEN"],
            responseTypes=["CODE"],
            redirectUris=["https://admin.example.com/cb"],
            tags=["PING_FED_CONNECTION_INTEGRATION"],
        ),
    ),
    (
        "worker with only the code grant",
        application(
            "WORKER",
            grantTypes=["AUTHORIZATION_CODE"],
            responseTypes=["CODE"],
            redirectUris=["https://admin.example.com/cb"],
            tokenEndpointAuthMethod="CLIENT_SECRET_POST",
            pkceEnforcement="S256_REQUIRED",
        ),
    ),
    (
        "refresh tokens with the device grant",
        application(
            "NATIVE_APP",
            grantTypes=["DEVICE_CODE", "REFRESH_TOKEN"],
            responseTypes=[],
            redirectUris=[],
        ),
    ),
    (
        "refresh tokens with token exchange",
        application(
            "WEB_APP",
            grantTypes=["TOKEN_EXCHANGE", "REFRESH_TOKEN"],
            responseTypes=[],
            redirectUris=[],
        ),
    ),
    (
        "custom app with every grant",
        application(
            "CUSTOM_APP",
            grantTypes=[
                "AUTHORIZATION_CODE",
                "IMPLICIT",
                "REFRESH_TOKEN",
                "CLIENT_CREDENTIALS",
                "DEVICE_CODE",
                "TOKEN_EXCHANGE",
                "CIBA",
            ],
            responseTypes=["CODE", "TOKEN"],
        ),
    ),
    (
        "private_key_jwt with jwks",
        application(tokenEndpointAuthMethod="PRIVATE_KEY_JWT", jwks=PUBLIC_JWKS),
    ),
    (
        "private_key_jwt with jwksUrl",
        application(tokenEndpointAuthMethod="PRIVATE_KEY_JWT", jwksUrl="https://example.com/jwks"),
    ),
    ("client_secret_jwt", application(tokenEndpointAuthMethod="CLIENT_SECRET_JWT")),
    (
        "loopback http redirects",
        application(
            redirectUris=["http://localhost/cb", "http://127.0.0.1:8080/cb", "http://[::1]/cb"]
        ),
    ),
    (
        "wildcards with the flag",
        application(
            redirectUris=["https://*.example.com/cb/*", "https://example.com/*"],
            postLogoutRedirectUris=["https://*.example.com/bye"],
            allowWildcardInRedirectUris=True,
        ),
    ),
    ("native custom scheme", application("NATIVE_APP", redirectUris=["com.example.app://cb"])),
    (
        "refresh token as long as its rolling duration",
        application(refreshTokenDuration=3600, refreshTokenRollingDuration=3600),
    ),
    ("no cors origins", application(corsSettings={"behavior": "ALLOW_NO_ORIGINS"})),
    ("unsigned request objects", application(supportUnsignedRequestObject=True)),
    (
        "range edges",
        application(
            parTimeout=600, deviceTimeout=3600, devicePollingInterval=60, refreshTokenDuration=60
        ),
    ),
]


@pytest.mark.parametrize("body", [case[1] for case in VALID], ids=[case[0] for case in VALID])
async def test_valid_edges_of_the_rules_are_accepted(
    admin: Api, env: str, body: dict[str, Any]
) -> None:
    created = await admin.create(f"/environments/{env}/applications", body)
    assert created["grantTypes"] == body["grantTypes"]


async def test_device_path_id_is_unique_in_the_environment(admin: Api, env: str) -> None:
    apps = f"/environments/{env}/applications"
    first = await admin.create(apps, application("NATIVE_APP", devicePathId="tv"))
    assert_error(
        await admin.post(apps, json=application("NATIVE_APP", devicePathId="tv")),
        400,
        "INVALID_DATA",
        detail="UNIQUENESS_VIOLATION",
        target="devicePathId",
    )
    replaced = await admin.put(
        f"{apps}/{first['id']}", json=application("NATIVE_APP", devicePathId="tv", name="again")
    )
    assert replaced.status_code == 200
    other = await admin.create(
        "/environments", {"name": f"o-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"}
    )
    await admin.create(
        f"/environments/{other['id']}/applications", application("NATIVE_APP", devicePathId="tv")
    )


async def test_access_control_groups_come_from_this_environment(
    app: Any, admin: Api, env: str
) -> None:
    other = await admin.create(
        "/environments", {"name": f"o-{uuid.uuid4().hex[:8]}", "type": "SANDBOX", "region": "NA"}
    )
    foreign = await support.group(app, other["id"], "admins")
    local = await support.group(app, env, "admins")
    body = application(
        accessControl={"group": {"type": "ALL_GROUPS", "groups": [{"id": local}, {"id": foreign}]}}
    )
    assert_error(
        await admin.post(f"/environments/{env}/applications", json=body),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="accessControl.group.groups",
    )


async def test_rolling_duration_cannot_be_removed_once_set(admin: Api, env: str) -> None:
    apps = f"/environments/{env}/applications"
    created = await admin.create(apps, application(refreshTokenRollingDuration=2592000))
    assert_error(
        await admin.put(f"{apps}/{created['id']}", json=application()),
        400,
        "INVALID_DATA",
        detail="INVALID_VALUE",
        target="refreshTokenRollingDuration",
    )
    changed = await admin.put(
        f"{apps}/{created['id']}", json=application(refreshTokenRollingDuration=5184000)
    )
    assert changed.json()["refreshTokenRollingDuration"] == 5184000


async def test_duplicate_grant_and_uri_entries_are_stored_once(admin: Api, env: str) -> None:
    created = await admin.create(
        f"/environments/{env}/applications",
        application(
            grantTypes=["AUTHORIZATION_CODE", "AUTHORIZATION_CODE"],
            redirectUris=["https://a.example.com/cb", "https://a.example.com/cb"],
        ),
    )
    assert created["grantTypes"] == ["AUTHORIZATION_CODE"]
    assert created["redirectUris"] == ["https://a.example.com/cb"]
