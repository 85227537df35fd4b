"""Fixtures of the access tests: the built-in roles' ids by name."""

from __future__ import annotations

import pytest

from tests.support.api import Api


@pytest.fixture(scope="module")
async def roles(admin: Api) -> dict[str, str]:
    response = await admin.get("/roles")
    assert response.status_code == 200, response.text
    return {role["name"]: role["id"] for role in response.json()["_embedded"]["roles"]}
