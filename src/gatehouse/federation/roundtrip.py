"""Who an external provider signed on, whatever its type (pingone/05 sections 3 and 5).

- `upstream_for(provider, overrides)`: the provider as the round trip sees it: an
  OPENID_CONNECT provider's own settings, or its social type's endpoints (federation.social)
  with the deployment's overrides.
- `client_secret(provider, secret)`: what authenticates Gatehouse at the token endpoint: the
  stored secret, or for APPLE a short-lived ES256 JWT signed with the provider's private key
  (iss teamId, sub clientId, aud Apple's issuer, kid keyId), as Apple requires.
- `identify(...)`: after the code exchange, the subject and the `providerAttributes`: an OpenID
  Connect upstream's verified ID token claims over its userinfo; an OAuth 2.0 upstream's profile
  (PROFILE_READERS), the subject being its SUBJECTS member.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey

from gatehouse.federation import signon, social
from gatehouse.federation.models import IdentityProvider
from gatehouse.federation.outbound import OutboundPolicy
from gatehouse.federation.schemas import OidcProvider
from gatehouse.federation.service import provider_settings
from gatehouse.federation.signon import SignOnError, Upstream, get_json, with_query

APPLE_SECRET_SECONDS = 300


@dataclass(frozen=True)
class Identity:
    subject: str
    attributes: dict[str, Any]  # the `${providerAttributes.*}` of the mappings


def upstream_for(
    provider: IdentityProvider, overrides: Mapping[str, Mapping[str, str]]
) -> Upstream | None:
    """The provider's round trip, or None for a type that does not make one here (SAML)."""
    if provider.type == "OPENID_CONNECT":
        settings = provider_settings(provider)
        assert isinstance(settings, OidcProvider)
        return Upstream.of_oidc(settings)
    if provider.type not in social.SOCIAL_TYPES:
        return None
    client_id = provider.config.get("clientId") or provider.config.get("appId") or ""
    endpoints = social.endpoints_for(provider.type, provider.config, overrides)
    return Upstream(provider.type, str(client_id), endpoints)


def client_secret(provider: IdentityProvider, upstream: Upstream, secret: str | None) -> str | None:
    if provider.type != "APPLE" or secret is None:
        return secret
    now = int(time.time())
    claims = {
        "iss": provider.config["teamId"],
        "sub": upstream.client_id,
        "aud": upstream.endpoints.issuer,
        "iat": now,
        "exp": now + APPLE_SECRET_SECONDS,
    }
    header = {"alg": "ES256", "kid": provider.config["keyId"]}
    return jwt.encode(header, claims, ECKey.import_key(secret))


async def identify(
    upstream: Upstream,
    tokens: dict[str, Any],
    nonce: str | None,
    secret: str | None,
    policy: OutboundPolicy,
    posted_user: dict[str, Any] | None = None,
) -> Identity:
    """Who the token response is about (SignOnError when it cannot be told)."""
    if upstream.endpoints.oidc:
        claims = await signon.verify_id_token(tokens["id_token"], upstream, nonce or "", policy)
        userinfo = await signon.fetch_userinfo(
            upstream, tokens.get("access_token"), claims["sub"], policy
        )
        return Identity(claims["sub"], {**(posted_user or {}), **userinfo, **claims})
    reader = PROFILE_READERS[upstream.type]
    profile = await reader(upstream, tokens["access_token"], secret, policy)
    subject = profile.get(social.SUBJECTS[upstream.type])
    if isinstance(subject, bool) or not isinstance(subject, str | int) or subject == "":
        raise SignOnError("The identity provider's profile has no user id.")
    return Identity(str(subject), profile)


# --- the OAuth 2.0 types' profiles ---------------------------------------------------------------

ProfileReader = Callable[[Upstream, str, str | None, OutboundPolicy], Awaitable[dict[str, Any]]]


async def _facebook(
    upstream: Upstream, token: str, secret: str | None, policy: OutboundPolicy
) -> dict[str, Any]:
    """Graph /me with the fields the mappings may name, and the appsecret_proof Facebook checks
    when the app requires it (HMAC-SHA256 of the token under the app secret)."""
    params = {"fields": social.FACEBOOK_FIELDS}
    if secret:
        proof = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        params["appsecret_proof"] = proof
    url = with_query(_profile_url(upstream), params)
    return _object(await get_json(url, token, policy, "profile endpoint"))


async def _linkedin(
    upstream: Upstream, token: str, _secret: str | None, policy: OutboundPolicy
) -> dict[str, Any]:
    profile = _object(await get_json(_profile_url(upstream), token, policy, "profile endpoint"))
    if upstream.endpoints.emails_endpoint:
        found = await get_json(upstream.endpoints.emails_endpoint, token, policy, "e-mail endpoint")
        elements = _dig(found, "elements")
        for element in elements if isinstance(elements, list) else []:
            address = _dig(element, "handle~", "emailAddress")
            if isinstance(address, str):
                profile.setdefault("email", address)
                break
    return profile


async def _twitter(
    upstream: Upstream, token: str, _secret: str | None, policy: OutboundPolicy
) -> dict[str, Any]:
    answer = _object(await get_json(_profile_url(upstream), token, policy, "profile endpoint"))
    return _object(answer.get("data"))


async def _plain(
    upstream: Upstream, token: str, _secret: str | None, policy: OutboundPolicy
) -> dict[str, Any]:
    return _object(await get_json(_profile_url(upstream), token, policy, "profile endpoint"))


async def _paypal(
    upstream: Upstream, token: str, secret: str | None, policy: OutboundPolicy
) -> dict[str, Any]:
    profile = await _plain(upstream, token, secret, policy)
    emails = [item for item in profile.get("emails") or [] if isinstance(item, dict)]
    primary = next((item for item in emails if item.get("primary")), emails[0] if emails else {})
    if isinstance(primary.get("value"), str):
        profile.setdefault("email", primary["value"])
    return profile


GITHUB_HEADERS = {"Accept": "application/vnd.github+json", "User-Agent": "Gatehouse"}


async def _github(
    upstream: Upstream, token: str, _secret: str | None, policy: OutboundPolicy
) -> dict[str, Any]:
    """/user, with `email` the primary verified address of /user/emails (the profile's own is
    the public one, often empty)."""
    profile = _object(
        await get_json(_profile_url(upstream), token, policy, "profile endpoint", GITHUB_HEADERS)
    )
    if upstream.endpoints.emails_endpoint:
        emails = await get_json(
            upstream.endpoints.emails_endpoint, token, policy, "e-mail endpoint", GITHUB_HEADERS
        )
        verified = [
            item
            for item in (emails if isinstance(emails, list) else [])
            if isinstance(item, dict)
            and item.get("verified")
            and isinstance(item.get("email"), str)
        ]
        primary = next((item for item in verified if item.get("primary")), None)
        if primary is not None:
            profile["email"] = primary["email"]
    return profile


PROFILE_READERS: dict[str, ProfileReader] = {
    "FACEBOOK": _facebook,
    "LINKEDIN": _linkedin,
    "TWITTER": _twitter,
    "AMAZON": _plain,
    "PAYPAL": _paypal,
    "GITHUB": _github,
}


def _profile_url(upstream: Upstream) -> str:
    if not upstream.endpoints.user_info_endpoint:
        raise SignOnError("The identity provider has no profile endpoint.")
    return upstream.endpoints.user_info_endpoint


def _dig(value: Any, *keys: str) -> Any:
    """value[key][key]..., or None where the answer has another shape."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SignOnError("The identity provider's profile is not a JSON object.")
    return value
