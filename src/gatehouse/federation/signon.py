"""Signing on through an external provider (pingone/05 section 5): the OAuth 2.0 / OpenID Connect
round trip to the upstream, under the outbound policy. An `Upstream` says what one provider is
(its client id and Endpoints: an OPENID_CONNECT provider's own settings, or a social type's table
in federation.social with the deployment's overrides).

- `authorization_request`: the upstream authorization URL with `state`, a `nonce` (OpenID
  Connect, with the login_hint and acr_values the sign-on passes on) and, when the upstream uses
  PKCE, an S256 challenge; and what the callback needs kept.
- `exchange_code`: the authorization code for tokens at the token endpoint, authenticated with
  the upstream's client authentication (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST or NONE). An
  OpenID Connect upstream must answer with an ID token, any upstream with an access token.
- `verify_id_token`: signature against the upstream's JWKS (federation.key_sets: kept per
  process for a few minutes, fetched again once when the token names an unknown key), then iss,
  aud (the client id), exp and nonce.
- `fetch_userinfo`: the userinfo claims when the upstream has a userinfo endpoint (its `sub`
  must be the ID token's).
- `get_json`: a GET with the access token, for the OAuth 2.0 types' profile APIs.

Every failure raises SignOnError with a message meant for the flow's error.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gatehouse.federation import key_sets
from gatehouse.federation.outbound import OutboundError, OutboundPolicy, OutboundResponse, request
from gatehouse.federation.schemas import OidcProvider
from gatehouse.federation.social import Endpoints
from gatehouse.oauth import pkce

CLOCK_SKEW = 60
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "ES512"]


class SignOnError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Upstream:
    """One provider as the round trip sees it."""

    type: str
    client_id: str
    endpoints: Endpoints

    @classmethod
    def of_oidc(cls, settings: OidcProvider) -> Upstream:
        endpoints = Endpoints(
            issuer=str(settings.issuer),
            authorization_endpoint=str(settings.authorization_endpoint),
            token_endpoint=str(settings.token_endpoint),
            jwks_endpoint=str(settings.jwks_endpoint),
            user_info_endpoint=settings.user_info_endpoint,
            scopes=tuple(settings.scopes),
            token_auth=settings.token_endpoint_auth_method,
            pkce=settings.pkce_method == "S256",
        )
        return cls(settings.type, settings.client_id, endpoints)


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str | None
    code_verifier: str | None


def authorization_request(
    upstream: Upstream,
    redirect_uri: str,
    state: str,
    login_hint: str | None = None,
    acr_values: str | None = None,
) -> AuthorizationRequest:
    endpoints = upstream.endpoints
    params = {
        "response_type": "code",
        "client_id": upstream.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(endpoints.scopes),
        "state": state,
        **endpoints.authorization_params,
    }
    nonce = None
    if endpoints.oidc:
        nonce = params["nonce"] = secrets.token_urlsafe(24)
        if login_hint:
            params["login_hint"] = login_hint
        if acr_values:
            params["acr_values"] = acr_values
    verifier = None
    if endpoints.pkce:
        verifier = secrets.token_urlsafe(48)
        params["code_challenge"] = pkce.s256(verifier)
        params["code_challenge_method"] = "S256"
    return AuthorizationRequest(
        with_query(endpoints.authorization_endpoint, params), state, nonce, verifier
    )


def with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


async def exchange_code(
    upstream: Upstream,
    secret: str | None,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    policy: OutboundPolicy,
) -> dict[str, Any]:
    """The token response: with an id_token (OpenID Connect), with an access_token (OAuth 2.0).
    An `error` member is a refusal even in a 200 answer (as GitHub sends them)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    headers = {"Accept": "application/json"}
    if code_verifier is not None:
        form["code_verifier"] = code_verifier
    method = upstream.endpoints.token_auth
    if method == "CLIENT_SECRET_BASIC":
        pair = f"{_form_escape(upstream.client_id)}:{_form_escape(secret or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        form["client_id"] = upstream.client_id
        if method == "CLIENT_SECRET_POST":
            form["client_secret"] = secret or ""
    response = await _call("POST", upstream.endpoints.token_endpoint, policy, headers, form)
    tokens = _json_object(response, "token endpoint")
    if response.status_code != 200 or "error" in tokens:
        error = _error_name(tokens.get("error"), response.status_code)
        raise SignOnError(f"The identity provider refused the authorization code ({error}).")
    if upstream.endpoints.oidc and not isinstance(tokens.get("id_token"), str):
        raise SignOnError("The identity provider's token response has no ID token.")
    if not upstream.endpoints.oidc and not isinstance(tokens.get("access_token"), str):
        raise SignOnError("The identity provider's token response has no access token.")
    return tokens


