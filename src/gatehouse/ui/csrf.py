"""CSRF protection of the hosted sign-on forms: a token bound to the flow and to the browser's
interaction cookie, HMAC-SHA256 under a key derived from the deployment's master key. A page
from another site cannot know the token: it needs the flow's cookie, which only this browser
holds (HttpOnly, SameSite=Lax)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from gatehouse.crypto.sealing import Sealer

PURPOSE = "gatehouse hosted sign-on CSRF key"


def _key(sealer: Sealer) -> bytes:
    # The digest key is HKDF(master key, "digest"); an HMAC of this purpose under it is a key of
    # its own, never used for anything else.
    return bytes.fromhex(sealer.digest(PURPOSE))


def token(sealer: Sealer, flow_id: str, binding: str) -> str:
    mac = hmac.new(_key(sealer), f"{flow_id}\n{binding}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def valid(sealer: Sealer, presented: str | None, flow_id: str, binding: str) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(presented.encode(), token(sealer, flow_id, binding).encode())
