"""The freshness that ``GET /metrics`` and ``GET /health`` read, on years of stored data.

A configured scope of ``--areas`` areas (default 10) by two datasets, each with ``--years``
years (default 3) of hourly points and a coverage entry a month; the last two areas stopped 200
days ago (a scope fallen behind, whose newest data is not among the recent); and ``--jobs``
finished gap-fill jobs (default 20,000: about a year of hourly rounds of two datasets). Then,
best and mean of ``--runs`` (default 10), side by side:

- the floor: the queries the figures need and nothing else, per (dataset, area) the newest
  instant of each series (``max(ts)`` of one series, an index lookup) and the newest fetch of
  its coverage ledger, and the jobs counted by status, in one transaction;
- the snapshot the metrics read before each scrape (``FreshnessReports.snapshot``);
- what ``GET /health`` reads (the last fetch, the outage state, the overdue rounds, a ban).

On SQLite (a scratch file) and, with ``ENTSOE_TEST_POSTGRES_URL`` or ``--database-url``
(a server URL; a scratch database is made on it and dropped after), on PostgreSQL::

    python benchmarks/bench_freshness.py
    source scripts/postgres.sh; postgres_start
    python benchmarks/bench_freshness.py --database-url postgresql+asyncpg://postgres@127.0.0.1:PORT/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from bench_scale import drop_database, fresh_database
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sqlalchemy.migrate import upgrade
from entrypoints.bootstrap import Application, application
from entsoe_core.areas import AREAS, AreaKey
from entsoe_core.coverage import CoverageEntry, Outcome
from entsoe_core.datasets import DATASETS
from entsoe_core.observations import Point, Series, SeriesKey
from entsoe_core.progress import BackfillJob, JobKind, JobStatus
from entsoe_core.timeline import Interval

SCOPE_AREAS = ("NL", "BE", "FR", "DE_LU", "AT", "PL", "CZ", "ES", "PT", "HU", "SK", "SI")
SCOPE_DATASETS = ("actual_total_load", "day_ahead_prices")
STALE = timedelta(days=200)

FLOOR = """
SELECT (SELECT max((SELECT max(o.ts) FROM observations o WHERE o.series_id = s.id))
          FROM series s WHERE s.dataset = :dataset AND s.area = :area),
       (SELECT max(c.fetched_at) FROM coverage c WHERE c.dataset = :dataset AND c.area = :area)
"""
JOB_COUNTS = "SELECT status, count(*) FROM backfill_jobs GROUP BY status"


async def fill(app: Application, areas: tuple[str, ...], years: int, now: datetime) -> int:
    """Hourly points and a coverage entry a month per (dataset, area); how many points."""
    start = (now - timedelta(days=365 * years)).replace(minute=0, second=0, microsecond=0)
    stored = 0
    for number, name in enumerate(areas):
        area = AreaKey(AREAS.get(name).code)
        end = now - STALE if number >= len(areas) - 2 else now
        hours = int((end - start) / timedelta(hours=1))
        for dataset in SCOPE_DATASETS:
            about = DATASETS.get(dataset)
            key = SeriesKey(
                about.document_type,
                about.process_type or "",
                "",
                out_domain=area.code,
                resolution="PT60M",
            )
            points = tuple(Point(start + timedelta(hours=h), float(h % 97)) for h in range(hours))
            async with app.uow() as uow:
                await uow.store.upsert(dataset, area, [Series(key, points)])
                month = start
                while month < end:
                    following = month + timedelta(days=30)
                    await uow.store.record_coverage(
                        dataset,
                        area,
                        CoverageEntry(
                            Interval(month, following), Outcome.DATA, following + timedelta(days=1)
                        ),
                    )
                    month = following
                await uow.commit()
            stored += len(points)
    return stored


async def add_jobs(app: Application, count: int, now: datetime) -> None:
    """``count`` completed gap-fill jobs, an hour apart, without chunks."""
    period = Interval(now - timedelta(days=3), now)
    async with app.uow() as uow:
        for number in range(count):
            created = now - timedelta(hours=number)
            job = BackfillJob(
                f"bench-{number}",
                created,
                period,
                SCOPE_DATASETS,
                ("NL",),
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


async def measure(
    url: str, label: str, areas: tuple[str, ...], years: int, jobs: int, runs: int
) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("ENTSOE_")}
    env |= {
        "ENTSOE_DATABASE_URL": url,
        "ENTSOE_AREAS": ",".join(areas),
        "ENTSOE_DATASETS": ",".join(SCOPE_DATASETS),
        "ENTSOE_HISTORY_YEARS": str(years),
        "ENTSOE_API_TOKEN": "bench",
    }
    now = datetime.now(UTC)
    async with application(environ=env) as app:
        started_at = time.perf_counter()
        points = await fill(app, areas, years, now)
        await add_jobs(app, jobs, now)
        print(
            f"{label}: {points:,} points and {jobs:,} jobs stored in "
            f"{time.perf_counter() - started_at:.1f} s"
        )
        engine = create_async_engine(url)
        pairs = [
            {"dataset": dataset, "area": AREAS.get(name).code}
            for name in areas
            for dataset in SCOPE_DATASETS
        ]

        async def floor() -> None:
            async with engine.connect() as connection:
                (await connection.execute(sa.text(JOB_COUNTS))).all()
                for pair in pairs:
                    (await connection.execute(sa.text(FLOOR), pair)).one()

        async def health() -> None:
            await app.freshness.last_fetch()
            await app.reports.outage()
            await app.scheduler.overdue()
            await app.limiter.ban_in_force()

        try:
            await floor()  # warm the caches alike
            await app.freshness.snapshot()
            floor_seconds = await timed(runs, floor)
            snapshot_seconds = await timed(runs, app.freshness.snapshot)
            health_seconds = await timed(runs, health)
        finally:
            await engine.dispose()
    best = min(floor_seconds)
    print(f"\n{label}, {len(pairs)} (dataset, area) pairs, best and mean of {runs}:\n")
    print("| read | best ms | mean ms | x floor |")
    print("|---|---|---|---|")
    print(
        line(
            "floor: jobs by status; per pair max(ts) per series, newest fetch", floor_seconds, best
        )
    )
    print(line("`FreshnessReports.snapshot` (metrics)", snapshot_seconds, best))
    print(line("`/health`'s reads (last fetch, outage, overdue, ban)", health_seconds, best))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=10)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("ENTSOE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    areas = SCOPE_AREAS[: args.areas]
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'freshness.sqlite3'}"
        await upgrade(url)
        await measure(url, "SQLite", areas, args.years, args.jobs, args.runs)
    if args.database_url:
        name = "entsoe_bench_freshness"
        url = await fresh_database(args.database_url, name)
        try:
            await measure(url, "PostgreSQL", areas, args.years, args.jobs, args.runs)
        finally:
            await drop_database(args.database_url, name)


if __name__ == "__main__":
    asyncio.run(main())
