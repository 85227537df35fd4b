"""Secrets at rest: AES-256-GCM sealing for what must be shown again, keyed digests for what is only
compared. Both keys derive from the deployment's master key (settings.secret_key)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"


def _derive(master_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=b"gatehouse " + purpose).derive(
        master_key
    )


class Sealer:
    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(_derive(master_key, b"seal"))
        self._digest_key = _derive(master_key, b"digest")

    def seal(self, plaintext: str, context: str = "") -> str:
        """Encrypt; `context` (e.g. the owning row's id) is bound as associated data."""
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def unseal(self, token: str, context: str = "") -> str:
        version, _, payload = token.partition(".")
        if version != _VERSION:
            raise ValueError("unknown sealing version")
        raw = base64.urlsafe_b64decode(payload)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()

    def digest(self, secret: str) -> str:
        """A keyed SHA-256 of a high-entropy secret: fast to check, useless without the key."""
        return hmac.new(self._digest_key, secret.encode(), hashlib.sha256).hexdigest()

    def matches(self, secret: str, digest: str) -> bool:
        return hmac.compare_digest(self.digest(secret), digest)


def random_secret(length: int = 64) -> str:
    """A secret of `length` characters from [A-Za-z0-9-._~] (PingOne's secret alphabet)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    return "".join(secrets.choice(alphabet) for _ in range(length))
