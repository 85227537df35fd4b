"""Gatehouse nodes sharing one PostgreSQL database: real `gatehouse serve` processes on loopback
ports of their own, as separate hosts behind a load balancer would be. PostgreSQL only: SQLite is
one machine's database."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.cluster.support import Cluster, extra_node
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_base_url,
)
from tests.support.server import running_server


def _postgres() -> str | None:
    if os.environ.get("GATEHOUSE_TEST_BACKENDS") == "sqlite":
        return None
    return postgres_base_url()


POSTGRES = _postgres()
T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if POSTGRES is not None:
        return
    reason = (
        "cluster tests need PostgreSQL (several nodes share one database): set "
        "GATEHOUSE_TEST_DATABASE_URL to a server that answers (default "
        "postgresql://postgres@127.0.0.1:5432/test), and do not set GATEHOUSE_TEST_BACKENDS=sqlite"
    )
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def cluster_database() -> Iterator[str]:
    assert POSTGRES is not None
    url, name = _apart(create_postgres_database(POSTGRES))
    yield url
    _apart(drop_postgres_database(POSTGRES, name))


def _apart(work: Coroutine[Any, Any, T]) -> T:
    """On a loop of its own thread: another loop (Playwright's) may be running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


@pytest.fixture(scope="module")
def cluster(cluster_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two nodes on one database and one secret key; the first one bootstrapped it."""
    secret_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    data_dir = tmp_path_factory.mktemp("node")
    with (
        running_server(cluster_database, data_dir, secret_key) as first,
        extra_node(first) as second,
    ):
        yield Cluster(first, second)
