"""The freshness that ``GET /metrics`` and ``GET /health`` read, on a configured scope.

The scope is ``--areas`` by ``--datasets`` (as ``ENTSOE_AREAS`` and ``ENTSOE_DATASETS`` take
them; default 10 bidding zones by two datasets), each (dataset, area) with ``--days`` of hourly
points (default three years) and a coverage entry; every fifth pair stopped 200 days ago (fallen
behind), every tenth holds nothing; and ``--jobs`` finished gap-fill jobs (default 20,000:
about a year of hourly rounds of two datasets). Then, best and mean of ``--runs`` (default 10),
side by side:

- the floor: the queries the figures need and nothing else, as bare SQL: the jobs counted by
  status, and per (dataset, area) the newest instant of each series (``max(ts)`` of one series,
  a probe of its primary key) and the newest fetch of its coverage ledger, a thousand pairs a
  statement, in one transaction;
- the snapshot the metrics read before each scrape (``FreshnessReports.snapshot``);
- what ``GET /health`` reads (the last fetch, the outage state, the overdue rounds, a ban).

On SQLite (a scratch file) and, with ``ENTSOE_TEST_POSTGRES_URL`` or ``--database-url``
(a server URL; a scratch database is made on it and dropped after), on PostgreSQL::

    python benchmarks/bench_freshness.py
    python benchmarks/bench_freshness.py --areas all,all-borders --datasets all --days 30
    source scripts/postgres.sh; postgres_start
    python benchmarks/bench_freshness.py --database-url "$ENTSOE_TEST_POSTGRES_URL"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from bench_scale import drop_database, fresh_database
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from adapters.sqlalchemy.migrate import upgrade
from entrypoints.bootstrap import Application, application
from entsoe_core.areas import AreaKey
from entsoe_core.coverage import CoverageEntry, Outcome
from entsoe_core.datasets import DATASETS
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.progress import BackfillJob, JobKind, JobStatus
from entsoe_core.timeline import Interval

AREAS = "NL,BE,FR,DE_LU,AT,PL,CZ,ES,PT,HU"
DATASETS_ASKED = "actual_total_load,day_ahead_prices"
STALE = timedelta(days=200)
PAIRS_A_STATEMENT = 1000

JOB_COUNTS = "SELECT status, count(*) FROM backfill_jobs GROUP BY status"


def floor_statement(count: int) -> str:
    """Per asked (dataset, area): the newest instant of its series and its newest fetch."""
    values = ", ".join(f"(:d{n}, :a{n})" for n in range(count))
    return f"""
WITH asked(dataset, area) AS (VALUES {values})
SELECT asked.dataset, asked.area,
       (SELECT max((SELECT max(o.ts) FROM observations o WHERE o.series_id = s.id))
          FROM series s WHERE s.dataset = asked.dataset AND s.area = asked.area),
       (SELECT max(c.fetched_at) FROM coverage c
         WHERE c.dataset = asked.dataset AND c.area = asked.area)
  FROM asked"""


async def fill(app: Application, pairs: Sequence[tuple[str, AreaKey]], days: int) -> int:
    """Hourly points and a coverage entry per (dataset, area), some stale, some empty."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    stored = 0
    for first in range(0, len(pairs), 100):
        async with app.uow() as uow:
            for number, (dataset, area) in enumerate(pairs[first : first + 100], start=first):
                if number % 10 == 9:
                    continue
                end = now - STALE if number % 5 == 4 else now
                start = end - timedelta(days=days)
                about = DATASETS.get(dataset)
                key = SeriesKey(
                    about.document_type,
                    about.process_type or "",
                    "",
                    out_domain=area.code,
                    in_domain=area.to_code or "",
                    resolution="PT60M",
                )
                hours = days * 24
                points = tuple(
                    Point(start + timedelta(hours=h), float(h % 97)) for h in range(hours)
                )
                await uow.store.upsert(dataset, area, [Series(key, points)])
                await uow.store.record_coverage(
                    dataset, area, CoverageEntry(Interval(start, end), Outcome.DATA, end)
                )
                stored += len(points)
            await uow.commit()
    return stored


