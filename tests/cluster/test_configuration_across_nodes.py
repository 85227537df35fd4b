"""Nodes cache signing keys, applications and sign-on policies, yet a change made on one node (or by
`gatehouse rotate-key`) is what every other node uses from its next request on. Each test first
warms the other node's cache, so it would keep serving the old configuration if invalidation failed.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.cluster.support import (
    WORKER,
    Cluster,
    admin,
    auth_url,
    browser,
    client_credentials,
    kid_of,
    published_kids,
    start_login,
    web_app,
    worker,
)
from tests.e2e.support import REDIRECT_URI, created, ok, suffix
from tests.support.server import Server

pytestmark = pytest.mark.e2e

SIGNING_KEY = {
    "name": "Rotated token key",
    "subjectDN": "CN=Rotated, O=Gatehouse tests",
    "algorithm": "RSA",
    "keyLength": 2048,
    "signatureAlgorithm": "SHA256withRSA",
    "usageType": "SIGNING",
    "validityPeriod": 365,
    "default": True,
}


def signing_kid(node: Server) -> str:
    """The kid of a token `node` issues now."""
    token = client_credentials(node, node.client_id, node.client_secret)
    assert token.status_code == 200, token.text
    return kid_of(token.json()["access_token"])


def works(node: Server, token: str) -> bool:
    response = httpx.get(
        f"{node.api_path}/environments/{node.environment_id}",
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code == 200


def test_a_key_rotated_through_the_api_on_one_node_is_used_and_published_by_the_other(
    cluster: Cluster,
) -> None:
    before = client_credentials(
        cluster.second, cluster.second.client_id, cluster.second.client_secret
    )
    old_token = before.json()["access_token"]
    old_kid = kid_of(old_token)
    assert published_kids(cluster.second)[0] == old_kid

    with admin(cluster.first) as api:
        created(api.post("/keys", json=SIGNING_KEY))
    new_kid = published_kids(cluster.first)[0]

    assert new_kid != old_kid
    assert published_kids(cluster.second) == [new_kid, old_kid]
    assert signing_kid(cluster.second) == new_kid
    assert works(cluster.second, old_token)  # the previous key is still published


def test_gatehouse_rotate_key_is_used_by_every_node(cluster: Cluster) -> None:
    old_kid = signing_kid(cluster.first)
    assert signing_kid(cluster.second) == old_kid

    done = subprocess.run(
        [sys.executable, "-m", "gatehouse", "rotate-key", cluster.first.environment_id],
        env=cluster.first.env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    new_kid = done.stdout.decode().strip().rsplit(" ", 1)[-1]

    assert new_kid != old_kid
    for node in (cluster.first, cluster.second):
        assert signing_kid(node) == new_kid
        assert published_kids(node) == [new_kid, old_kid]


def test_a_secret_rotated_on_one_node_is_honoured_by_the_other(cluster: Cluster) -> None:
    with admin(cluster.first) as api:
        client = worker(api)
        assert client_credentials(cluster.second, client.id, client.secret).status_code == 200
        rotated = ok(api.post(f"/applications/{client.id}/secret", json={}))["secret"]

    refused = client_credentials(cluster.second, client.id, client.secret)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert client_credentials(cluster.second, client.id, rotated).status_code == 200


def test_an_application_disabled_on_one_node_is_refused_by_the_other(cluster: Cluster) -> None:
    with admin(cluster.first) as api:
        client = worker(api)
        assert client_credentials(cluster.second, client.id, client.secret).status_code == 200
        ok(
            api.put(
                f"/applications/{client.id}", json={"name": "disabled", **WORKER, "enabled": False}
            )
        )

    refused = client_credentials(cluster.second, client.id, client.secret)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


def test_a_sign_on_policy_assigned_on_one_node_runs_on_the_other(cluster: Cluster) -> None:
    with admin(cluster.first) as api:
        app = web_app(api)
        with browser() as agent:  # the second node now holds the default policy for this app
            start_login(agent, cluster.second, app)
        policy = created(api.post("/signOnPolicies", json={"name": f"identifier-{suffix()}"}))
        created(
            api.post(
                f"/signOnPolicies/{policy['id']}/actions",
                json={"type": "IDENTIFIER_FIRST", "priority": 1},
            )
        )
        created(
            api.post(
                f"/applications/{app.id}/signOnPolicyAssignments",
                json={"signOnPolicy": {"id": policy["id"]}, "priority": 1},
            )
        )

    with browser() as agent:
        flow = ok(
            agent.get(
                auth_url(cluster.second, "/as/authorize"),
                params={
                    "response_mode": "pi.flow",
                    "response_type": "code",
                    "client_id": app.id,
                    "redirect_uri": REDIRECT_URI,
                    "scope": "openid",
                },
            )
        )
    assert flow["status"] == "SIGN_ON_REQUIRED", flow
