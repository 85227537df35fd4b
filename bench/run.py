"""`make bench`: start Gatehouse, seed it, drive each scenario, write bench/results/<ts>.json.

.venv/bin/python -m bench.run [--quick] [--duration S] [--workers N] [--users N]
                              [--database postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench.drivers import Load, Tokens, WrkRequest, drive, login_step, refresh_step, run_wrk
from bench.floor import Floor, measure_floor
from bench.seed import Seeded, seed

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
GATEHOUSE = [sys.executable, "-m", "gatehouse"]
TICKS = os.sysconf("SC_CLK_TCK")


# -- the server's processes ------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    children_files = Path(f"/proc/{pid}/task").glob("*/children")
    for child in (int(c) for f in children_files for c in f.read_text().split()):
        found += [child, *_descendants(child)]
    return found


def server_processes(root: int) -> list[int]:
    return [root, *_descendants(root)]


def workers(root: int) -> list[int]:
    """uvicorn serves in the process itself with one worker, in child processes with more."""
    children = [
        p for p in _descendants(root) if "gatehouse" in _cmdline(p) or "spawn" in _cmdline(p)
    ]
    return children or [root]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def cpu_seconds(root: int) -> float:
    total = 0
    for pid in server_processes(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def memory_mb(pid: int, key: str) -> float:
    """VmRSS (now) or VmHWM (peak) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- database and server ---------------------------------------------------------------------


