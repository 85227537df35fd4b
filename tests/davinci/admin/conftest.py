"""Helpers of the DaVinci admin tests: a second environment, and resources made through the API."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.support.api import Api


@pytest.fixture
async def other_env(admin: Api) -> str:
    """A second environment the bootstrap worker administers, for isolation checks."""
    body = await admin.create(
        "/environments",
        {"name": f"other-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"},
    )
    return body["id"]


async def create_app(admin: Api, env: str, name: str = "Sign-on app") -> dict[str, Any]:
    return await admin.create(f"/environments/{env}/davinciApplications", {"name": name})
