"""A worker holding roles in one environment sees nothing of another (checked here on the
environment resource itself; each context's tests check their own resources)."""

from __future__ import annotations

import pytest

from tests.support.actors import worker
from tests.support.api import Api, assert_error

pytestmark = pytest.mark.anyio


async def test_environment_admin_of_one_environment_is_refused_in_another(
    app, admin: Api, env: str
) -> None:
    other = await admin.create(
        "/environments", {"name": f"other-{env[:8]}", "type": "SANDBOX", "region": "NA"}
    )
    scoped = await worker(app, admin, env, [("Environment Admin", "ENVIRONMENT", env)])
    assert (await scoped.get(f"/environments/{env}")).status_code == 200
    assert_error(
        await scoped.get(f"/environments/{other['id']}"),
        403,
        "ACCESS_FAILED",
        detail="INSUFFICIENT_PERMISSIONS",
    )
    listed = (await scoped.get("/environments")).json()["_embedded"]["environments"]
    assert [e["id"] for e in listed] == [env]
    assert_error(
        await scoped.post("/environments", json={"name": "x", "type": "SANDBOX", "region": "NA"}),
        403,
        "ACCESS_FAILED",
    )


async def test_worker_without_roles_is_forbidden(app, admin: Api, env: str) -> None:
    nobody = await worker(app, admin, env, [])
    assert_error(await nobody.get(f"/environments/{env}"), 403, "ACCESS_FAILED")
    assert (await nobody.get("/environments")).json()["_embedded"]["environments"] == []
