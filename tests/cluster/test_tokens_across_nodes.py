"""Tokens are one server's, whichever node issued them: a token issued by one node is introspected,
refreshed and revoked on another, and a revocation on one is honoured by all."""

from __future__ import annotations

import httpx
import pytest

from tests.cluster.support import (
    Cluster,
    admin,
    auth_url,
    browser,
    check_password,
    finish_login,
    start_login,
    web_app,
)
from tests.e2e.support import ok, user_with_password
from tests.support.server import Server

pytestmark = pytest.mark.e2e


def introspect(node: Server, auth: tuple[str, str], token: str) -> dict[str, object]:
    return ok(httpx.post(auth_url(node, "/as/introspect"), data={"token": token}, auth=auth))


def test_a_token_issued_by_one_node_is_introspected_and_revoked_on_the_other(
    cluster: Cluster,
) -> None:
    with admin(cluster.first) as api:
        app = web_app(api)
        user = user_with_password(api)
    with browser() as agent:
        flow_id = start_login(agent, cluster.first, app)
        check_password(agent, cluster.first, flow_id, user["username"])
        tokens = finish_login(agent, cluster.first, app, flow_id)
    auth = (app.id, app.secret)
    access, refresh = tokens["access_token"], tokens["refresh_token"]

    found = introspect(cluster.second, auth, access)
    assert found["active"] is True and found["sub"] == user["id"]

    revoked = httpx.post(auth_url(cluster.second, "/as/revoke"), data={"token": access}, auth=auth)
    assert revoked.status_code == 200, revoked.text
    assert introspect(cluster.first, auth, access) == {"active": False}
    userinfo = httpx.get(
        auth_url(cluster.first, "/as/userinfo"), headers={"Authorization": f"Bearer {access}"}
    )
    assert userinfo.status_code == 401

    refreshed = ok(
        httpx.post(
            cluster.second.token_endpoint,
            data={"grant_type": "refresh_token", "refresh_token": refresh},
            auth=auth,
        )
    )
    assert introspect(cluster.first, auth, refreshed["access_token"])["active"] is True
    assert introspect(cluster.first, auth, refresh) == {"active": False}  # used up on the second
