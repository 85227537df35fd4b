"""Signing on through an external OpenID Connect provider (pingone/05 section 5): the round trip
to the upstream provider, under the outbound policy.

- `authorization_request`: the upstream authorization URL with `state`, `nonce` and, when the
  provider's pkceMethod is S256, a PKCE S256 challenge; and what the callback needs kept.
- `exchange_code`: the authorization code for tokens at the tokenEndpoint, authenticated with the
  provider's tokenEndpointAuthMethod (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST or NONE).
- `verify_id_token`: signature against the provider's jwksEndpoint (cached per process for
  JWKS_TTL seconds, fetched again once when the token names an unknown key), then iss, aud
  (the clientId), exp and nonce.
- `fetch_userinfo`: the userinfo claims when the provider has a userInfoEndpoint (its `sub` must
  be the ID token's).

Every failure raises SignOnError with a message meant for the flow's error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gatehouse.federation.outbound import OutboundError, OutboundPolicy, OutboundResponse, request
from gatehouse.federation.schemas import OidcProvider

JWKS_TTL = 300.0
CLOCK_SKEW = 60
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512"]

_jwks_cache: dict[str, tuple[float, KeySet]] = {}


class SignOnError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str | None


def authorization_request(
    settings: OidcProvider, redirect_uri: str, state: str
) -> AuthorizationRequest:
    nonce = secrets.token_urlsafe(24)
    params = {
        "response_type": "code",
        "client_id": settings.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(settings.scopes),
        "state": state,
        "nonce": nonce,
    }
    verifier = None
    if settings.pkce_method == "S256":
        verifier = secrets.token_urlsafe(48)
        params["code_challenge"] = s256(verifier)
        params["code_challenge_method"] = "S256"
    endpoint = str(settings.authorization_endpoint)
    separator = "&" if "?" in endpoint else "?"
    return AuthorizationRequest(f"{endpoint}{separator}{urlencode(params)}", state, nonce, verifier)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


async def exchange_code(
    settings: OidcProvider,
    secret: str | None,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    policy: OutboundPolicy,
) -> dict[str, Any]:
    """The token response; it must carry an id_token."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    headers = {"Accept": "application/json"}
    if code_verifier is not None:
        form["code_verifier"] = code_verifier
    method = settings.token_endpoint_auth_method
    if method == "CLIENT_SECRET_BASIC":
        pair = f"{_form_escape(settings.client_id)}:{_form_escape(secret or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        form["client_id"] = settings.client_id
        if method == "CLIENT_SECRET_POST":
            form["client_secret"] = secret or ""
    response = await _call("POST", str(settings.token_endpoint), policy, headers, form)
    tokens = _json_object(response, "token endpoint")
    if response.status_code != 200:
        error = tokens.get("error", response.status_code)
        raise SignOnError(f"The identity provider refused the authorization code ({error}).")
    if not isinstance(tokens.get("id_token"), str):
        raise SignOnError("The identity provider's token response has no ID token.")
    return tokens


async def verify_id_token(
    token: str, settings: OidcProvider, nonce: str, policy: OutboundPolicy
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce check out."""
    keys = await _jwks(str(settings.jwks_endpoint), policy, refresh=False)
    try:
        claims = _decode(token, keys)
    except JoseError:
        keys = await _jwks(str(settings.jwks_endpoint), policy, refresh=True)
        try:
            claims = _decode(token, keys)
        except JoseError:
            raise SignOnError("The ID token's signature does not verify.") from None
    _check_claims(claims, settings, nonce)
    return claims


def _decode(token: str, keys: KeySet) -> dict[str, Any]:
    try:
        return dict(jwt.decode(token, keys, algorithms=ALGORITHMS).claims)
    except (ValueError, TypeError, KeyError) as error:
        raise JoseError(str(error)) from None


def _check_claims(claims: dict[str, Any], settings: OidcProvider, nonce: str) -> None:
    if str(claims.get("iss", "")).rstrip("/") != str(settings.issuer).rstrip("/"):
        raise SignOnError("The ID token was issued by another issuer.")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if settings.client_id not in audiences:
        raise SignOnError("The ID token is meant for another client.")
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires + CLOCK_SKEW < time.time():
        raise SignOnError("The ID token has expired.")
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignOnError("The ID token's nonce is not the sign-on's.")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SignOnError("The ID token has no subject.")


async def fetch_userinfo(
    settings: OidcProvider, access_token: str | None, subject: str, policy: OutboundPolicy
) -> dict[str, Any]:
    """The userinfo claims, or {} when the provider has no userinfo endpoint or no token."""
    if settings.user_info_endpoint is None or not access_token:
        return {}
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    response = await _call("GET", str(settings.user_info_endpoint), policy, headers, None)
    if response.status_code != 200:
        raise SignOnError(f"The userinfo endpoint answered {response.status_code}.")
    claims = _json_object(response, "userinfo endpoint")
    if claims.get("sub") != subject:
        raise SignOnError("The userinfo is about another subject than the ID token.")
    return claims


async def _jwks(url: str, policy: OutboundPolicy, *, refresh: bool) -> KeySet:
    cached = _jwks_cache.get(url)
    if cached is not None and not refresh and cached[0] > time.monotonic():
        return cached[1]
    response = await _call("GET", url, policy, {"Accept": "application/json"}, None)
    document = _json_object(response, "JWKS endpoint")
    try:
        keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise SignOnError(f"The JWKS at {url} cannot be read.") from None
    _jwks_cache[url] = (time.monotonic() + JWKS_TTL, keys)
    return keys


async def _call(
    method: str,
    url: str,
    policy: OutboundPolicy,
    headers: dict[str, str],
    form: dict[str, str] | None,
) -> OutboundResponse:
    try:
        return await request(method, url, policy, headers=headers, form=form)
    except OutboundError as error:
        raise SignOnError(error.message) from None


def _json_object(response: OutboundResponse, what: str) -> dict[str, Any]:
    try:
        value = json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise SignOnError(f"The identity provider's {what} did not answer with a JSON object.")
    return value


def _form_escape(value: str) -> str:
    """RFC 6749 section 2.3.1: the client id and secret are form-encoded in Basic credentials."""
    return urlencode({"": value})[1:]
