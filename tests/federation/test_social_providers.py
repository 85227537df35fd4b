"""The social types' round trips (federation.social, federation.roundtrip): their real endpoints
by default, the overrides settings allow (and nothing else), and each kind of answer read from
a loopback HTTP server standing in for the provider: Graph, GitHub, LinkedIn, Twitter, Amazon
and PayPal profiles; Google's and Microsoft's ID tokens; Apple's signed client secret and its
form_post answer through the whole sign-on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from pydantic import ValidationError

from gatehouse.federation import roundtrip, signon, social
from gatehouse.federation.models import IdentityProvider
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.settings import Settings
from tests.federation.conftest import Upstream, apple_key_pem, create_provider, provider
from tests.signon.support import Browser, application, policy_for, query_of
from tests.support.api import Api

pytestmark = pytest.mark.anyio

POLICY = OutboundPolicy(allow_http=True, allow_private=True, timeout=2.0)
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "alg": "RS256"})


def model(kind: str, **config: Any) -> IdentityProvider:
    body = provider(kind)
    secret_fields = {"appSecret", "clientSecret", "clientSecretSigningKey"}
    settings = {k: v for k, v in body.items() if k not in secret_fields | {"type", "name"}}
    return IdentityProvider(type=kind, name=kind, enabled=True, config={**settings, **config})


def upstream_of(kind: str, overrides: dict[str, dict[str, str]] | None = None, **config: Any):
    found = roundtrip.upstream_for(model(kind, **config), overrides or {})
    assert found is not None
    return found


@pytest.mark.parametrize("kind", sorted(social.SOCIAL_TYPES))
def test_every_social_type_has_its_real_https_endpoints(kind: str) -> None:
    endpoints = upstream_of(kind).endpoints
    urls = [endpoints.authorization_endpoint, endpoints.token_endpoint]
    urls += [url for url in (endpoints.jwks_endpoint, endpoints.user_info_endpoint) if url]
    assert all(url.startswith("https://") for url in urls), urls
    assert endpoints.scopes
    assert endpoints.oidc == (kind in {"GOOGLE", "LINKEDIN_OIDC", "APPLE", "YAHOO", "MICROSOFT"})
    assert endpoints.oidc or endpoints.user_info_endpoint  # OAuth 2.0 types read a profile


def test_overrides_replace_endpoints_and_tenants_and_environments_fill_in() -> None:
    local = {"FACEBOOK": {"tokenEndpoint": "http://127.0.0.1:9/token"}}
    facebook = upstream_of("FACEBOOK", local).endpoints
    assert facebook.token_endpoint == "http://127.0.0.1:9/token"
    assert facebook.authorization_endpoint == social.DEFAULTS["FACEBOOK"].authorization_endpoint
    assert upstream_of("GOOGLE", local).endpoints == social.DEFAULTS["GOOGLE"]

    contoso = upstream_of("MICROSOFT", tenantId="contoso").endpoints
    assert contoso.token_endpoint == "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"
    assert contoso.issuer == "https://login.microsoftonline.com/contoso/v2.0"
    common = upstream_of("MICROSOFT", tenantId="common").endpoints
    assert common.issuer == "https://login.microsoftonline.com/{tid}/v2.0"

    sandbox = upstream_of("PAYPAL", clientEnvironment="sandbox").endpoints
    assert sandbox.token_endpoint.startswith("https://api-m.sandbox.paypal.com/")
    assert upstream_of("PAYPAL").endpoints.token_endpoint.startswith("https://api-m.paypal.com/")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"FACEBOK": {}}, "not a social provider type"),
        ({"OPENID_CONNECT": {}}, "not a social provider type"),
        ({"GITHUB": {"profileEndpoint": "https://x.example"}}, "not an endpoint name"),
        ({"GITHUB": {"tokenEndpoint": "ftp://x.example"}}, "GITHUB.tokenEndpoint"),
        ({"GITHUB": "https://x.example"}, "valid dictionary"),
    ],
)
def test_settings_refuse_overrides_they_cannot_use(value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(federation_endpoints=value)


def test_authorization_requests_follow_each_type() -> None:
    twitter = signon.authorization_request(upstream_of("TWITTER"), "https://gh/cb", "s")
    assert twitter.code_verifier and twitter.nonce is None
    assert query_of(twitter.url)["code_challenge_method"] == "S256"
    facebook = signon.authorization_request(upstream_of("FACEBOOK"), "https://gh/cb", "s")
    assert "nonce" not in query_of(facebook.url) and facebook.code_verifier is None
    apple = signon.authorization_request(upstream_of("APPLE"), "https://gh/cb", "s", "a@b.c")
    query = query_of(apple.url)
    assert query["response_mode"] == "form_post" and query["nonce"] == apple.nonce
    assert query["login_hint"] == "a@b.c" and query["scope"] == "name email"


# --- profiles, read over HTTP ------------------------------------------------------------------


def overrides(upstream: Upstream, kind: str, **paths: str) -> dict[str, dict[str, str]]:
    return {kind: {name: f"{upstream.base_url}{path}" for name, path in paths.items()}}


async def test_github_gives_the_primary_verified_email(upstream: Upstream) -> None:
    upstream.answer("/gh/user", {"id": 583231, "login": "octocat", "email": None})
    upstream.answer(
        "/gh/emails",
        [
            {"email": "old@example.com", "primary": False, "verified": True},
            {"email": "unverified@example.com", "primary": True, "verified": False},
        ],
    )
    github = upstream_of(
        "GITHUB",
        overrides(upstream, "GITHUB", userInfoEndpoint="/gh/user", emailsEndpoint="/gh/emails"),
    )
    identity = await roundtrip.identify(github, {"access_token": "t"}, None, "s", POLICY)
    assert identity.subject == "583231"
    assert identity.attributes["login"] == "octocat"
    assert "email" not in identity.attributes or identity.attributes["email"] is None
    upstream.answer(
        "/gh/emails", [{"email": "octo@example.com", "primary": True, "verified": True}]
    )
    identity = await roundtrip.identify(github, {"access_token": "t"}, None, "s", POLICY)
    assert identity.attributes["email"] == "octo@example.com"


@pytest.mark.parametrize(
    ("kind", "answers", "subject", "attribute", "value"),
    [
        (
            "LINKEDIN",
            {
                "userInfoEndpoint": {"id": "li-1", "localizedFirstName": "Ada"},
                "emailsEndpoint": {"elements": [{"handle~": {"emailAddress": "ada@li.example"}}]},
            },
            "li-1",
            "email",
            "ada@li.example",
        ),
        (
            "TWITTER",
            {"userInfoEndpoint": {"data": {"id": "2244994945", "username": "TwitterDev"}}},
            "2244994945",
            "username",
            "TwitterDev",
        ),
        (
            "AMAZON",
            {"userInfoEndpoint": {"user_id": "amzn1.account.X", "email": "a@amazon.example"}},
            "amzn1.account.X",
            "email",
            "a@amazon.example",
        ),
        (
            "PAYPAL",
            {
                "userInfoEndpoint": {
                    "user_id": "https://www.paypal.com/webapps/auth/identity/user/abc",
                    "emails": [
                        {"value": "other@pp.example", "primary": False},
                        {"value": "main@pp.example", "primary": True},
                    ],
                }
            },
            "https://www.paypal.com/webapps/auth/identity/user/abc",
            "email",
            "main@pp.example",
        ),
    ],
)
async def test_oauth_profiles_give_the_subject_and_attributes(
    upstream: Upstream, kind: str, answers: dict[str, Any], subject: str, attribute: str, value: str
) -> None:
    paths = {name: f"/{kind.lower()}/{name}" for name in answers}
    for name, answer in answers.items():
        upstream.answer(paths[name], answer)
    found = upstream_of(kind, overrides(upstream, kind, **paths))
    identity = await roundtrip.identify(found, {"access_token": "t"}, None, "s", POLICY)
    assert identity.subject == subject
    assert identity.attributes[attribute] == value


async def test_a_profile_without_its_subject_or_an_error_answer_is_refused(
    upstream: Upstream,
) -> None:
    upstream.answer("/amazon/nobody", {"name": "No One"})
    amazon = upstream_of("AMAZON", overrides(upstream, "AMAZON", userInfoEndpoint="/amazon/nobody"))
    with pytest.raises(signon.SignOnError, match="no user id"):
        await roundtrip.identify(amazon, {"access_token": "t"}, None, None, POLICY)
    upstream.answer("/amazon/down", {"error": "x"}, status=503)
    amazon = upstream_of("AMAZON", overrides(upstream, "AMAZON", userInfoEndpoint="/amazon/down"))
    with pytest.raises(signon.SignOnError, match="answered 503"):
        await roundtrip.identify(amazon, {"access_token": "t"}, None, None, POLICY)


async def test_an_error_in_a_200_token_answer_is_a_refusal(upstream: Upstream) -> None:
    upstream.answer("/gh/token", {"error": "bad_verification_code"})
    github = upstream_of("GITHUB", overrides(upstream, "GITHUB", tokenEndpoint="/gh/token"))
    with pytest.raises(signon.SignOnError, match="bad_verification_code"):
        await signon.exchange_code(github, "s", "c", "https://gh/cb", None, POLICY)


def id_token(issuer: str, audience: str, nonce: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": issuer, "aud": audience, "sub": "s-1", "nonce": nonce, "exp": now + 60}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, {**body, **claims}, KEY)


async def test_google_and_microsoft_id_tokens_are_checked_against_their_issuers(
    upstream: Upstream,
) -> None:
    upstream.answer("/oidc/jwks", KeySet([KEY]).as_dict(private=False))
    jwks = {"jwksEndpoint": "/oidc/jwks"}
    google = upstream_of("GOOGLE", overrides(upstream, "GOOGLE", **jwks))
    for issuer in ("https://accounts.google.com", "accounts.google.com"):
        token = id_token(issuer, "google-client", "n", email="g@example.com")
        identity = await roundtrip.identify(google, {"id_token": token}, "n", "s", POLICY)
        assert identity.attributes["email"] == "g@example.com"

    microsoft = upstream_of("MICROSOFT", overrides(upstream, "MICROSOFT", **jwks), tenantId=None)
    tenant_issuer = "https://login.microsoftonline.com/9188040d/v2.0"
    token = id_token(tenant_issuer, "ms-client", "n", tid="9188040d")
    assert (await roundtrip.identify(microsoft, {"id_token": token}, "n", None, POLICY)).subject
    other = id_token(tenant_issuer, "ms-client", "n", tid="another-tenant")
    with pytest.raises(signon.SignOnError, match="another issuer"):
        await roundtrip.identify(microsoft, {"id_token": other}, "n", None, POLICY)


def test_apple_client_secrets_are_short_lived_es256_jwts() -> None:
    pem = apple_key_pem()
    apple = model("APPLE")
    found = roundtrip.upstream_for(apple, {})
    assert found is not None
    secret = roundtrip.client_secret(apple, found, pem)
    assert secret is not None
    token = jwt.decode(secret, ECKey.import_key(pem))
    assert (token.header["alg"], token.header["kid"]) == ("ES256", "ABCDE12345")
    assert token.claims["iss"] == "TEAM123456" and token.claims["sub"] == "com.example.signin"
    assert token.claims["aud"] == "https://appleid.apple.com"
    assert 0 < token.claims["exp"] - token.claims["iat"] <= 300


async def test_an_apple_sign_on_posts_its_answer_and_provisions_the_user(
    app: Any,
    admin: Api,
    env: str,
    upstream: Upstream,
    outbound: Callable[..., None],
) -> None:
    endpoints = {
        "issuer": f"{upstream.base_url}/apple",
        "authorizationEndpoint": f"{upstream.base_url}/apple/authorize",
        "tokenEndpoint": f"{upstream.base_url}/apple/token",
        "jwksEndpoint": f"{upstream.base_url}/apple/keys",
    }
    outbound(
        outbound_allow_private=True,
        outbound_allow_http=True,
        federation_endpoints={"APPLE": endpoints},
    )
    pem = apple_key_pem()
    apple = await create_provider(admin, env, provider("APPLE", clientSecretSigningKey=pem))
    client = await application(admin, env)
    login = {"type": "LOGIN", "registration": {"enabled": True}, "socialProviders": [apple]}
    await policy_for(admin, env, client.id, [login])
    upstream.answer("/apple/keys", KeySet([KEY]).as_dict(private=False))
    async with Browser(app, env) as browser:
        flow_id = await browser.start(client)
        flow = (await browser.flow(flow_id)).json()
        href = flow["_embedded"]["socialProviders"][0]["_links"]["authenticate"]["href"]
        authorize = query_of((await browser.http.get(href)).headers["location"])
        token = id_token(
            endpoints["issuer"], "com.example.signin", authorize["nonce"], email="tim@apple.example"
        )
        upstream.answer("/apple/token", {"access_token": "at", "id_token": token})
        upstream.forms.clear()
        posted = await browser.http.post(
            f"/{env}/rp/callback/apple",
            data={
                "code": "apple-code",
                "state": authorize["state"],
                "user": json.dumps({"name": {"firstName": "Tim"}, "email": "tim@apple.example"}),
            },
        )
        assert posted.status_code == 302, posted.text
        assert "/as/resume" in posted.headers["location"]
    form = {k: v[0] for k, v in parse_qs(upstream.forms[-1].decode()).items()}
    assert form["code"] == "apple-code" and form["code_verifier"]
    secret = jwt.decode(form["client_secret"], ECKey.import_key(pem)).claims
    assert secret["aud"] == endpoints["issuer"]
    users = (
        await admin.get(
            f"/environments/{env}/users", params={"filter": 'username eq "tim@apple.example"'}
        )
    ).json()["_embedded"]["users"]
    assert [user["identityProvider"]["type"] for user in users] == ["APPLE"]
    assert urlsplit(href).path == f"/{env}/rp/authenticate"


async def test_odd_shapes_in_a_profile_answer_are_ignored_not_fatal(upstream: Upstream) -> None:
    upstream.answer("/odd/me", {"id": "li-2"})
    upstream.answer("/odd/emails", {"elements": ["junk", {"handle~": []}, None]})
    linkedin = upstream_of(
        "LINKEDIN",
        overrides(upstream, "LINKEDIN", userInfoEndpoint="/odd/me", emailsEndpoint="/odd/emails"),
    )
    identity = await roundtrip.identify(linkedin, {"access_token": "t"}, None, None, POLICY)
    assert identity.subject == "li-2" and "email" not in identity.attributes
    upstream.answer("/odd/list", ["not", "an", "object"])
    amazon = upstream_of("AMAZON", overrides(upstream, "AMAZON", userInfoEndpoint="/odd/list"))
    with pytest.raises(signon.SignOnError, match="not a JSON object"):
        await roundtrip.identify(amazon, {"access_token": "t"}, None, None, POLICY)
