"""A sign-on is not tied to the node it started on: the flow, the session and the code live in the
shared database, so every step may land on another node, and a node that dies between two steps
loses nothing that was committed."""

from __future__ import annotations

import signal

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.cluster.support import (
    Cluster,
    admin,
    auth_url,
    browser,
    check_password,
    extra_node,
    finish_login,
    start_login,
    web_app,
)
from tests.e2e.support import ok, user_with_password

pytestmark = pytest.mark.e2e


def test_a_flow_started_on_one_node_finishes_on_the_other(cluster: Cluster) -> None:
    with admin(cluster.first) as api:
        app = web_app(api)
        user = user_with_password(api)
    with browser() as agent:
        flow_id = start_login(agent, cluster.first, app)
        check_password(agent, cluster.second, flow_id, user["username"])
        seen = ok(agent.get(auth_url(cluster.first, f"/flows/{flow_id}")))
        assert seen["status"] == "COMPLETED"
        tokens = finish_login(agent, cluster.second, app, flow_id)

    keys = KeySet.import_key_set(ok(httpx.get(auth_url(cluster.first, "/as/jwks"))))
    assert jwt.decode(tokens["id_token"], keys).claims["sub"] == user["id"]
    claims = ok(
        httpx.get(
            auth_url(cluster.first, "/as/userinfo"),
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    )
    assert claims["sub"] == user["id"]


def test_a_node_killed_in_the_middle_of_a_login_loses_nothing(cluster: Cluster) -> None:
    with admin(cluster.first) as api:
        app = web_app(api)
        user = user_with_password(api)
    with extra_node(cluster.first) as doomed, browser() as agent:
        with admin(doomed) as api:
            made_there = user_with_password(api)
        flow_id = start_login(agent, doomed, app)
        check_password(agent, doomed, flow_id, user["username"])
        doomed.process.send_signal(signal.SIGKILL)
        assert doomed.process.wait(timeout=10) == -signal.SIGKILL

        tokens = finish_login(agent, cluster.second, app, flow_id)

    claims = ok(
        httpx.get(
            auth_url(cluster.second, "/as/userinfo"),
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    )
    assert claims["sub"] == user["id"]
    with admin(cluster.second) as api:
        assert ok(api.get(f"/users/{made_there['id']}"))["username"] == made_there["username"]
        assert "lastSignOn" in ok(api.get(f"/users/{user['id']}"))
