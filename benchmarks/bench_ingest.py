"""Ingest benchmark: observations per second through the SQL store's upsert.

One chunk: a year of 15-minute data for 20 series (702,720 observations), upserted in one unit
of work and committed, into an empty database (fresh rows), then again (every row conflicts,
and none is written because each is stored already as it is), then as a copy created a day
earlier (every row conflicts, and every row is kept because the stored one is newer), then as
a corrected copy of the same version, every value changed (every row conflicts and is
rewritten).
Each figure is set against a floor measured in the same run on the same rows:

- SQLite: ``sqlite3`` ``executemany`` of a plain INSERT of ready-made tuples into a table
  without any key, same pragmas (WAL, synchronous=NORMAL).
- PostgreSQL: asyncpg ``copy_records_to_table`` of ready-made records into a plain table.

Run it from the repository root (PostgreSQL is optional; without a URL only SQLite runs)::

    source scripts/postgres.sh; postgres_start
    python benchmarks/bench_ingest.py            # uses ENTSOE_TEST_POSTGRES_URL
    postgres_stop
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import attrs
from sqlalchemy.engine import make_url

from adapters.sqlalchemy import SqlUnitOfWorkFactory, create_engine, upgrade
from adapters.sqlalchemy.tables import to_micros
from entsoe_core.areas import AreaKey
from entsoe_core.observations import Point, Series, SeriesKey, count_points
from entsoe_core.versions import UpsertResult

DATASET = "actual_generation_per_type"
AREA = AreaKey("10Y1001A1001A82H")
START = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=15)
CREATED = datetime(2025, 1, 1, tzinfo=UTC)


def make_chunk(series_count: int, points_per_series: int) -> list[Series]:
    """A chunk as the parser hands it over: one Series per psr type, points in time order."""
    instants = [START + i * STEP for i in range(points_per_series)]
    chunk = []
    for n in range(series_count):
        key = SeriesKey(
            document_type="A75",
            process_type="A16",
            business_type="A01",
            psr_type=f"B{n + 1:02d}",
            in_domain=AREA.code,
            resolution="PT15M",
        )
        points = tuple(Point(t, float(i % 977) + n) for i, t in enumerate(instants))
        chunk.append(
            Series(key, points, unit="MAW", curve_type="A01", revision=1, created_at=CREATED)
        )
    return chunk


def plain_rows(chunk: list[Series]) -> list[tuple[object, ...]]:
    """The same observations as ready-made tuples, for the floors."""
    ingested = datetime.now(UTC)
    return [
        (
            n + 1,
            p.timestamp,
            p.value,
            one.unit,
            one.curve_type,
            one.revision,
            one.created_at,
            ingested,
        )
        for n, one in enumerate(chunk)
        for p in one.points
    ]


def best(seconds: list[float]) -> float:
    return min(seconds)


def _best_of(*runs: list[float]) -> dict[str, float]:
    names = ("floor", "fresh", "conflict", "kept", "rewritten")
    return dict(zip(names, map(best, runs), strict=True))


async def timed(action: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


# -- SQLite -----------------------------------------------------------------------------


def sqlite_floor(rows: list[tuple[object, ...]], directory: Path) -> float:
    native = [
        (r[0], to_micros(r[1]), r[2], r[3], r[4], r[5], to_micros(r[6]), to_micros(r[7]))  # type: ignore[arg-type]
        for r in rows
    ]
    path = directory / f"floor-{uuid.uuid4().hex}.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(
        "CREATE TABLE plain (series_id INTEGER, ts INTEGER, value REAL, unit TEXT, "
        "curve_type TEXT, revision INTEGER, created_at INTEGER, ingested_at INTEGER)"
    )
    started = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    db.executemany("INSERT INTO plain VALUES (?, ?, ?, ?, ?, ?, ?, ?)", native)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


async def store_runs(url: str, chunk: list[Series]) -> tuple[float, float, float, float]:
    """Seconds for one upsert of fresh rows, one of the same rows again, one of an older copy
    of them, and one of a corrected copy."""
    engine = create_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    older = [attrs.evolve(one, created_at=CREATED - timedelta(days=1)) for one in chunk]
    corrected = [
        attrs.evolve(one, points=tuple(Point(t, v + 1) for t, v in one.points)) for one in chunk
    ]

    def upsert(data: list[Series], expected: UpsertResult) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with factory() as uow:
                stored = await uow.store.upsert(DATASET, AREA, data)
                await uow.commit()
            assert stored == expected, stored

        return run

    points = count_points(chunk)
    try:
        async with factory():
            pass  # creates the schema of a fresh SQLite file outside the timing
        return (
            await timed(upsert(chunk, UpsertResult(written=points))),
            await timed(upsert(chunk, UpsertResult(unchanged=points))),
            await timed(upsert(older, UpsertResult(kept_newer=points))),
            await timed(upsert(corrected, UpsertResult(written=points))),
        )
    finally:
        await engine.dispose()


async def bench_sqlite(
    chunk: list[Series], rows: list[tuple[object, ...]], repeat: int
) -> dict[str, float]:
    floor, fresh, conflict, kept, rewritten = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        for _ in range(repeat):
            floor.append(sqlite_floor(rows, directory))
            url = f"sqlite+aiosqlite:///{directory / f'store-{uuid.uuid4().hex}.sqlite3'}"
            first, second, third, fourth = await store_runs(url, chunk)
            fresh.append(first)
            conflict.append(second)
            kept.append(third)
            rewritten.append(fourth)
    return _best_of(floor, fresh, conflict, kept, rewritten)


# -- PostgreSQL -------------------------------------------------------------------------


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def postgres_floor(dsn: str, rows: list[tuple[object, ...]]) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "CREATE TABLE plain (series_id integer, ts timestamptz, value double precision, "
            "unit text, curve_type text, revision integer, created_at timestamptz, "
            "ingested_at timestamptz)"
        )
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table("plain", records=rows)
        return time.perf_counter() - started
    finally:
        await conn.close()


async def bench_postgres(
    admin_url: str, chunk: list[Series], rows: list[tuple[object, ...]], repeat: int
) -> dict[str, float]:
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    floor, fresh, conflict, kept, rewritten = [], [], [], [], []
    try:
        for _ in range(repeat):
            name = f"entsoe_bench_{uuid.uuid4().hex[:12]}"
            await admin.execute(f'CREATE DATABASE "{name}"')
            url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
            try:
                floor.append(await postgres_floor(asyncpg_dsn(url), rows))
                await upgrade(url)
                first, second, third, fourth = await store_runs(url, chunk)
                fresh.append(first)
                conflict.append(second)
                kept.append(third)
                rewritten.append(fourth)
            finally:
                await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    return _best_of(floor, fresh, conflict, kept, rewritten)


# -- report -----------------------------------------------------------------------------


def report(name: str, floor_name: str, points: int, result: dict[str, float]) -> list[str]:
    def rate(seconds: float) -> str:
        return f"{points / seconds:,.0f}"

    floor = result["floor"]
    return [
        f"| {name} | floor: {floor_name} | {rate(floor)} | 100% |",
        f"| {name} | upsert, fresh rows | {rate(result['fresh'])} | "
        f"{floor / result['fresh']:.0%} |",
        f"| {name} | upsert, all rows conflict, all unchanged (same copy again) | "
        f"{rate(result['conflict'])} | {floor / result['conflict']:.0%} |",
        f"| {name} | upsert, all rows conflict, all kept (older copy) | "
        f"{rate(result['kept'])} | {floor / result['kept']:.0%} |",
        f"| {name} | upsert, all rows conflict, all rewritten (corrected copy) | "
        f"{rate(result['rewritten'])} | {floor / result['rewritten']:.0%} |",
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20)
    parser.add_argument("--points", type=int, default=366 * 96, help="points per series")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best one counts")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ENTSOE_TEST_POSTGRES_URL"),
        help="an asyncpg URL of a database whose role may create databases "
        "(default: ENTSOE_TEST_POSTGRES_URL)",
    )
    args = parser.parse_args()
    chunk = make_chunk(args.series, args.points)
    rows = plain_rows(chunk)
    points = len(rows)
    lines = [
        f"{args.series} series x {args.points} points = {points:,} observations per chunk; "
        f"best of {args.repeat}",
        "",
        "| database | what | observations/s | share of floor |",
        "|---|---|---:|---:|",
    ]
    sqlite_result = await bench_sqlite(chunk, rows, args.repeat)
    lines += report("SQLite", "sqlite3 executemany INSERT", points, sqlite_result)
    if args.postgres_url:
        pg_result = await bench_postgres(args.postgres_url, chunk, rows, args.repeat)
        lines += report("PostgreSQL", "asyncpg COPY", points, pg_result)
    else:
        lines.append("PostgreSQL skipped: give --postgres-url or ENTSOE_TEST_POSTGRES_URL")
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
