"""A request that fails part-way changes nothing: environment provisioning is one transaction."""

from __future__ import annotations

import secrets

import pytest

from gatehouse.environments import service
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def test_failure_after_partial_provisioning_leaves_no_environment(
    admin: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken_signing_key(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("key store unavailable")

    monkeypatch.setattr(service, "create_signing_key", broken_signing_key)
    name = f"doomed-{secrets.token_hex(4)}"
    response = await admin.post(
        "/environments", json={"name": name, "type": "SANDBOX", "region": "NA"}
    )
    body = assert_error(response, 500, "UNEXPECTED_ERROR")
    assert "key store" not in response.text and "Traceback" not in response.text
    assert body["message"] == "An unexpected error occurred."
    monkeypatch.undo()
    listed = await admin.get("/environments", params={"filter": f'name eq "{name}"'})
    assert listed.json()["count"] == 0
    # the name is free: nothing of the failed attempt was kept
    await admin.create("/environments", {"name": name, "type": "SANDBOX", "region": "NA"})