async def add_jobs(app: Application, count: int) -> None:
    """``count`` completed gap-fill jobs, an hour apart, without chunks."""
    now = datetime.now(UTC)
    period = Interval(now - timedelta(days=3), now)
    async with app.uow() as uow:
        for number in range(count):
            job = BackfillJob(
                f"bench-{number}",
                now - timedelta(hours=number),
                period,
                ("actual_total_load",),
                ("10YNL----------L",),
                kind=JobKind.GAP_FILL,
                status=JobStatus.COMPLETED,
            )
            await uow.progress.add_job(job, [])
        await uow.commit()


async def timed(runs: int, work: Callable[[], Awaitable[object]]) -> list[float]:
    seconds = []
    for _ in range(runs):
        started_at = time.perf_counter()
        await work()
        seconds.append(time.perf_counter() - started_at)
    return seconds


def line(what: str, seconds: list[float], floor: float) -> str:
    best, mean = min(seconds), statistics.fmean(seconds)
    return f"| {what} | {best * 1000:.1f} | {mean * 1000:.1f} | {best / floor:.1f} |"


async def bare_reads(connection: AsyncConnection, pairs: Sequence[tuple[str, AreaKey]]) -> None:
    (await connection.execute(sa.text(JOB_COUNTS))).all()
    for first in range(0, len(pairs), PAIRS_A_STATEMENT):
        batch = pairs[first : first + PAIRS_A_STATEMENT]
        params: dict[str, str] = {}
        for n, (dataset, area) in enumerate(batch):
            params |= {f"d{n}": dataset, f"a{n}": str(area)}
        (await connection.execute(sa.text(floor_statement(len(batch))), params)).all()


async def measure(url: str, label: str, args: argparse.Namespace) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    datasets = ",".join(d.key for d in DATASETS) if args.datasets == "all" else args.datasets
    env |= {
        "ENTSOE_DATABASE_URL": url,
        "ENTSOE_AREAS": args.areas,
        "ENTSOE_DATASETS": datasets,
        "ENTSOE_HISTORY_YEARS": "1",
        "ENTSOE_API_TOKEN": "bench",
    }
    async with application(environ=env) as app:
        pairs = [(d.key, area) for d, area in app.gap_fill.targets(datetime.now(UTC))]
        started_at = time.perf_counter()
        points = await fill(app, pairs, args.days)
        await add_jobs(app, args.jobs)
        print(
            f"{label}: {len(pairs):,} (dataset, area) pairs, {points:,} points and "
            f"{args.jobs:,} jobs stored in {time.perf_counter() - started_at:.1f} s"
        )
        engine = create_async_engine(url)

        async def floor() -> None:
            async with engine.connect() as connection:
                await bare_reads(connection, pairs)

        async def health() -> None:
            await app.freshness.last_fetch()
            await app.reports.outage()
            await app.scheduler.overdue()
            await app.limiter.ban_in_force()

        try:
            await floor()  # warm the caches alike
            await app.freshness.snapshot()
            floor_seconds = await timed(args.runs, floor)
            snapshot_seconds = await timed(args.runs, app.freshness.snapshot)
            health_seconds = await timed(args.runs, health)
        finally:
            await engine.dispose()
    best = min(floor_seconds)
    print(f"\n{label}, best and mean of {args.runs}:\n")
    print("| read | best ms | mean ms | x floor |")
    print("|---|---|---|---|")
    print(line("floor: bare SQL, jobs by status, newest instant and fetch", floor_seconds, best))
    print(line("`FreshnessReports.snapshot` (metrics)", snapshot_seconds, best))
    print(line("`/health`'s reads (last fetch, outage, overdue, ban)", health_seconds, best))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", default=AREAS)
    parser.add_argument("--datasets", default=DATASETS_ASKED, help="Keys, or all.")
    parser.add_argument("--days", type=int, default=3 * 365)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("ENTSOE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'freshness.sqlite3'}"
        await upgrade(url)
        await measure(url, "SQLite", args)
    if args.database_url:
        name = "entsoe_bench_freshness"
        url = await fresh_database(args.database_url, name)
        try:
            await measure(url, "PostgreSQL", args)
        finally:
            await drop_database(args.database_url, name)


if __name__ == "__main__":
    asyncio.run(main())
