"""`gatehouse serve --workers 2`: two worker processes answer on one port, and share state and
configuration through the database like separate nodes (a key rotated through one worker is the
key both sign with)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.cluster.support import (
    Cluster,
    admin,
    client_credentials,
    extra_node,
    kid_of,
    published_kids,
)
from tests.cluster.test_configuration_across_nodes import SIGNING_KEY
from tests.e2e.support import created
from tests.support.server import Server

pytestmark = pytest.mark.e2e


def worker_processes(root: int) -> list[int]:
    """uvicorn's worker processes: the supervisor's children that run the app (not its
    multiprocessing resource tracker)."""
    children = Path(f"/proc/{root}/task/{root}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def kids_of_fresh_connections(node: Server, count: int) -> set[str]:
    """The kids of `count` tokens, each asked for on a new connection (so both workers answer)."""
    kids = set()
    for _ in range(count):
        response = client_credentials(node, node.client_id, node.client_secret)
        assert response.status_code == 200, response.text
        kids.add(kid_of(response.json()["access_token"]))
    return kids


def test_two_workers_serve_and_share_configuration(cluster: Cluster) -> None:
    with extra_node(cluster.first, "--workers", "2") as node:
        deadline = time.monotonic() + 30
        while len(worker_processes(node.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(worker_processes(node.process.pid)) == 2

        (old_kid,) = kids_of_fresh_connections(node, 20)
        with admin(node) as api:
            created(api.post("/keys", json=SIGNING_KEY))
        (new_kid,) = kids_of_fresh_connections(node, 20)
        assert new_kid != old_kid
        assert published_kids(node)[0] == new_kid
