"""The fixture the end-to-end seed tests share (tests.e2e.support has their helpers)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.support import admin_client
from tests.support.server import Server


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    """The bootstrap worker's client of the bootstrap environment's management API."""
    with admin_client(server) as client:
        yield client
