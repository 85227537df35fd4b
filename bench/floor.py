"""The floor: what one core of this machine does, right now, for the two costly primitives."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from joserfc import jwt
from joserfc.jwk import RSAKey


@dataclass
class Floor:
    rs256_per_s: float
    argon2id_per_s: float


def _rate(operation: Callable[[], object], seconds: float) -> float:
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        operation()
        count += 1
    return count / elapsed


def measure_floor(seconds: float = 2.0) -> Floor:
    """RS256 signatures (joserfc, 2048-bit key) and argon2id hashes at the server's parameters."""
    key = RSAKey.generate_key(2048)
    claims = {
        "iss": "https://bench.example/as",
        "sub": "bench",
        "aud": "bench",
        "exp": 2_000_000_000,
    }
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
    return Floor(
        rs256_per_s=round(_rate(lambda: jwt.encode({"alg": "RS256"}, claims, key), seconds), 1),
        argon2id_per_s=round(_rate(lambda: hasher.hash("Bench-Passw0rd!"), seconds), 1),
    )
