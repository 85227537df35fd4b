"""One-time codes sent by SMS, voice call or e-mail: random digits, stored only as a keyed digest
bound to their device, compared in constant time."""

from __future__ import annotations

import secrets
import uuid

from gatehouse.crypto.sealing import Sealer


def new_code(length: int) -> str:
    """`length` uniformly random decimal digits."""
    return f"{secrets.randbelow(10**length):0{length}d}"


def code_digest(sealer: Sealer, device_id: uuid.UUID, code: str) -> str:
    """The digest of `code` for one device: the same digits sent to another device never match."""
    return sealer.digest(f"otp:{device_id}:{code}")


def code_matches(sealer: Sealer, device_id: uuid.UUID, code: str, digest: str) -> bool:
    return sealer.matches(f"otp:{device_id}:{code}", digest)
