"""JWTs signed as an application signs them for /as/authorize (login_hint_token, request
objects): HS256 with its client secret, or unsigned (`alg` none)."""

from __future__ import annotations

import base64
import json
from typing import Any

from joserfc import jwt
from joserfc.jwk import OctKey

from tests.signon.support import Client


def issuer(env: str, base: str = "http://testserver") -> str:
    return f"{base}/{env}/as"


def hs256(client: Client, claims: dict[str, Any], secret: str | None = None) -> str:
    key = OctKey.import_key(secret or client.secret or "")
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, key)


def unsigned(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}."
