"""Scale benchmark: eight workers on one PostgreSQL, a job of a million day chunks.

One fresh database on the PostgreSQL of ``ENTSOE_TEST_POSTGRES_URL`` (or ``--database-url``);
``entsoe emulator`` on loopback (every answer instant: no faults, no delay); then, in one run:

1. **Planning and persisting.** A small job (``--small`` chunks, default 10,000) and the big
   one (``--chunks``, default 1,000,000): day chunks (``--span day``) over every area of
   several datasets, over as many days as it takes, planned by ``BackfillService.plan`` and
   persisted by ``BackfillService.create``, as ``entsoe backfill --no-run`` does. Reported in
   seconds per 100,000 chunks.
2. **Claim latency.** ``claim_next`` as the workers run it (one statement updating and
   returning the chunk, in a transaction rolled back afterwards, so nothing changes; after 30
   untimed rounds of each, as a connection prepares a statement when it first sends it) next
   to the floor, a bare
   ``SELECT * FROM backfill_chunks WHERE status = 'pending' LIMIT 1 FOR UPDATE SKIP LOCKED``
   on the same table; on the small job alone, then on the big job alone, then on the big job
   while the workers run. Target: the p99 within 3x of the floor's, and flat from the small
   job to the big one.
3. **Request rate.** ``--workers`` (default 8) ``entsoe worker`` processes on the big job for
   ``--seconds`` (default 240); the emulator's record of arrivals gives the requests of every
   60 s window and the busiest sliding 60 s, against the budget (``--rate`` a minute, the
   burst of 10 included). Target: never above it, and at least 95% of it once warmed up
   (every window but the first).
4. **Memory.** Each worker's resident set size, sampled every second: first full window
   against the last; and the share of one CPU each worker used over the run.
5. **Reports.** ``entsoe status JOB --json`` (the whole command, next to ``entsoe --help``,
   which starts the interpreter and the CLI, imports no command and reads nothing), the
   report alone (``JobReports.status``, what the command and the route compute) and ``GET
   /backfills/JOB`` of ``entsoe serve`` on the big job while the workers run. Target: under a
   second.

The workers run long enough to measure rates and latencies, not to finish the job; they are
stopped with SIGTERM (they hand their chunks back) and the database is dropped at the end.

Run it from the repository root::

    source scripts/postgres.sh; postgres_start
    python benchmarks/bench_scale.py --chunks 100000 --seconds 150    # a few minutes
    python benchmarks/bench_scale.py                                  # the full size
    postgres_stop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import attrs
import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.sqlalchemy import upgrade
from entrypoints.bootstrap import Application, application
from entsoe_core.plan import ChunkSpan
from entsoe_core.progress import ChunkStatus
from entsoe_core.services.requests import BackfillRequest
from entsoe_core.timeline import utc

TOKEN = "bench-scale-token"
DATASETS = (
    "actual_total_load",
    "day_ahead_total_load_forecast",
    "day_ahead_prices",
    "wind_solar_forecast",
)
SMALL_DATASETS = ("week_ahead_total_load_forecast",)
END = utc(2025, 1, 1)
EMULATOR_NOW = "2026-01-15T12:00"
BURST = 10
WINDOW = 60.0
CLAIMS = 300
# Untimed rounds of each first: a connection prepares a statement the first time it sends it.
WARM_UP = 30
BARE_CLAIM = sa.text(
    "SELECT * FROM backfill_chunks WHERE status = 'pending' LIMIT 1 FOR UPDATE SKIP LOCKED"
)
CLI = (sys.executable, "-c", "from entrypoints.cli import run; run()")


@attrs.frozen
class Latencies:
    """Seconds each call took."""

    seconds: tuple[float, ...]

    def quantile(self, q: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    @property
    def p50(self) -> float:
        return self.quantile(0.5)

    @property
    def p99(self) -> float:
        return self.quantile(0.99)


@attrs.frozen
class Planned:
    job_id: str
    chunks: int
    plan_seconds: float
    persist_seconds: float

    def per_100k(self, seconds: float) -> float:
        return seconds / self.chunks * 100_000


@attrs.frozen
class ClaimFigures:
    where: str
    claim: Latencies
    bare: Latencies


# -- the database and the processes ---------------------------------------------------------


async def fresh_database(server_url: str, name: str) -> str:
    """A new empty database ``name`` on the server of ``server_url``, migrated; its URL."""
    url = make_url(server_url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    bench_url = url.set(database=name).render_as_string(hide_password=False)
    await upgrade(bench_url)
    return bench_url


async def drop_database(server_url: str, name: str) -> None:
    url = make_url(server_url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextmanager
def started(args: Sequence[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    """``entsoe ARGS`` in the background, stopped with SIGTERM (then SIGKILL) afterwards."""
    with log.open("w") as err:
        process = subprocess.Popen(
            [*CLI, *args], env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def resident_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# -- the measurements -------------------------------------------------------------------------


def request_for(chunks: int, datasets: Sequence[str], pairs_hint: int) -> BackfillRequest:
    days = max(1, math.ceil(chunks / pairs_hint))
    return BackfillRequest.parse(
        ["all"], datasets, END - timedelta(days=days), END, span=ChunkSpan.DAY
    )


async def plan_job(app: Application, chunks: int, datasets: Sequence[str]) -> Planned:
    """Plan (growing the period until the plan has ``chunks`` chunks) and persist a job."""
    pairs = 100 * len(datasets)
    while True:
        request = request_for(chunks, datasets, pairs)
        started_at = time.perf_counter()
        plan = await app.backfill.plan(request)
        plan_seconds = time.perf_counter() - started_at
        if len(plan) >= chunks:
            break
        pairs = max(1, math.floor(pairs * len(plan) / chunks))
    started_at = time.perf_counter()
    job = await app.backfill.create(request, plan=plan)
    persist_seconds = time.perf_counter() - started_at
    await app.backfill.activate(job.id)
    return Planned(job.id, len(plan), plan_seconds, persist_seconds)


async def claim_latencies(app: Application, where: str, count: int = CLAIMS) -> ClaimFigures:
    """``claim_next`` as a worker calls it, and the bare query, each rolled back."""
    claims: list[float] = []
    bare: list[float] = []
    engine = app.uow.engine
    for _ in range(WARM_UP + count):
        async with app.uow() as uow:
            started_at = time.perf_counter()
            await uow.progress.claim_next("bench-claim", app.clock.now(), timedelta(minutes=2))
            claims.append(time.perf_counter() - started_at)
        async with engine.connect() as conn, conn.begin() as transaction:
            started_at = time.perf_counter()
            (await conn.execute(BARE_CLAIM)).all()
            bare.append(time.perf_counter() - started_at)
            await transaction.rollback()
    timed = slice(WARM_UP, None)
    return ClaimFigures(where, Latencies(tuple(claims[timed])), Latencies(tuple(bare[timed])))


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started_at = time.perf_counter()
    await call()
    return time.perf_counter() - started_at


def windows(arrivals: list[list[Any]], start: float, end: float) -> list[int]:
    """Requests let through (served or tripping a ban) in each whole 60 s window from start."""
    count = int((end - start) // WINDOW)
    counts = [0] * count
    for at, fate in arrivals:
        index = int((at - start) // WINDOW)
        if fate != "banned" and 0 <= index < count:
            counts[index] += 1
    return counts


def max_sliding(arrivals: list[list[Any]]) -> int:
    times = sorted(at for at, fate in arrivals if fate != "banned")
    best, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - WINDOW:
            first += 1
        best = max(best, last - first + 1)
    return best


# -- the run -----------------------------------------------------------------------------------


async def bench(args: argparse.Namespace) -> None:
    server_url = args.database_url or os.environ.get("ENTSOE_TEST_POSTGRES_URL")
    if not server_url:
        sys.exit("give --database-url or set ENTSOE_TEST_POSTGRES_URL (scripts/postgres.sh)")
    name = f"bench_scale_{os.getpid()}"
    url = await fresh_database(server_url, name)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
            await run(args, url, Path(folder))
    finally:
        await drop_database(server_url, name)


async def run(args: argparse.Namespace, url: str, folder: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    emulator_args = ["emulator", "--port", "0", "--seed", "1", "--token", TOKEN]
    emulator_args += ["--now", EMULATOR_NOW, "--rate-limit", "400"]
    with started(emulator_args, env, folder / "emulator.log") as emulator:
        assert emulator.stdout is not None
        api_url = emulator.stdout.readline().strip()
        base = api_url.removesuffix("/api")
        env.update(
            ENTSOE_DATABASE_URL=url,
            ENTSOE_API_URL=api_url,
            ENTSOE_API_TOKEN=TOKEN,
            ENTSOE_RATE_LIMIT_PER_MINUTE=str(args.rate),
            ENTSOE_RATE_LIMIT_BURST=str(BURST),
            ENTSOE_HISTORY_YEARS="10",
        )
        async with application(fetching=True, environ=env) as app:
            small = await plan_job(app, args.small, SMALL_DATASETS)
            print(f"small job {small.job_id}: {small.chunks} chunks", file=sys.stderr)
            claims = [await claim_latencies(app, f"{small.chunks:,} chunks, alone")]
            # The small job is done with; the big one is then the only one to claim from.
            await app.backfill.cancel(small.job_id)
            big = await plan_job(app, args.chunks, DATASETS)
            print(f"big job {big.job_id}: {big.chunks} chunks", file=sys.stderr)
            claims.append(await claim_latencies(app, f"{big.chunks:,} chunks, alone"))
            figures = await with_workers(args, app, env, big, folder, base)
            claims.append(figures.pop("claims"))
    report(args, small, big, claims, figures)


async def with_workers(
    args: argparse.Namespace,
    app: Application,
    env: dict[str, str],
    big: Planned,
    folder: Path,
    base: str,
) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        serve = stack.enter_context(
            started(["serve", "--port", str(args.http_port)], env, folder / "serve.log")
        )
        workers = [
            stack.enter_context(started(["worker"], env, folder / f"worker-{n}.log"))
            for n in range(args.workers)
        ]
        start = time.time()
        memory: list[list[tuple[float, int]]] = [[] for _ in workers]
        status_cli: list[float] = []
        cli_start: list[float] = []
        status_report: list[float] = []
        http_job: list[float] = []
        claims: ClaimFigures | None = None
        async with httpx.AsyncClient(timeout=30) as http:
            await wait_for_http(http, f"http://127.0.0.1:{args.http_port}/health", serve)
            while time.time() - start < args.seconds:
                for index, worker in enumerate(workers):
                    rss = resident_kib(worker.pid)
                    if rss is not None:
                        memory[index].append((time.time() - start, rss))
                elapsed = time.time() - start
                if claims is None and elapsed > args.seconds / 2:
                    claims = await claim_latencies(
                        app, f"{big.chunks:,} chunks, {args.workers} workers running"
                    )
                if len(status_cli) < (elapsed // 30) + 1 and elapsed > WINDOW:
                    status_cli.append(await timed(lambda: status_command(env, big.job_id)))
                    cli_start.append(await timed(lambda: help_command(env)))
                    status_report.append(await timed(lambda: app.reports.status(big.job_id)))
                    http_job.append(
                        await timed(
                            lambda: checked(
                                http.get(
                                    f"http://127.0.0.1:{args.http_port}/backfills/{big.job_id}"
                                )
                            )
                        )
                    )
                await asyncio.sleep(1.0)
            end = time.time()
            cpu = [(cpu_seconds(w.pid) or 0.0) / (end - start) for w in workers]
            record = (await http.get(f"{base}/_emulator/arrivals")).json()
        for worker in workers:
            if worker.poll() is not None:
                log = (folder / f"worker-{workers.index(worker)}.log").read_text()[-2000:]
                raise SystemExit(f"a worker ended early with {worker.returncode}:\n{log}")
    assert claims is not None
    return {
        "claims": claims,
        "windows": windows(record["arrivals"], start, end),
        "max_sliding": max_sliding(record["arrivals"]),
        "bans": record["bans"],
        "memory": memory,
        "cpu": cpu,
        "status_cli": status_cli,
        "cli_start": cli_start,
        "status_report": status_report,
        "http_job": http_job,
        "done": await done_chunks(app, big.job_id),
    }


async def wait_for_http(http: httpx.AsyncClient, url: str, process: subprocess.Popen[str]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"entsoe serve ended with {process.returncode}")
        try:
            if (await http.get(url)).status_code < 500:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"entsoe serve did not answer {url}")


async def checked(request: Awaitable[httpx.Response]) -> None:
    answer = await request
    answer.raise_for_status()


async def status_command(env: dict[str, str], job_id: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *CLI, "status", job_id, "--json", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"entsoe status exited {process.returncode}")
    json.loads(out)


async def help_command(env: dict[str, str]) -> None:
    """``entsoe --help``: the interpreter and the CLI every command starts (no command's own
    imports: those come with the command)."""
    process = await asyncio.create_subprocess_exec(
        *CLI, "--help", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    if await process.wait() != 0:
        raise SystemExit("entsoe --help failed")


async def done_chunks(app: Application, job_id: str) -> int:
    report = await app.reports.status(job_id)
    return report.counts[ChunkStatus.DONE]


# -- the report --------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    small: Planned,
    big: Planned,
    claims: list[ClaimFigures],
    figures: dict[str, Any],
) -> None:
    ms = 1000.0
    print(
        f"python {sys.version.split()[0]}; {platform.platform()}; {os.cpu_count()} cores; "
        f"{args.workers} workers x concurrency 4; budget {args.rate:g}/min, burst {BURST} in it; "
        f"{args.seconds:g} s of workers; {figures['done']:,} chunks done meanwhile"
    )
    print()
    print("| job | chunks | plan s / 100k | persist s / 100k |")
    print("|---|---:|---:|---:|")
    for planned in (small, big):
        print(
            f"| {planned.job_id} | {planned.chunks:,} | "
            f"{planned.per_100k(planned.plan_seconds):.2f} | "
            f"{planned.per_100k(planned.persist_seconds):.2f} |"
        )
    print()
    print("| claims on | claim p50 ms | claim p99 ms | bare p50 ms | bare p99 ms | p99 / bare |")
    print("|---|---:|---:|---:|---:|---:|")
    for one in claims:
        print(
            f"| {one.where} | {one.claim.p50 * ms:.2f} | {one.claim.p99 * ms:.2f} | "
            f"{one.bare.p50 * ms:.2f} | {one.bare.p99 * ms:.2f} | "
            f"{one.claim.p99 / one.bare.p99:.2f} |"
        )
    print()
    counts = figures["windows"]
    print(f"| 60 s window | requests | / budget {args.rate:g} | above budget? |")
    print("|---:|---:|---:|---|")
    for index, count in enumerate(counts):
        above = "yes" if count > args.rate else "no"
        print(f"| {index + 1} | {count} | {count / args.rate:.3f} | {above} |")
    warmed = counts[1:] or counts
    busiest = figures["max_sliding"]
    print()
    print(
        f"most in any sliding 60 s: {busiest} (budget {args.rate:g}; above budget? "
        f"{'yes' if busiest > args.rate else 'no'}); "
        f"warmed-up windows at least {min(warmed) / args.rate:.3f} of the budget; "
        f"bans: {len(figures['bans'])}"
    )
    print()
    print("| worker | RSS MiB, first minute | RSS MiB, last minute | growth | CPU share |")
    print("|---:|---:|---:|---:|---:|")
    for index, samples in enumerate(figures["memory"]):
        first = [kib for at, kib in samples if at < WINDOW]
        last = [kib for at, kib in samples if at >= samples[-1][0] - WINDOW]
        before, after = statistics.mean(first) / 1024, statistics.mean(last) / 1024
        print(
            f"| {index + 1} | {before:.1f} | {after:.1f} | {after / before - 1:+.1%} | "
            f"{figures['cpu'][index]:.1%} |"
        )
    print()
    print("| report on the big job, workers running | worst s | mean s |")
    print("|---|---:|---:|")
    for label, key in (
        ("`entsoe status JOB --json` (the whole command)", "status_cli"),
        ("`entsoe --help` (starting the interpreter and the CLI)", "cli_start"),
        ("the status report alone (JobReports.status)", "status_report"),
        ("`GET /backfills/JOB` (entsoe serve)", "http_job"),
    ):
        seconds = figures[key]
        print(f"| {label} | {max(seconds):.3f} | {statistics.mean(seconds):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=1_000_000, help="chunks of the big job")
    parser.add_argument("--small", type=int, default=10_000, help="chunks of the small job")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=240.0, help="how long workers run")
    parser.add_argument(
        "--rate",
        type=float,
        default=350.0,
        help="request budget: the most requests in any minute, the burst included",
    )
    parser.add_argument("--http-port", type=int, default=18_417)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to use")
    args = parser.parse_args()
    started_at = datetime.now(UTC)
    asyncio.run(bench(args))
    print(f"\nstarted {started_at:%Y-%m-%d %H:%M} UTC", file=sys.stderr)


if __name__ == "__main__":
    main()
