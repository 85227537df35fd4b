"""Fixtures every test shares: one app (and database) per test module and backend, the bootstrap
admin, and a fresh environment per test so tests never see each other's data."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from gatehouse.app import create_app
from gatehouse.bootstrap import bootstrap, prepare_database
from gatehouse.common import clock
from gatehouse.settings import Settings
from tests.support.api import Api, Credentials
from tests.support.databases import (
    create_postgres_database,
    drop_postgres_database,
    postgres_base_url,
    sqlite_url,
)
from tests.support.server import Server, running_server

T = TypeVar("T")

# GATEHOUSE_TEST_BACKENDS=sqlite runs one backend only (quick local iterations).
ONLY = os.environ.get("GATEHOUSE_TEST_BACKENDS")
POSTGRES = None if ONLY == "sqlite" else postgres_base_url()
BACKENDS = ["sqlite", "postgresql"] if POSTGRES else ["sqlite"]
if ONLY == "postgresql":
    BACKENDS = ["postgresql"]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("db"))
        return
    assert POSTGRES
    url, name = _run_apart(create_postgres_database(POSTGRES))
    yield url
    _run_apart(drop_postgres_database(POSTGRES, name))


def _run_apart(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a loop of its own thread: a fixture may be set up while another loop
    (anyio's, Playwright's) is running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


@pytest.fixture(scope="module")
def secret_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture(scope="module")
def settings(
    database_url: str, secret_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        secret_key=secret_key,
    )


@pytest.fixture(scope="module")
async def app_and_credentials(settings: Settings) -> AsyncIterator[tuple[object, Credentials]]:
    app = create_app(settings)
    runtime = app.state.runtime
    await prepare_database(runtime)
    async with runtime.sessions() as session, session.begin():
        result = await bootstrap(session, runtime)
    yield (
        app,
        Credentials(
            result.environment_id, result.client_id, result.client_secret, result.organization_id
        ),
    )
    await runtime.close()


@pytest.fixture(scope="module")
def app(app_and_credentials: tuple[object, Credentials]) -> object:
    return app_and_credentials[0]


@pytest.fixture(scope="module")
def credentials(app_and_credentials: tuple[object, Credentials]) -> Credentials:
    return app_and_credentials[1]


@pytest.fixture(scope="module")
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: a 500 is a response to assert on, as a real client sees it.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="module")
async def admin(client: httpx.AsyncClient, credentials: Credentials) -> Api:
    """The bootstrap worker: Organization Admin, and admin of the Administrators environment."""
    api = Api(client)
    token = await api.token_for(
        credentials.environment_id, credentials.client_id, credentials.client_secret
    )
    return api.with_token(token)


@pytest.fixture
async def env(admin: Api) -> str:
    """A new environment for this test; the bootstrap worker administers it."""
    body = await admin.create(
        "/environments", {"name": f"test-{secrets.token_hex(6)}", "type": "SANDBOX", "region": "NA"}
    )
    return body["id"]


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture(scope="module")
def server(
    database_url: str, secret_key: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A real `gatehouse serve` process on loopback with its own bootstrap admin."""
    data_dir: Path = tmp_path_factory.mktemp("server")
    with running_server(database_url, data_dir, secret_key) as running:
        yield running
