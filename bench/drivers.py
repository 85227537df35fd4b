"""Load drivers: wrk (single requests, bench/lua/request.lua) and a small asyncio driver (multi-step)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.seed import PASSWORD, REDIRECT_URI, Seeded

LUA = Path(__file__).parent / "lua" / "request.lua"


@dataclass
class Load:
    """What a driver measured: completed operations, failures, wall time and latencies (ms)."""

    ok: int
    errors: int
    seconds: float
    p50: float
    p95: float
    p99: float


@dataclass
class WrkRequest:
    method: str
    path: str
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    tokens_file: Path | None = None
    random_max: int = 1


def ensure_wrk() -> str:
    """wrk from Debian; installed on first use (the bench machine is root)."""
    found = shutil.which("wrk")
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)  # noqa: S607
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)  # noqa: S607
    return shutil.which("wrk") or "wrk"


def run_wrk(base_url: str, spec: WrkRequest, seconds: float, connections: int) -> Load:
    env = {
        **os.environ,
        "BENCH_METHOD": spec.method,
        "BENCH_PATH": spec.path,
        "BENCH_BODY": spec.body or "",
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in spec.headers.items()),
        "BENCH_TOKENS": str(spec.tokens_file or ""),
        "BENCH_RANDOM_MAX": str(spec.random_max),
    }
    if spec.body is None:
        del env["BENCH_BODY"]
    command = [
        ensure_wrk(),
        "-t2",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base_url,
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)  # noqa: S603
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {done.stdout}\n{done.stderr}")
    r = json.loads(line.removeprefix("BENCH "))
    errors = sum(r[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors"))
    return Load(
        ok=r["requests"] - r["status_errors"],
        errors=errors + r["timeouts"],
        seconds=r["duration_us"] / 1e6,
        p50=r["p50_us"] / 1000,
        p95=r["p95_us"] / 1000,
        p99=r["p99_us"] / 1000,
    )


def _percentile(sorted_ms: list[float], q: float) -> float:
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, int(q / 100 * len(sorted_ms)))]


Step = Callable[[httpx.AsyncClient, int], Awaitable[bool]]


async def drive(base_url: str, step: Step, seconds: float, concurrency: int) -> Load:
    """Run `step` in `concurrency` loops (each with its own client and cookies) for `seconds`."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def loop(worker: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    ok = await step(client, worker)
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

    started = time.monotonic()
    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return Load(len(latencies), errors, elapsed, *(_percentile(latencies, q) for q in (50, 95, 99)))


@dataclass
class Tokens:
    access: list[str] = field(default_factory=list)
    refresh: list[str] = field(default_factory=list)


def login_step(seeded: Seeded, collected: Tokens) -> Step:
    """authorize (pi.flow) -> usernamePassword.check -> resume -> token (authorization_code)."""
    env = seeded.environment_id
    check = "application/vnd.pingidentity.usernamePassword.check+json"

    async def step(client: httpx.AsyncClient, worker: int) -> bool:
        client.cookies.clear()
        params = {
            "response_mode": "pi.flow",
            "response_type": "code",
            "client_id": seeded.web_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid offline_access",
        }
        flow = await client.get(f"/{env}/as/authorize", params=params)
        if flow.status_code != 200:
            return False
        flow_id = flow.json()["id"]
        username = random.choice(seeded.usernames)  # noqa: S311
        body = json.dumps({"username": username, "password": PASSWORD})
        checked = await client.post(
            f"/{env}/flows/{flow_id}", content=body, headers={"Content-Type": check}
        )
        if checked.status_code != 200 or checked.json().get("status") != "COMPLETED":
            return False
        resumed = await client.get(f"/{env}/as/resume", params={"flowId": flow_id})
        code = resumed.json().get("authorizeResponse", {}).get("code")
        if resumed.status_code != 200 or not code:
            return False
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
        token = await client.post(
            f"/{env}/as/token", data=data, auth=(seeded.web_id, seeded.web_secret)
        )
        if token.status_code != 200:
            return False
        issued = token.json()
        if len(collected.access) < 500:
            collected.access.append(issued["access_token"])
            if "refresh_token" in issued:
                collected.refresh.append(issued["refresh_token"])
        return True

    return step


def refresh_step(seeded: Seeded, refresh_tokens: list[str]) -> Step:
    """grant_type=refresh_token; each loop keeps the token it was given (rotated or not)."""
    env = seeded.environment_id
    current = dict(enumerate(refresh_tokens))

    async def step(client: httpx.AsyncClient, worker: int) -> bool:
        data = {"grant_type": "refresh_token", "refresh_token": current[worker]}
        r = await client.post(
            f"/{env}/as/token", data=data, auth=(seeded.web_id, seeded.web_secret)
        )
        if r.status_code != 200:
            return False
        current[worker] = r.json().get("refresh_token", current[worker])
        return True

    return step
