"""Request bodies the application tests start from: one valid application of each OIDC type."""

from __future__ import annotations

from typing import Any

BASE: dict[str, Any] = {"enabled": True, "protocol": "OPENID_CONNECT"}

BY_TYPE: dict[str, dict[str, Any]] = {
    "WEB_APP": {
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
        "responseTypes": ["CODE"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
        "redirectUris": ["https://app.example.com/callback"],
    },
    "NATIVE_APP": {
        "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN", "DEVICE_CODE"],
        "responseTypes": ["CODE"],
        "tokenEndpointAuthMethod": "NONE",
        "redirectUris": ["com.example.app:/callback", "http://127.0.0.1:8400/callback"],
        "pkceEnforcement": "S256_REQUIRED",
    },
    "SINGLE_PAGE_APP": {
        "grantTypes": ["AUTHORIZATION_CODE"],
        "responseTypes": ["CODE"],
        "tokenEndpointAuthMethod": "NONE",
        "redirectUris": ["http://localhost:3000/callback"],
        "pkceEnforcement": "S256_REQUIRED",
    },
    "WORKER": {
        "grantTypes": ["CLIENT_CREDENTIALS"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
    },
    "SERVICE": {
        "grantTypes": ["CLIENT_CREDENTIALS"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_POST",
    },
    "CUSTOM_APP": {
        "grantTypes": ["AUTHORIZATION_CODE", "IMPLICIT", "CLIENT_CREDENTIALS"],
        "responseTypes": ["CODE", "ID_TOKEN"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_POST",
        "redirectUris": ["https://custom.example.com/cb", "custom-scheme:/cb"],
    },
}


def application(kind: str = "WEB_APP", **overrides: Any) -> dict[str, Any]:
    """A valid application of type `kind`, with `overrides` (camelCase names) applied."""
    return {**BASE, "name": f"{kind.lower()} app", "type": kind, **BY_TYPE[kind], **overrides}
