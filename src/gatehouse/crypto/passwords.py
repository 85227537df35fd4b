"""Password hashing: argon2id for everything we hash; legacy formats verified on import, then rehashed.

Hashing is slow by design, so the async helpers run it off the event loop, on the hasher's own
threads, as many as the process may use cores: more would only wait for a core, each holding
argon2id's memory (19 MiB at the default parameters), so 16 logins at once took 300 MB.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import bcrypt
from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

_SSHA_DIGESTS = {
    "{SSHA512}": ("sha512", 64),
    "{SSHA384}": ("sha384", 48),
    "{SSHA256}": ("sha256", 32),
    "{SSHA}": ("sha1", 20),
}
_SHA_DIGESTS = {"{SHA512}": "sha512", "{SHA384}": "sha384", "{SHA256}": "sha256", "{SHA}": "sha1"}
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")

T = TypeVar("T")


class PasswordHasher:
    def __init__(self, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._threads = ThreadPoolExecutor(
            max_workers=usable_cores(), thread_name_prefix="password-hashing"
        )

    def hash(self, password: str) -> str:
        return self._argon2.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        if stored.startswith("$argon2"):
            try:
                return self._argon2.verify(stored, password)
            except (VerificationError, InvalidHashError):
                return False
        if stored.startswith(_BCRYPT_PREFIXES):
            try:
                return bcrypt.checkpw(password.encode(), stored.encode())
            except ValueError:
                return False
        return _verify_ldap_style(stored, password)

    def needs_rehash(self, stored: str) -> bool:
        return not stored.startswith("$argon2id$") or self._argon2.check_needs_rehash(stored)

    async def hash_async(self, password: str) -> str:
        return await self._off_the_loop(lambda: self.hash(password))

    async def verify_async(self, stored: str, password: str) -> bool:
        return await self._off_the_loop(lambda: self.verify(stored, password))

    async def _off_the_loop(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._threads, work)


def usable_cores() -> int:
    """The cores this process may run on (all of them where the OS cannot say, as on macOS)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def is_supported_hash(value: str) -> bool:
    """Whether an imported password value is a pre-encoded hash we can verify."""
    return value.startswith(
        ("$argon2id$", "$argon2i$", *_BCRYPT_PREFIXES)
    ) or value.upper().startswith(tuple(_SSHA_DIGESTS) + tuple(_SHA_DIGESTS))


def _verify_ldap_style(stored: str, password: str) -> bool:
    upper = stored.upper()
    for prefix, (name, size) in _SSHA_DIGESTS.items():
        if upper.startswith(prefix):
            raw = _b64(stored[len(prefix) :])
            if raw is None or len(raw) <= size:
                return False
            digest, salt = raw[:size], raw[size:]
            return hmac.compare_digest(hashlib.new(name, password.encode() + salt).digest(), digest)
    for prefix, name in _SHA_DIGESTS.items():
        if upper.startswith(prefix):
            raw = _b64(stored[len(prefix) :])
            return raw is not None and hmac.compare_digest(
                hashlib.new(name, password.encode()).digest(), raw
            )
    return False


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None
