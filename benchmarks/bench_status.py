"""The status command on a million chunks: the whole ``entsoe status JOB --json``, timed.

One PostgreSQL database (``ENTSOE_TEST_POSTGRES_URL`` or ``--database-url``) with one job of
``--chunks`` day chunks (default 1,000,000), planned and persisted as ``entsoe backfill
--no-run`` does (the planning of benchmarks/bench_scale.py). Then, on an otherwise idle
machine, ``--runs`` times each (default 10), best and mean:

- ``python -c pass``: the interpreter's own start, the floor of any command;
- ``entsoe --help``: the interpreter and the imports every command pays;
- ``entsoe status JOB --json``: the whole command, interpreter start to exit;
- the report alone (``JobReports.status``, in this process);
- ``GET /backfills/JOB`` of ``entsoe serve``.

Building the job takes a few minutes; ``--keep`` leaves the database in place and prints the
arguments that measure it again without building (``--database-url URL --job ID``)::

    source scripts/postgres.sh; postgres_start
    python benchmarks/bench_status.py --keep
    python benchmarks/bench_status.py --database-url URL --job ID
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from bench_scale import (
    DATASETS,
    drop_database,
    fresh_database,
    plan_job,
    started,
    wait_for_http,
)

from entrypoints.bootstrap import application

ENTSOE = shutil.which("entsoe") or str(Path(sys.executable).with_name("entsoe"))


def command_seconds(args: Sequence[str], env: dict[str, str], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` runs of a command, each to its exit."""
    seconds = []
    for _ in range(runs):
        started_at = time.perf_counter()
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - started_at)
    return seconds


def line(what: str, seconds: Sequence[float]) -> str:
    best, mean = min(seconds), statistics.fmean(seconds)
    return f"| {what} | {best:.3f} | {mean:.3f} |"


async def measure(url: str, job_id: str, runs: int, port: int) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    env["ENTSOE_DATABASE_URL"] = url
    rows = [
        line("`python -c pass`", command_seconds([sys.executable, "-c", "pass"], env, runs)),
        line("`entsoe --help`", command_seconds([ENTSOE, "--help"], env, runs)),
        line(
            "`entsoe status JOB --json`",
            command_seconds([ENTSOE, "status", job_id, "--json"], env, runs),
        ),
    ]
    async with application(environ=env) as app:
        report: list[float] = []
        for _ in range(runs):
            started_at = time.perf_counter()
            await app.reports.status(job_id)
            report.append(time.perf_counter() - started_at)
        chunks = (await app.reports.status(job_id)).counts.total
    rows.append(line("the report alone (`JobReports.status`)", report))
    with (
        tempfile.TemporaryDirectory(prefix="bench-status-") as folder,
        started(["serve", "--port", str(port)], env, Path(folder) / "serve.log") as serve,
    ):
        async with httpx.AsyncClient(timeout=30) as http:
            await wait_for_http(http, f"http://127.0.0.1:{port}/health", serve)
            answers: list[float] = []
            for _ in range(runs):
                started_at = time.perf_counter()
                (await http.get(f"http://127.0.0.1:{port}/backfills/{job_id}")).raise_for_status()
                answers.append(time.perf_counter() - started_at)
    rows.append(line("`GET /backfills/JOB` (`entsoe serve`)", answers))
    print(f"job {job_id}: {chunks:,} chunks; {runs} runs each, seconds\n")
    print("| | best | mean |\n|---|---:|---:|")
    print("\n".join(rows))


async def bench(args: argparse.Namespace) -> None:
    if args.job:
        await measure(args.database_url, args.job, args.runs, args.http_port)
        return
    server_url = args.database_url or os.environ.get("ENTSOE_TEST_POSTGRES_URL")
    if not server_url:
        sys.exit("give --database-url or set ENTSOE_TEST_POSTGRES_URL (scripts/postgres.sh)")
    name = f"bench_status_{os.getpid()}"
    url = await fresh_database(server_url, name)
    try:
        environ = {"ENTSOE_DATABASE_URL": url, "ENTSOE_HISTORY_YEARS": "10"}
        async with application(environ=environ) as app:
            job = await plan_job(app, args.chunks, DATASETS)
        await measure(url, job.job_id, args.runs, args.http_port)
        if args.keep:
            print(f"\nkept: --database-url {url} --job {job.job_id}", file=sys.stderr)
    finally:
        if not args.keep:
            await drop_database(server_url, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=1_000_000, help="chunks of the job")
    parser.add_argument("--runs", type=int, default=10, help="runs of each measurement")
    parser.add_argument("--http-port", type=int, default=18_418)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server to use")
    parser.add_argument("--job", default=None, help="measure this job of --database-url")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