@contextmanager
def database(url: str | None, data_dir: Path) -> Iterator[str]:
    """SQLite in data_dir, or a fresh PostgreSQL database next to `url`'s (dropped afterwards)."""
    if url is None:
        yield f"sqlite:///{data_dir}/gatehouse.db"
        return
    import asyncpg

    parts = urlsplit(url.replace("postgresql+asyncpg://", "postgresql://"))
    name = f"gatehouse_bench_{os.getpid()}_{int(time.time())}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(urlunsplit(parts))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def analyze(url: str) -> None:
    """Statistics for the seeded tables, as autovacuum would have gathered them on a server that
    runs it: without them the planner cannot pick the `lower(username)` index for `sw`, and
    listing 100,000 users scanned them all (a server with autovacuum off, as on this machine)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    boot: dict[str, str]


@contextmanager
def gatehouse(
    database_url: str, data_dir: Path, worker_count: int, pool_size: int
) -> Iterator[Server]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(
        GATEHOUSE_DATABASE_URL=database_url,
        GATEHOUSE_DATA_DIR=str(data_dir),
        GATEHOUSE_SECRET_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        GATEHOUSE_HOST="127.0.0.1",
        GATEHOUSE_PORT=str(port),
        GATEHOUSE_LOG_LEVEL="warning",
        # as a deployment sizes it: every concurrent request holds a connection, and one beyond
        # size + overflow is opened and closed again per request
        GATEHOUSE_DB_POOL_SIZE=str(pool_size),
    )
    subprocess.run([*GATEHOUSE, "migrate"], env=env, check=True, capture_output=True)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [*GATEHOUSE, "bootstrap", "--json"], env=env, check=True, capture_output=True
    )
    boot = json.loads(out.stdout.decode().strip().splitlines()[-1])
    command = [*GATEHOUSE, "serve", "--workers", str(worker_count)]
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
    base_url = f"http://127.0.0.1:{port}"
    failed = True
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gatehouse serve did not start")
            try:
                if httpx.get(f"{base_url}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        while len(workers(process.pid)) < worker_count:
            time.sleep(0.2)
        yield Server(base_url, process, boot)
        failed = False
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        if failed:  # show why
            text = (data_dir / "server.log").read_text(errors="replace")
            print(f"server log (last 3000 characters):\n{text[-3000:]}", file=sys.stderr)


# -- scenarios -------------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    ok: int
    errors: int
    seconds: float
    req_per_s: float
    req_per_s_per_core: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu_ms_per_op: float
    floor: str | None
    ratio_to_floor: float | None


def measured(
    name: str, root: int, run: Callable[[], Load], floor: tuple[str, float] | None
) -> Result:
    before = cpu_seconds(root)
    load = run()
    cpu = cpu_seconds(root) - before
    per_core = load.ok / cpu if cpu > 0 else float("nan")
    return Result(
        scenario=name,
        ok=load.ok,
        errors=load.errors,
        seconds=round(load.seconds, 2),
        req_per_s=round(load.ok / load.seconds, 1),
        req_per_s_per_core=round(per_core, 1),
        p50_ms=round(load.p50, 2),
        p95_ms=round(load.p95, 2),
        p99_ms=round(load.p99, 2),
        cpu_ms_per_op=round(cpu * 1000 / load.ok, 2) if load.ok else float("nan"),
        floor=floor[0] if floor else None,
        ratio_to_floor=round(per_core / floor[1], 3) if floor else None,
    )


def scenarios(
    server: Server, seeded: Seeded, floor: Floor, seconds: float, conns: int, work_dir: Path
) -> list[Result]:
    root, url, env = server.process.pid, server.base_url, seeded.environment_id
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    rs256, argon2 = ("RS256", floor.rs256_per_s), ("argon2id", floor.argon2id_per_s)
    basic_worker = (
        "Basic " + base64.b64encode(f"{seeded.worker_id}:{seeded.worker_secret}".encode()).decode()
    )
    basic_web = (
        "Basic " + base64.b64encode(f"{seeded.web_id}:{seeded.web_secret}".encode()).decode()
    )
    admin = {"Authorization": f"Bearer {seeded.admin_token}"}
    results: list[Result] = []

    def wrk(spec: WrkRequest) -> Callable[[], Load]:
        return lambda: run_wrk(url, spec, seconds, conns)

    def step(name: str, run: Callable[[], Load], against: tuple[str, float] | None = None) -> None:
        print(f"  {name} ...", flush=True)
        results.append(measured(name, root, run, against))

    step(
        "client_credentials",
        wrk(
            WrkRequest(
                "POST",
                f"/{env}/as/token",
                "grant_type=client_credentials",
                {**form, "Authorization": basic_worker},
            )
        ),
        rs256,
    )

    tokens = Tokens()
    step(
        "login (4 steps)",
        lambda: asyncio.run(drive(url, login_step(seeded, tokens), seconds, conns)),
        argon2,
    )
    if not tokens.access:
        raise RuntimeError("the login scenario produced no tokens")
    step(
        "refresh",
        lambda: asyncio.run(
            drive(
                url,
                refresh_step(seeded, tokens.refresh[:conns]),
                seconds,
                min(conns, len(tokens.refresh)),
            )
        ),
        rs256,
    )

    token_file = work_dir / "access_tokens.txt"
    token_file.write_text("\n".join(tokens.access) + "\n")
    step(
        "introspection",
        wrk(
            WrkRequest(
                "POST",
                f"/{env}/as/introspect",
                "token={t}",
                {**form, "Authorization": basic_web},
                token_file,
            )
        ),
    )
    step(
        "userinfo",
        wrk(
            WrkRequest(
                "GET", f"/{env}/as/userinfo", None, {"Authorization": "Bearer {t}"}, token_file
            )
        ),
    )
    step(
        "list users (filter)",
        wrk(
            WrkRequest(
                "GET",
                f"/v1/environments/{env}/users?limit=20&filter=username%20sw%20%22bench{{r}}%22",
                None,
                admin,
                random_max=len(seeded.usernames),
            )
        ),
    )
    body = json.dumps(
        {
            "username": "new-{u}",
            "email": "new-{u}@bench.example",
            "name": {"given": "New", "family": "User"},
        }
    )
    step(
        "create user",
        wrk(
            WrkRequest(
                "POST",
                f"/v1/environments/{env}/users",
                body,
                {**admin, "Content-Type": "application/json"},
            )
        ),
    )

    return results


# -- report ----------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    head = (
        "scenario",
        "req/s",
        "req/s/core",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "CPU ms/op",
        "errors",
        "vs floor",
    )
    rows = [head] + [
        (
            r.scenario,
            f"{r.req_per_s:.0f}",
            f"{r.req_per_s_per_core:.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.cpu_ms_per_op:.2f}",
            str(r.errors),
            f"{r.ratio_to_floor:.3f} x {r.floor}" if r.floor else "",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def tracebacks(log: str) -> dict[str, int]:
    """How many tracebacks the server logged, by their last line (the exception)."""
    counts: dict[str, int] = {}
    for block in log.split("Traceback (most recent call last):")[1:]:
        last = next((x for x in block.splitlines() if x and not x.startswith((" ", "\t"))), "?")
        counts[last[:120]] = counts.get(last[:120], 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", help="a PostgreSQL URL; a fresh database is created there and dropped"
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="3 s per scenario, 1,000 users")
    args = parser.parse_args()
    begun = datetime.now(UTC)
    if args.quick:
        args.duration, args.users = 3.0, min(args.users, 1_000)

    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as tmp:
        work_dir = Path(tmp)
        with (
            database(args.database, work_dir) as db_url,
            gatehouse(db_url, work_dir, args.workers, args.connections) as server,
        ):
            pids = workers(server.process.pid)
            idle = {pid: round(memory_mb(pid, "VmRSS"), 1) for pid in pids}
            print(
                f"gatehouse up ({args.workers} worker(s), idle RSS MB {list(idle.values())}); floor ...",
                flush=True,
            )
            floor = measure_floor()
            print(f"seeding {args.users} users ...", flush=True)
            started = time.monotonic()
            seeded = asyncio.run(seed(server.boot, args.users))
            seed_seconds = time.monotonic() - started
            if args.database:
                asyncio.run(analyze(db_url))
            seeded_rss = [round(memory_mb(pid, "VmRSS"), 1) for pid in pids]
            results = scenarios(server, seeded, floor, args.duration, args.connections, work_dir)
            peak = [round(memory_mb(pid, "VmHWM"), 1) for pid in pids]
        server_errors = tracebacks((work_dir / "server.log").read_text(errors="replace"))

    report = {
        "startedAt": begun.isoformat(),
        "options": {**vars(args), "database": "postgresql" if args.database else "sqlite"},
        "machine": {"cpus": os.cpu_count(), "loadavg": os.getloadavg()},
        "floor": asdict(floor),
        "seed": {
            "users": args.users,
            "seconds": round(seed_seconds, 1),
            "retried5xx": seeded.retried_5xx,
        },
        "memoryMB": {"idleRss": list(idle.values()), "seededRss": seeded_rss, "peakRss": peak},
        "scenarios": [asdict(r) for r in results],
        "serverTracebacks": server_errors,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(results))
    print()
    print(
        f"floor (bench process, one core): RS256 {floor.rs256_per_s:.0f}/s, argon2id {floor.argon2id_per_s:.1f}/s"
    )
    print(f"RSS per worker MB: idle {list(idle.values())}, after seeding {seeded_rss}, peak {peak}")
    print(
        f"seeded {args.users} users in {seed_seconds:.1f} s; load average {os.getloadavg()[0]:.2f}"
    )
    if server_errors:
        print(f"server tracebacks (by last line): {server_errors}")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
