"""The `gatehouse` command: serve, migrate, bootstrap, rotate-key, purge, version."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from gatehouse import __version__
from gatehouse.settings import Settings, get_settings

T = TypeVar("T")


def _run(work: Callable[..., Awaitable[T]], settings: Settings) -> T:
    from gatehouse.runtime import Runtime

    async def main() -> T:
        runtime = Runtime.from_settings(settings)
        try:
            return await work(runtime)
        finally:
            await runtime.close()

    return asyncio.run(main())


@click.group()
def main() -> None:
    """Gatehouse: a self-hostable identity platform compatible with the PingOne Platform API."""


@main.command()
def version() -> None:
    """Print the version."""
    click.echo(__version__)


@main.command()
def migrate() -> None:
    """Apply the database migrations and refresh the built-in roles."""
    from gatehouse.bootstrap import prepare_database

    _run(prepare_database, get_settings())
    click.echo("database is up to date")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for scripts.")
def bootstrap(as_json: bool) -> None:
    """Create (once) the organization, the Administrators environment and an admin worker."""
    from gatehouse.bootstrap import bootstrap as run_bootstrap
    from gatehouse.bootstrap import prepare_database
    from gatehouse.runtime import Runtime

    settings = get_settings()

    async def work(runtime: Runtime) -> dict[str, str]:
        await prepare_database(runtime)
        async with runtime.sessions() as session, session.begin():
            result = await run_bootstrap(session, runtime)
        api = settings.api_base_url or f"http://{settings.host}:{settings.port}/v1"
        auth = settings.auth_base_url or f"http://{settings.host}:{settings.port}"
        return {
            "organizationId": result.organization_id,
            "environmentId": result.environment_id,
            "clientId": result.client_id,
            "clientSecret": result.client_secret,
            "tokenEndpoint": f"{auth}/{result.environment_id}/as/token",
            "apiPath": api,
            "authPath": auth,
        }

    values = _run(work, settings)
    if as_json:
        click.echo(json.dumps(values))
        return
    click.echo(
        f"""
Gatehouse administrator credentials
  environment id : {values["environmentId"]}
  client id      : {values["clientId"]}
  client secret  : {values["clientSecret"]}
  token endpoint : {values["tokenEndpoint"]}
  apiPath        : {values["apiPath"]}
  authPath       : {values["authPath"]}

Get a token and list environments:
  TOKEN=$(curl -s -u '{values["clientId"]}:{values["clientSecret"]}' \\
    -d grant_type=client_credentials {values["tokenEndpoint"]} \\
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer $TOKEN" {values["apiPath"]}/environments
"""
    )


@main.command("rotate-key")
@click.argument("environment_id", type=click.UUID)
def rotate_key(environment_id: uuid.UUID) -> None:
    """Rotate an environment's token signing key (the old key stays published)."""
    from gatehouse.crypto.keys import rotate_signing_key
    from gatehouse.runtime import Runtime

    async def work(runtime: Runtime) -> str:
        async with runtime.sessions() as session, session.begin():
            return (await rotate_signing_key(session, runtime.sealer, environment_id)).kid

    click.echo(f"new signing key: {_run(work, get_settings())}")


@main.command()
@click.option("--until-done", is_flag=True, help="Run again until no table has a full batch left.")
def purge(until_done: bool) -> None:
    """Delete expired rows: one run (what every server process does periodically)."""
    from gatehouse.housekeeping import purge as run_purge
    from gatehouse.housekeeping import purge_all

    deleted = _run(purge_all if until_done else run_purge, get_settings())
    for table, count in deleted.items():
        click.echo(f"{table}: {count} deleted")


@main.command()
@click.option("--host", default=None, help="Listen address (GATEHOUSE_HOST).")
@click.option("--port", type=int, default=None, help="Listen port (GATEHOUSE_PORT).")
@click.option("--workers", type=int, default=None, help="Worker processes (GATEHOUSE_WORKERS).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve Gatehouse over HTTP."""
    import uvicorn

    settings = get_settings()
    # Worker processes build their app from the environment, so options travel through it.
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            os.environ[f"GATEHOUSE_{name}"] = str(value)
    get_settings.cache_clear()
    settings = get_settings()
    uvicorn.run(
        "gatehouse.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=settings.access_log,
        proxy_headers=True,
        server_header=False,
    )
