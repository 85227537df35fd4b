"""The social identity providers' own endpoints (pingone/05 section 3): one small table per type.

Each type is either OpenID Connect based (its ID token is verified against the provider's JWKS,
then its userinfo read when it has one) or plain OAuth 2.0 (the user's profile is read from the
provider's API with the access token). Either way the provider's data become the
`${providerAttributes.*}` of the mappings:

| type | kind | subject | attributes |
|---|---|---|---|
| FACEBOOK | OAuth 2.0 | `id` | Graph `/me?fields=id,name,first_name,last_name,middle_name,email,picture` (with `appsecret_proof`) |
| GOOGLE | OIDC | `sub` | ID token and userinfo claims |
| LINKEDIN | OAuth 2.0 | `id` | `/v2/me`, plus `email` from `/v2/emailAddress` |
| LINKEDIN_OIDC | OIDC | `sub` | ID token and userinfo claims |
| APPLE | OIDC | `sub` | ID token claims (and the `user` Apple posts once: `name.firstName`, ...) |
| TWITTER | OAuth 2.0 with PKCE | `id` | `/2/users/me` (its `data`) |
| AMAZON | OAuth 2.0 | `user_id` | `/user/profile` |
| YAHOO | OIDC | `sub` | ID token and userinfo claims |
| MICROSOFT | OIDC | `sub` | ID token claims (tenant `tenantId`, else `common`) |
| PAYPAL | OAuth 2.0 | `user_id` | `/v1/identity/oauth2/userinfo`, plus `email` (the primary one of `emails`) |
| GITHUB | OAuth 2.0 | `id` | `/user`, plus `email` (the primary verified one of `/user/emails`) |

Every endpoint can be replaced in settings (GATEHOUSE_FEDERATION_ENDPOINTS, a JSON object
`{"<TYPE>": {"<endpoint name>": "<url>", ...}}` with the names of ENDPOINT_NAMES), so a deployment
or a test can point a type at another server; nothing else changes them. `{tenantId}` in a
Microsoft URL is replaced by the provider's tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from gatehouse.federation.outbound import url_problem

TokenAuth = Literal["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "NONE"]

# The endpoint names an override may set (as PingOne names an OpenID Connect provider's).
ENDPOINT_NAMES = frozenset(
    {
        "issuer",
        "authorizationEndpoint",
        "tokenEndpoint",
        "jwksEndpoint",
        "userInfoEndpoint",
        "emailsEndpoint",
    }
)


@dataclass(frozen=True)
class Endpoints:
    """What a sign-on round trip needs to know of one type of provider."""

    authorization_endpoint: str
    token_endpoint: str
    scopes: tuple[str, ...]
    token_auth: TokenAuth
    # OpenID Connect: the ID token's issuer and the keys that sign it
    issuer: str | None = None
    jwks_endpoint: str | None = None
    # the userinfo (OIDC) or profile (OAuth 2.0) endpoint, and a second one for e-mail addresses
    user_info_endpoint: str | None = None
    emails_endpoint: str | None = None
    pkce: bool = False
    # other spellings of the issuer the provider uses in ID tokens
    issuer_aliases: tuple[str, ...] = ()
    # further parameters of the authorization request
    authorization_params: Mapping[str, str] = field(default_factory=dict)

    @property
    def oidc(self) -> bool:
        return self.jwks_endpoint is not None

    def overridden(self, changes: Mapping[str, str]) -> Endpoints:
        names = {
            "issuer": "issuer",
            "authorizationEndpoint": "authorization_endpoint",
            "tokenEndpoint": "token_endpoint",
            "jwksEndpoint": "jwks_endpoint",
            "userInfoEndpoint": "user_info_endpoint",
            "emailsEndpoint": "emails_endpoint",
        }
        return replace(self, **{names[name]: url for name, url in changes.items()})


FACEBOOK_GRAPH = "https://graph.facebook.com/v19.0"
FACEBOOK_FIELDS = "id,name,first_name,last_name,middle_name,email,picture"
MICROSOFT_LOGIN = "https://login.microsoftonline.com/{tenantId}"
MULTI_TENANT = frozenset({"common", "organizations", "consumers"})

DEFAULTS: dict[str, Endpoints] = {
    "FACEBOOK": Endpoints(
        authorization_endpoint="https://www.facebook.com/v19.0/dialog/oauth",
        token_endpoint=f"{FACEBOOK_GRAPH}/oauth/access_token",
        user_info_endpoint=f"{FACEBOOK_GRAPH}/me",
        scopes=("public_profile", "email"),
        token_auth="CLIENT_SECRET_POST",
    ),
    "GOOGLE": Endpoints(
        issuer="https://accounts.google.com",
        authorization_endpoint="https://accounts.google.com/o/oauth2/v2/auth",
        token_endpoint="https://oauth2.googleapis.com/token",
        jwks_endpoint="https://www.googleapis.com/oauth2/v3/certs",
        user_info_endpoint="https://openidconnect.googleapis.com/v1/userinfo",
        scopes=("openid", "profile", "email"),
        token_auth="CLIENT_SECRET_POST",
        pkce=True,
        issuer_aliases=("accounts.google.com",),
    ),
    "LINKEDIN": Endpoints(
        authorization_endpoint="https://www.linkedin.com/oauth/v2/authorization",
        token_endpoint="https://www.linkedin.com/oauth/v2/accessToken",
        user_info_endpoint="https://api.linkedin.com/v2/me",
        emails_endpoint=(
            "https://api.linkedin.com/v2/emailAddress?q=members&projection=(elements*(handle~))"
        ),
        scopes=("r_liteprofile", "r_emailaddress"),
        token_auth="CLIENT_SECRET_POST",
    ),
    "LINKEDIN_OIDC": Endpoints(
        issuer="https://www.linkedin.com/oauth",
        authorization_endpoint="https://www.linkedin.com/oauth/v2/authorization",
        token_endpoint="https://www.linkedin.com/oauth/v2/accessToken",
        jwks_endpoint="https://www.linkedin.com/oauth/openid/jwks",
        user_info_endpoint="https://api.linkedin.com/v2/userinfo",
        scopes=("openid", "profile", "email"),
        token_auth="CLIENT_SECRET_POST",
    ),
    "APPLE": Endpoints(
        issuer="https://appleid.apple.com",
        authorization_endpoint="https://appleid.apple.com/auth/authorize",
        token_endpoint="https://appleid.apple.com/auth/token",
        jwks_endpoint="https://appleid.apple.com/auth/keys",
        scopes=("name", "email"),
        token_auth="CLIENT_SECRET_POST",
        pkce=True,
        # Apple posts its answer when name or email is asked for
        authorization_params={"response_mode": "form_post"},
    ),
    "TWITTER": Endpoints(
        authorization_endpoint="https://twitter.com/i/oauth2/authorize",
        token_endpoint="https://api.twitter.com/2/oauth2/token",
        user_info_endpoint="https://api.twitter.com/2/users/me?user.fields=id,name,username,profile_image_url",
        scopes=("users.read", "tweet.read"),
        token_auth="CLIENT_SECRET_BASIC",
        pkce=True,
    ),
    "AMAZON": Endpoints(
        authorization_endpoint="https://www.amazon.com/ap/oa",
        token_endpoint="https://api.amazon.com/auth/o2/token",
        user_info_endpoint="https://api.amazon.com/user/profile",
        scopes=("profile",),
        token_auth="CLIENT_SECRET_POST",
        pkce=True,
    ),
    "YAHOO": Endpoints(
        issuer="https://api.login.yahoo.com",
        authorization_endpoint="https://api.login.yahoo.com/oauth2/request_auth",
        token_endpoint="https://api.login.yahoo.com/oauth2/get_token",
        jwks_endpoint="https://api.login.yahoo.com/openid/v1/certs",
        user_info_endpoint="https://api.login.yahoo.com/openid/v1/userinfo",
        scopes=("openid", "profile", "email"),
        token_auth="CLIENT_SECRET_BASIC",
    ),
    "MICROSOFT": Endpoints(
        issuer=f"{MICROSOFT_LOGIN}/v2.0",
        authorization_endpoint=f"{MICROSOFT_LOGIN}/oauth2/v2.0/authorize",
        token_endpoint=f"{MICROSOFT_LOGIN}/oauth2/v2.0/token",
        jwks_endpoint=f"{MICROSOFT_LOGIN}/discovery/v2.0/keys",
        scopes=("openid", "profile", "email"),
        token_auth="CLIENT_SECRET_POST",
        pkce=True,
    ),
    "PAYPAL": Endpoints(
        authorization_endpoint="https://www.paypal.com/signin/authorize",
        token_endpoint="https://api-m.paypal.com/v1/oauth2/token",
        user_info_endpoint="https://api-m.paypal.com/v1/identity/oauth2/userinfo?schema=paypalv1.1",
        scopes=("openid", "profile", "email"),
        token_auth="CLIENT_SECRET_BASIC",
    ),
    "GITHUB": Endpoints(
        authorization_endpoint="https://github.com/login/oauth/authorize",
        token_endpoint="https://github.com/login/oauth/access_token",
        user_info_endpoint="https://api.github.com/user",
        emails_endpoint="https://api.github.com/user/emails",
        scopes=("read:user", "user:email"),
        token_auth="CLIENT_SECRET_POST",
    ),
}

PAYPAL_SANDBOX = {
    "authorizationEndpoint": "https://www.sandbox.paypal.com/signin/authorize",
    "tokenEndpoint": "https://api-m.sandbox.paypal.com/v1/oauth2/token",
    "userInfoEndpoint": (
        "https://api-m.sandbox.paypal.com/v1/identity/oauth2/userinfo?schema=paypalv1.1"
    ),
}

# The subject claim of the OAuth 2.0 types' profiles.
SUBJECTS = {
    "FACEBOOK": "id",
    "LINKEDIN": "id",
    "TWITTER": "id",
    "AMAZON": "user_id",
    "PAYPAL": "user_id",
    "GITHUB": "id",
}

SOCIAL_TYPES = frozenset(DEFAULTS)


def endpoints_for(
    provider_type: str, config: Mapping[str, Any], overrides: Mapping[str, Mapping[str, str]]
) -> Endpoints:
    """The endpoints of a provider of `provider_type` with its settings `config` (tenantId,
    clientEnvironment): the type's defaults, then the deployment's overrides."""
    endpoints = DEFAULTS[provider_type]
    if provider_type == "PAYPAL" and config.get("clientEnvironment") == "sandbox":
        endpoints = endpoints.overridden(PAYPAL_SANDBOX)
    endpoints = endpoints.overridden(overrides.get(provider_type) or {})
    if provider_type == "MICROSOFT":
        endpoints = _with_tenant(endpoints, str(config.get("tenantId") or "common"))
    return endpoints


def _with_tenant(endpoints: Endpoints, tenant: str) -> Endpoints:
    """The tenant's URLs. A multi-tenant sign-on's ID tokens are issued by the user's own tenant:
    their issuer is checked with `{tid}` replaced by the token's `tid` claim."""

    def fill(url: str | None) -> str | None:
        return url.replace("{tenantId}", tenant) if url else url

    issuer = endpoints.issuer
    if issuer and tenant in MULTI_TENANT:
        issuer = issuer.replace("{tenantId}", "{tid}")
    return replace(
        endpoints,
        issuer=fill(issuer),
        authorization_endpoint=fill(endpoints.authorization_endpoint) or "",
        token_endpoint=fill(endpoints.token_endpoint) or "",
        jwks_endpoint=fill(endpoints.jwks_endpoint),
    )


def overrides_problem(value: Mapping[str, Mapping[str, str]]) -> str | None:
    """Why GATEHOUSE_FEDERATION_ENDPOINTS cannot be used; None when it can."""
    for provider_type, endpoints in value.items():
        if provider_type not in SOCIAL_TYPES:
            return (
                f"{provider_type!r} is not a social provider type ({', '.join(sorted(DEFAULTS))})."
            )
        for name, url in endpoints.items():
            if name not in ENDPOINT_NAMES:
                return f"{name!r} is not an endpoint name ({', '.join(sorted(ENDPOINT_NAMES))})."
            problem = url_problem(url.replace("{tenantId}", "common"), allow_http=True)
            if problem:
                return f"{provider_type}.{name}: {problem}"
    return None
