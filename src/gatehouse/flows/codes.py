"""One-time codes a flow e-mails to the user (e-mail verification, password recovery).

A code (crypto.codes) is valid for 15 minutes and once. The
flow keeps only a record of it: its keyed digest, when it expires, and the wrong attempts so far;
after `MAX_ATTEMPTS` wrong ones the code is spent and a new one must be sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gatehouse.common import clock
from gatehouse.crypto.codes import normalized, one_time_code
from gatehouse.crypto.sealing import Sealer

LIFETIME = timedelta(minutes=15)
MAX_ATTEMPTS = 5


def issue(sealer: Sealer) -> tuple[str, dict[str, Any]]:
    """A new code and the record the flow keeps of it."""
    code = one_time_code()
    record = {
        "digest": sealer.digest(code),
        "expiresAt": (clock.now() + LIFETIME).isoformat(),
        "attempts": 0,
    }
    return code, record


def check(
    sealer: Sealer, record: dict[str, Any] | None, given: str
) -> tuple[bool, dict[str, Any] | None]:
    """Whether `given` is the recorded code, and the record to keep afterwards (None once the code
    is used or spent)."""
    if not record or datetime.fromisoformat(record["expiresAt"]) <= clock.now():
        return False, None
    if sealer.matches(normalized(given), record["digest"]):
        return True, None
    attempts = record["attempts"] + 1
    return False, ({**record, "attempts": attempts} if attempts < MAX_ATTEMPTS else None)
