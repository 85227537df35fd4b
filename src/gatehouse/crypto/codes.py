"""One-time codes people type: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L),
read case-insensitively. Stored only as keyed digests (crypto.sealing.Sealer.digest)."""

from __future__ import annotations

import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 8


def one_time_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalized(typed: str) -> str:
    """A typed code as it was issued: surrounding blanks dropped, upper case."""
    return typed.strip().upper()
