"""Seed a running Gatehouse: applications, grants and N users (pre-hashed passwords), via the API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx
from argon2 import PasswordHasher, Type

PASSWORD = "Bench-Passw0rd!"
REDIRECT_URI = "https://bench.example/cb"
IMPORT_TYPE = "application/vnd.pingidentity.user.import+json"


@dataclass
class Seeded:
    environment_id: str
    admin_token: str
    worker_id: str
    worker_secret: str
    web_id: str
    web_secret: str
    usernames: list[str]
    retried_5xx: int = 0


async def _token(client: httpx.AsyncClient, endpoint: str, cid: str, secret: str) -> str:
    r = await client.post(endpoint, data={"grant_type": "client_credentials"}, auth=(cid, secret))
    r.raise_for_status()
    return str(r.json()["access_token"])


def _ok(r: httpx.Response) -> dict[str, Any]:
    if r.status_code >= 300:
        raise RuntimeError(f"{r.request.method} {r.request.url} -> {r.status_code}: {r.text[:300]}")
    return r.json() if r.content else {}


async def _application(api: httpx.AsyncClient, env: str, body: dict[str, Any]) -> tuple[str, str]:
    app = _ok(await api.post(f"/environments/{env}/applications", json=body))
    secret = _ok(await api.get(f"/environments/{env}/applications/{app['id']}/secret"))["secret"]
    return str(app["id"]), str(secret)


async def _grant_openid(api: httpx.AsyncClient, env: str, app_id: str) -> None:
    resources = _ok(await api.get(f"/environments/{env}/resources"))["_embedded"]["resources"]
    openid = next(r for r in resources if r["name"] == "openid")
    scopes = _ok(await api.get(f"/environments/{env}/resources/{openid['id']}/scopes"))
    ids = [{"id": s["id"]} for s in scopes["_embedded"]["scopes"]]
    body = {"resource": {"id": openid["id"]}, "scopes": ids}
    _ok(await api.post(f"/environments/{env}/applications/{app_id}/grants", json=body))


async def seed(boot: dict[str, str], users: int, concurrency: int = 16) -> Seeded:
    """`boot` is `gatehouse bootstrap --json`; users get the same pre-computed argon2id hash."""
    env = boot["environmentId"]
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as plain:
        admin = await _token(plain, boot["tokenEndpoint"], boot["clientId"], boot["clientSecret"])
        headers = {"Authorization": f"Bearer {admin}"}
        async with httpx.AsyncClient(
            base_url=boot["apiPath"], headers=headers, timeout=60, limits=limits
        ) as api:
            worker = await _application(
                api,
                env,
                {
                    "name": "bench-worker",
                    "enabled": True,
                    "type": "WORKER",
                    "protocol": "OPENID_CONNECT",
                    "grantTypes": ["CLIENT_CREDENTIALS"],
                    "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
                },
            )
            web = await _application(
                api,
                env,
                {
                    "name": "bench-web",
                    "enabled": True,
                    "type": "WEB_APP",
                    "protocol": "OPENID_CONNECT",
                    "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"],
                    "responseTypes": ["CODE"],
                    "redirectUris": [REDIRECT_URI],
                    "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
                },
            )
            await _grant_openid(api, env, web[0])
            await _grant_openid(api, env, worker[0])
            hashed = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
            value = hashed.hash(PASSWORD)
            names = [f"bench{i:06d}" for i in range(users)]
            failures: list[int] = []
            queue: asyncio.Queue[str] = asyncio.Queue()
            for name in names:
                queue.put_nowait(name)

            async def importer() -> None:
                while not queue.empty():
                    name = queue.get_nowait()
                    body = {
                        "username": name,
                        "email": f"{name}@bench.example",
                        "name": {"given": "Bench", "family": name},
                        "password": {"value": value},
                    }
                    content = httpx.Request("POST", "/", json=body).content
                    for attempt in range(4):  # a 5xx or a reset is counted and retried
                        try:
                            r = await api.post(
                                f"/environments/{env}/users",
                                content=content,
                                headers={"Content-Type": IMPORT_TYPE},
                            )
                        except httpx.TransportError:
                            if attempt == 3:
                                raise
                            failures.append(0)
                            continue
                        if r.status_code < 500 or attempt == 3:
                            break
                        failures.append(r.status_code)
                        await asyncio.sleep(0.5)
                    _ok(r)

            await asyncio.gather(*(importer() for _ in range(concurrency)))
    return Seeded(env, admin, *worker, *web, names, len(failures))
