"""A real Gatehouse server process on loopback, for end-to-end tests (one per test module)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

# The settings that let a server's outbound calls reach http URLs on loopback (test providers).
OUTBOUND_TO_LOOPBACK = {
    "GATEHOUSE_OUTBOUND_ALLOW_PRIVATE": "true",
    "GATEHOUSE_OUTBOUND_ALLOW_HTTP": "true",
}


@dataclass
class Server:
    base_url: str
    environment_id: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    @property
    def api_path(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def token_endpoint(self) -> str:
        return f"{self.base_url}/{self.environment_id}/as/token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_environment(
    database_url: str,
    data_dir: Path,
    secret_key: str,
    port: int,
    extra_env: dict[str, str] | None = None,
) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEHOUSE_")}
    env.update(
        GATEHOUSE_DATABASE_URL=database_url,
        GATEHOUSE_DATA_DIR=str(data_dir),
        GATEHOUSE_SECRET_KEY=secret_key,
        GATEHOUSE_HOST="127.0.0.1",
        GATEHOUSE_PORT=str(port),
        GATEHOUSE_LOG_LEVEL="warning",
    )
    env.update(extra_env or {})
    return env


def bootstrap_json(env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "gatehouse", "bootstrap", "--json"],
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def wait_until_serving(
    base_url: str, process: subprocess.Popen[bytes], timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gatehouse serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gatehouse serve did not start in time")


@contextmanager
def running_server(
    database_url: str,
    data_dir: Path,
    secret_key: str,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    port = free_port()
    env = server_environment(database_url, data_dir, secret_key, port, extra_env)
    credentials = bootstrap_json(env)
    process = subprocess.Popen([sys.executable, "-m", "gatehouse", "serve"], env=env)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process)
        yield Server(
            base_url=base_url,
            environment_id=credentials["environmentId"],
            client_id=credentials["clientId"],
            client_secret=credentials["clientSecret"],
            process=process,
            env=env,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def server_fixture(extra_env: dict[str, str]) -> Any:
    """A module fixture `server` like tests/conftest.py's, the server having `extra_env` too. In
    the test module: `server = server_fixture(OUTBOUND_TO_LOOPBACK)`."""

    @pytest.fixture(scope="module")
    def server(
        database_url: str, secret_key: str, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Server]:
        data_dir = tmp_path_factory.mktemp("server")
        with running_server(database_url, data_dir, secret_key, extra_env) as running:
            yield running

    return server


# --- the bootstrap worker ----------------------------------------------------------------------


def worker_token(server: Server) -> str:
    """An access token of the bootstrap worker (client_credentials)."""
    return httpx.post(
        server.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(server.client_id, server.client_secret),
    ).json()["access_token"]


def organization_client(server: Server) -> httpx.Client:
    """The bootstrap worker, talking to {{apiPath}} (creates environments)."""
    return httpx.Client(
        base_url=server.api_path,
        headers={"Authorization": f"Bearer {worker_token(server)}"},
        timeout=30,
    )


def new_environment(server: Server, org: httpx.Client, prefix: str) -> tuple[str, httpx.Client]:
    """A new SANDBOX environment and a client of its management API (with the worker's token)."""
    body = {"name": f"{prefix}-{secrets.token_hex(4)}", "type": "SANDBOX", "region": "NA"}
    response = org.post("/environments", json=body)
    assert response.status_code == 201, response.text
    env = response.json()["id"]
    api = httpx.Client(
        base_url=f"{server.api_path}/environments/{env}", headers=org.headers, timeout=30
    )
    return env, api
