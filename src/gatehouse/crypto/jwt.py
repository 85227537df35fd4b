"""Signed JWTs through joserfc: issuing with an environment's key, and verifying against it."""

from __future__ import annotations

import json
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from joserfc.jws import extract_compact


def sign(claims: dict[str, Any], key: RSAKey, *, typ: str = "JWT") -> str:
    header = {"alg": key.get("alg", "RS256"), "kid": key.kid, "typ": typ}
    return jwt.encode(header, claims, key)


def unverified_header(token: str) -> dict[str, Any] | None:
    """The JOSE header, read only to pick the verification key."""
    try:
        return dict(extract_compact(token.encode()).protected)
    except (JoseError, ValueError, TypeError):
        return None


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload, unverified ({} when it is not a JSON object): only a hint of which key to
    verify with."""
    try:
        claims = json.loads(extract_compact(token.encode()).payload)
    except (JoseError, ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def verify(token: str, key: RSAKey, algorithms: list[str] | None = None) -> dict[str, Any] | None:
    """The claims of a token whose signature verifies with `key`, else None (claims unchecked)."""
    try:
        return dict(jwt.decode(token, key, algorithms=algorithms or ["RS256"]).claims)
    except (JoseError, ValueError, TypeError):
        return None
