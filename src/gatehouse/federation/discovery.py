"""OpenID Provider discovery for administrators (OpenID Connect Discovery 1.0 sections 3 and 4):
fetch an issuer's metadata under the outbound policy, check it, and hand it back as published.

The URL given is the issuer, or its full `/.well-known/openid-configuration` URL; either way the
metadata's `issuer` must be that issuer (a trailing slash aside).
"""

from __future__ import annotations

from typing import Any

import orjson

from gatehouse.federation.outbound import OutboundError, OutboundPolicy, request

WELL_KNOWN = "/.well-known/openid-configuration"
REQUIRED_STRINGS = ("issuer", "authorization_endpoint", "jwks_uri")
REQUIRED_LISTS = (
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)


def locations(url: str) -> tuple[str, str]:
    """(issuer, metadata URL) for an issuer or a metadata URL."""
    base = url.split("?", 1)[0].split("#", 1)[0]
    if base.rstrip("/").endswith(WELL_KNOWN):
        return base.rstrip("/")[: -len(WELL_KNOWN)], url
    return url, url.rstrip("/") + WELL_KNOWN


async def discover(url: str, policy: OutboundPolicy) -> dict[str, Any]:
    """The provider's metadata; OutboundError names what went wrong."""
    issuer, metadata_url = locations(url)
    response = await request("GET", metadata_url, policy, headers={"Accept": "application/json"})
    if response.status_code != 200:
        raise OutboundError(f"{metadata_url} answered HTTP {response.status_code}.")
    try:
        metadata = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        raise OutboundError(f"{metadata_url} did not answer with JSON.") from None
    check_metadata(metadata, issuer, metadata_url)
    return metadata


def check_metadata(metadata: Any, issuer: str, metadata_url: str) -> None:
    if not isinstance(metadata, dict):
        raise OutboundError(f"The metadata at {metadata_url} is not a JSON object.")
    missing = [name for name in REQUIRED_STRINGS if not _is_text(metadata.get(name))]
    missing += [name for name in REQUIRED_LISTS if not _is_text_list(metadata.get(name))]
    if _uses_token_endpoint(metadata) and not _is_text(metadata.get("token_endpoint")):
        missing.append("token_endpoint")
    if missing:
        raise OutboundError(
            f"The metadata at {metadata_url} lacks required members: {', '.join(missing)}."
        )
    if metadata["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise OutboundError(
            f"The metadata at {metadata_url} names the issuer {metadata['issuer']!r}, "
            f"not {issuer!r}."
        )


def _uses_token_endpoint(metadata: dict[str, Any]) -> bool:
    """Whether the provider offers more than the implicit flow (a response type with `code`)."""
    response_types = metadata.get("response_types_supported")
    if not _is_text_list(response_types):
        return True
    return any("code" in response_type.split() for response_type in response_types)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_text_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_text(item) for item in value)
