"""Authenticator apps (RFC 6238 TOTP through pyotp): 160-bit secrets, SHA-1, 6 digits, 30-second
steps, the otpauth key URI and its QR code."""

from __future__ import annotations

import base64
import hmac
import io
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote, urlencode

import pyotp
import segno

DIGITS = 6
STEP_SECONDS = 30


def new_secret() -> str:
    """A base32 secret of 32 characters (160 bits, RFC 4226's recommended length)."""
    return pyotp.random_base32()


def key_uri(secret: str, account: str, issuer: str, parameters: Mapping[str, str]) -> str:
    """`otpauth://totp/<issuer>:<account>?secret=...&issuer=...` plus the policy's
    `uriParameters` (its `issuer`, when given, replaces `issuer`)."""
    issuer = parameters.get("issuer", issuer)
    uri = pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)
    extra = {key: value for key, value in parameters.items() if key != "issuer"}
    return f"{uri}&{urlencode(extra, quote_via=quote)}" if extra else uri


def qr_code_png(uri: str) -> str:
    """The key URI as a QR code: a PNG image, base64-encoded."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=4, border=4)
    return base64.b64encode(buffer.getvalue()).decode()


def matching_step(secret: str, code: str, now: datetime, window: int) -> int | None:
    """The time step, within `window` steps of `now`, whose code is `code` (None: none is)."""
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = totp.timecode(now)
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
