"""Proof Key for Code Exchange (RFC 7636): the S256 transformation (4.2) and the check of a
code_verifier against the challenge an authorization request sent (4.6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def well_formed(verifier: str) -> bool:
    """43 to 128 unreserved characters (4.1)."""
    return CODE_VERIFIER.fullmatch(verifier) is not None


def verifier_matches(verifier: str, challenge: str, method: str | None) -> bool:
    """Whether a well-formed `verifier` transforms into `challenge` (S256, else plain)."""
    if not well_formed(verifier):
        return False
    computed = s256(verifier) if method == "S256" else verifier
    return hmac.compare_digest(computed.encode(), challenge.encode())
