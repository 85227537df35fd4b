"""Secrets at rest: sealing round-trips and is bound to its context; digests are keyed; password
hashes are argon2id, and legacy hashes verify without being trusted for anything else; hashing
runs off the event loop, at most one hash per core at a time."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import threading
import time

import bcrypt
import pytest
from cryptography.exceptions import InvalidTag

from gatehouse.crypto.passwords import PasswordHasher, is_supported_hash, usable_cores
from gatehouse.crypto.sealing import Sealer, random_secret

HASHER = PasswordHasher(memory_kib=19456, time_cost=2, parallelism=1)


def test_sealed_secret_round_trips_and_is_bound_to_its_context() -> None:
    sealer = Sealer(secrets.token_bytes(32))
    sealed = sealer.seal("s3cret", context="app-1")
    assert "s3cret" not in sealed
    assert sealer.unseal(sealed, context="app-1") == "s3cret"
    with pytest.raises(InvalidTag):
        sealer.unseal(sealed, context="app-2")
    with pytest.raises(InvalidTag):
        Sealer(secrets.token_bytes(32)).unseal(sealed, context="app-1")


def test_digests_depend_on_the_master_key() -> None:
    one, two = Sealer(secrets.token_bytes(32)), Sealer(secrets.token_bytes(32))
    assert one.digest("x") != two.digest("x")
    assert one.matches("x", one.digest("x")) and not one.matches("y", one.digest("x"))


def test_random_secrets_use_the_pingone_alphabet() -> None:
    value = random_secret(64)
    assert len(value) == 64
    assert set(value) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def test_passwords_hash_with_argon2id() -> None:
    stored = HASHER.hash("Correct horse 1!")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert HASHER.verify(stored, "Correct horse 1!")
    assert not HASHER.verify(stored, "correct horse 1!")
    assert not HASHER.needs_rehash(stored)


def _ssha512(password: str, salt: bytes) -> str:
    digest = hashlib.sha512(password.encode() + salt).digest()
    return "{SSHA512}" + base64.b64encode(digest + salt).decode()


@pytest.mark.parametrize(
    "stored",
    [
        _ssha512("Legacy pass 9", b"saltsalt"),
        "{SSHA256}"
        + base64.b64encode(
            hashlib.sha256(b"Legacy pass 9" + b"pepper").digest() + b"pepper"
        ).decode(),
        "{SHA}" + base64.b64encode(hashlib.sha1(b"Legacy pass 9").digest()).decode(),
        bcrypt.hashpw(b"Legacy pass 9", bcrypt.gensalt(rounds=4)).decode(),
    ],
    ids=["ssha512", "ssha256", "sha1", "bcrypt"],
)
def test_legacy_hashes_verify_and_ask_for_a_rehash(stored: str) -> None:
    assert is_supported_hash(stored)
    assert HASHER.verify(stored, "Legacy pass 9")
    assert not HASHER.verify(stored, "Legacy pass 8")
    assert HASHER.needs_rehash(stored)


@pytest.mark.parametrize(
    "stored", ["{SSHA512}not-base64!", "{SSHA512}", "$2b$12$short", "plain text"]
)
def test_malformed_hashes_never_verify(stored: str) -> None:
    assert not HASHER.verify(stored, "anything")


@pytest.mark.anyio
async def test_concurrent_password_checks_run_on_at_most_one_thread_per_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = PasswordHasher(memory_kib=19456, time_cost=2, parallelism=1)
    running, most, lock = 0, 0, threading.Lock()

    def slow_verify(stored: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return stored == password

    monkeypatch.setattr(hasher, "verify", slow_verify)
    results = await asyncio.gather(*(hasher.verify_async("a", "a") for _ in range(12)))
    assert all(results)
    assert most == min(12, usable_cores())