async def verify_id_token(
    token: str, upstream: Upstream, nonce: str, policy: OutboundPolicy
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce check out."""
    jwks_endpoint = upstream.endpoints.jwks_endpoint or ""
    try:
        keys = await key_sets.key_set(jwks_endpoint, policy, key_sets.token_kid(token))
    except key_sets.KeySetError as error:
        raise SignOnError(error.message) from None
    try:
        claims = _decode(token, keys)
    except JoseError:
        raise SignOnError("The ID token's signature does not verify.") from None
    _check_claims(claims, upstream, nonce)
    return claims


def _decode(token: str, keys: KeySet) -> dict[str, Any]:
    try:
        return dict(jwt.decode(token, keys, algorithms=ALGORITHMS).claims)
    except (ValueError, TypeError, KeyError) as error:
        raise JoseError(str(error)) from None


def _check_claims(claims: dict[str, Any], upstream: Upstream, nonce: str) -> None:
    if str(claims.get("iss", "")).rstrip("/") not in _issuers(upstream, claims):
        raise SignOnError("The ID token was issued by another issuer.")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if upstream.client_id not in audiences:
        raise SignOnError("The ID token is meant for another client.")
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires + CLOCK_SKEW < time.time():
        raise SignOnError("The ID token has expired.")
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise SignOnError("The ID token's nonce is not the sign-on's.")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SignOnError("The ID token has no subject.")


def _issuers(upstream: Upstream, claims: dict[str, Any]) -> set[str]:
    """The issuers accepted: the upstream's (a multi-tenant one names the token's tenant)."""
    endpoints = upstream.endpoints
    issuer = (endpoints.issuer or "").replace("{tid}", str(claims.get("tid") or "?"))
    return {issuer.rstrip("/"), *endpoints.issuer_aliases}


async def fetch_userinfo(
    upstream: Upstream, access_token: str | None, subject: str, policy: OutboundPolicy
) -> dict[str, Any]:
    """The userinfo claims, or {} when the provider has no userinfo endpoint or no token."""
    endpoint = upstream.endpoints.user_info_endpoint
    if endpoint is None or not access_token:
        return {}
    claims = await get_json(endpoint, access_token, policy, "userinfo endpoint")
    if not isinstance(claims, dict):
        raise SignOnError("The identity provider's userinfo endpoint did not answer an object.")
    if claims.get("sub") != subject:
        raise SignOnError("The userinfo is about another subject than the ID token.")
    return claims


async def get_json(
    url: str,
    access_token: str,
    policy: OutboundPolicy,
    what: str,
    headers: dict[str, str] | None = None,
) -> Any:
    """The JSON a GET with the access token answers; a SignOnError unless it answers 200."""
    sent = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    response = await _call("GET", url, policy, {**sent, **(headers or {})}, None)
    if response.status_code != 200:
        raise SignOnError(f"The identity provider's {what} answered {response.status_code}.")
    try:
        return json.loads(response.body)
    except (ValueError, UnicodeDecodeError):
        raise SignOnError(f"The identity provider's {what} did not answer with JSON.") from None


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


def _error_name(error: Any, status: int) -> str:
    """An OAuth error code, or (Facebook's Graph errors) the error object's type and message."""
    if isinstance(error, dict):
        return ": ".join(str(error[key]) for key in ("type", "message") if error.get(key))
    return str(error) if error else str(status)


def _form_escape(value: str) -> str:
    """RFC 6749 section 2.3.1: the client id and secret are form-encoded in Basic credentials."""
    return urlencode({"": value})[1:]
