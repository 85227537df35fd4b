"""JSON Web Key Sets fetched from a URL (an application's jwksUrl, an identity provider's JWKS
endpoint) under the outbound policy, and kept per URL in this process.

- A set is kept for TTL seconds, then fetched again when next needed.
- A token whose `kid` the kept set does not have (without a `kid`: unless the set has exactly one
  key) may mean the signer rotated its keys: the set is fetched again, once, unless it was fetched
  less than REFETCH_AFTER seconds ago, so tokens naming made-up key ids cannot make Gatehouse call
  the URL over and over. The caller then verifies against what it gets; a kid still unknown fails.
- A failed fetch is not kept: with a kept set still within its TTL, that set is used.
- The answer must be 200 with a JSON key set of at most MAX_BYTES.
"""

from __future__ import annotations

import dataclasses
import json
import time

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from gatehouse.federation.outbound import OutboundError, OutboundPolicy, request

TTL = 300.0
REFETCH_AFTER = 30.0
MAX_BYTES = 256 * 1024
MAX_URLS = 1024


class KeySetError(Exception):
    """The key set could not be fetched or read; the message names the URL and the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclasses.dataclass(frozen=True)
class _Kept:
    fetched: float  # time.monotonic() of the fetch
    keys: KeySet


_kept: dict[str, _Kept] = {}


def token_kid(token: str) -> str | None:
    """The `kid` of a JWS compact token's header; None when it has none or is not a JWS."""
    try:
        kid = extract_compact(token.encode()).protected.get("kid")
    except (JoseError, ValueError, TypeError):
        return None
    return kid if isinstance(kid, str) else None


async def key_set(url: str, policy: OutboundPolicy, kid: str | None) -> KeySet:
    """The key set at `url` to verify a token whose header names `kid`."""
    kept = _kept.get(url)
    now = time.monotonic()
    if kept is not None and now - kept.fetched < TTL:
        if has_key(kept.keys, kid) or now - kept.fetched < REFETCH_AFTER:
            return kept.keys
        try:
            return await _fetch(url, policy)
        except KeySetError:
            return kept.keys
    return await _fetch(url, policy)


def has_key(keys: KeySet, kid: str | None) -> bool:
    if kid is None:
        return len(keys.keys) == 1
    return any(key.kid == kid for key in keys.keys)


async def _fetch(url: str, policy: OutboundPolicy) -> KeySet:
    limited = dataclasses.replace(policy, max_bytes=min(policy.max_bytes, MAX_BYTES))
    try:
        response = await request("GET", url, limited, headers={"Accept": "application/json"})
    except OutboundError as error:
        raise KeySetError(error.message) from None
    if response.status_code != 200:
        raise KeySetError(f"The key set at {url} answered {response.status_code}.")
    try:
        keys = KeySet.import_key_set(json.loads(response.body))
    except (JoseError, ValueError, TypeError, KeyError, AttributeError):
        raise KeySetError(f"The key set at {url} cannot be read.") from None
    if len(_kept) >= MAX_URLS:
        _kept.clear()
    _kept[url] = _Kept(time.monotonic(), keys)
    return keys
